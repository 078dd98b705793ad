#!/usr/bin/env bash
# The spec's extra system packages, if any (generated from its spec entry).
set -euxo pipefail
packages=(
# @APT_PACKAGES@
)
if ((${#packages[@]})); then
  # The rootfs leaves manuals out (dpkg path-exclude), but a Java runtime's postinst registers
  # its manual page with update-alternatives, which fails when the folder is missing.
  mkdir -p /usr/share/man/man1
  apt-get update
  apt-get install -y --no-install-recommends "${packages[@]}"
  rm -rf /var/lib/apt/lists/*
fi
