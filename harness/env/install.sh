#!/usr/bin/env bash
# Installs the repository's dependencies as of the environment commit (generated from its spec
# entry). Runs once in a container of the env tier's first part (harness/env/Dockerfile) with the
# repository unpacked (/testbed, the test user's), then committed as one layer.
# The environment commit's tree is unpacked in $DEPS_TREE for this run only: the install commands
# run there (requirement files, setup.py as the environment commit has them), the tree is removed,
# and the project itself is installed again from /testbed, which holds the oldest instance base.
# Files removed in the same run are in no layer, so no image holds the newer tree.
set -euxo pipefail
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
