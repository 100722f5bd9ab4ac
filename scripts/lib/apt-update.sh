#!/bin/bash
# apt-get update for the shell scripts (scripts/setup.sh, scripts/fuzz/build.sh), as
# scripts/lib/apt.ts does it for the TypeScript ones: a mirror caught mid-sync fails one index
# ("Mirror sync in progress?"), so up to three tries 15 s apart, then a warning, and the install
# that follows says what it could not find. Runs apt-get under sudo when not root.
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
for try in 1 2 3; do
  $sudo_cmd apt-get update -qq && exit 0
  [ "$try" = 3 ] || sleep 15
done
echo "apt-get update failed 3 times; going on with the package lists there are" >&2
exit 0
