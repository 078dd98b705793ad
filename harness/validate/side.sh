#!/usr/bin/env bash
# One side (before or after) of one run of the gold-patch check, as root in a fresh container of
# the instance image, with no network. Generated per side by swegym_build/validate/evalscript.py;
# a copy is kept with the logs. This file and the patches are root's (mode 0700/0600) and removed
# before the tests start: nothing tells the tests which side they are on. Root applies the patches
# with git's hooks and fsmonitor off, hands the files git created to the test user, dumps the
# touched test files for the host's static collection (length-framed), waits for the host's go on
# stdin, prints the host's begin marker, and replaces itself with the test command run as the unprivileged user, all capabilities
# dropped. The host takes the test output from this container's stdout after the first marker and
# the test command's exit status from the container's exit code: nothing the tests can write.
set -u
HARNESS=/swegym-harness
cd /testbed
# An image built before .git and the venv were root's would let the tests rewrite them.
if [ -n "$(find /testbed/.git /opt/venv -maxdepth 1 ! -user 0 -print -quit)" ]; then
  echo "/testbed/.git or /opt/venv is not root's: rebuild the image" >&2; exit @UNHARDENED@
fi
harness_git() { git -c core.hooksPath=/dev/null -c core.fsmonitor=false "$@"; }
# @APPLY@ (the patches, in order; exits @TEST_PATCH_FAILED@ / @PATCH_FAILED@ when one does not apply)
# What git apply created is root's: give the test user those files and the folders git made
# (one chown for all: a fork per path costs more than the patching).
owned=()
for path in @TOUCHED@; do
  while [ "$path" != . ] && [ -e "$path" ] && [ ! -L "$path" ]; do
    owned+=("$path")
    [[ "$path" == */* ]] && path=${path%/*} || path=.
  done
done
if ((${#owned[@]})); then chown -h --from=0:0 swegym:swegym -- "${owned[@]}"; fi
for path in @DUMP@; do
  if [ -f "$path" ] && [ ! -L "$path" ]; then
    printf '@FILE_MARKER@ %s %s\n' "$(stat -c %s "$path")" "$path"
    cat "$path"
  fi
done
rm -rf "$HARNESS"
# Armed: wait for the host's go (it prepares this side while the previous one's tests run).
read -r -t @ARMED_SECONDS@ go || exit 204
# @ENV@
export PYTHONDONTWRITEBYTECODE=1 HOME=/home/swegym USER=swegym LOGNAME=swegym
printf '\n@BEGIN_MARKER@\n'
exec timeout --signal=KILL @SELF_KILL_SECONDS@ \
  setpriv --reuid=@UID@ --regid=@UID@ --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- \
  bash -c @TEST_CMD@ 2>&1
