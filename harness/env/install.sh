#!/usr/bin/env bash
# Installs the repository's dependencies as of the environment commit (generated from its spec
# entry). Runs once in a container of the env tier's first part (harness/env/Dockerfile) with the
# repository unpacked (/testbed, the test user's), then committed as one layer.
# The environment commit's tree is unpacked in $DEPS_TREE for this run only: the install commands
# run there (requirement files, setup.py as the environment commit has them), the tree is removed,
# and the project itself is installed again from /testbed, which holds the oldest instance base.
# Files removed in the same run are in no layer, so no image holds the newer tree.
set -euxo pipefail
# A Rust extension built from its sdist has cargo fetch the crates.io index: its git form is a
# clone from github.com, its sparse form (https://index.crates.io) plain HTTP to crates.io, and
# faster. cargo >= 1.68 (trixie's) takes the protocol variable; bookworm's 1.65 has the sparse
# index as an unstable feature, which the channel override (read by cargo alone) lets it use.
# Set for this run only: tests that run cargo see cargo's defaults.
export CARGO_REGISTRIES_CRATES_IO_PROTOCOL=sparse CARGO_UNSTABLE_SPARSE_REGISTRY=true \
  __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly
DEPS_TREE=@DEPS_TREE@
cd "$DEPS_TREE"
# @ENV@
# @PRE_INSTALL@
# @PIP_PACKAGES@
# @INSTALL@
cd /testbed
if [ "$DEPS_TREE" != /testbed ]; then
  rm -rf "$DEPS_TREE"
  # @PROJECT_INSTALL@
fi
# The .git the installs read the version from is the instance tier's to give (its base commit's).
rm -rf /testbed/.git
# What the installs wrote into the tree (egg-info, build/) belongs to the test user like the rest.
chown -R --from=0:0 swegym:swegym /testbed
