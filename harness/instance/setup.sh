#!/usr/bin/env bash
# Instance tier (generated per instance from this template): run once in a container of the env
# image, then committed as the instance image's single layer. Before it runs, the files that differ
# from the environment commit have been copied into /testbed, and /testbed/.git holds one commit
# whose tree is the base commit's tree and nothing else: no later commit, tag or object, so the
# fix cannot be found in git. This script removes the files the base commit does not have,
# indexes the tree, and reinstalls the project.
set -euxo pipefail
cd /testbed
if [ -s /opt/swegym/instance/deleted.z ]; then
  xargs -0 rm -rf -- < /opt/swegym/instance/deleted.z
fi
# The index from HEAD (the base tree); the working tree already matches it.
git reset --quiet
# @ENV@
# @INSTALL@
# Build artefacts of the installs are not part of the task: keep them out of `git status`.
git ls-files --others --exclude-standard -z | xargs -0 -r -n1 printf '/%s\n' >> .git/info/exclude
# Tracked files an install rewrote would show up here; the build log keeps them for review.
git status --porcelain
# The tests run as `swegym`: hand it what this script and the copied files made as root (only
# those, so unchanged files stay in the env layer). /opt/venv stays root's, read-only to it.
# .git is handed over too for now, as validate's eval script runs `git reset` as the test user;
# once the harness runs its own git as root, prune it here (`-path /testbed/.git -prune -o`) and
# .git stays root's and read-only.
find /testbed -uid 0 -print0 | xargs -0 -r chown -h swegym:swegym
