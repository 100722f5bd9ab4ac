#!/usr/bin/env bash
# Runs every benchmark (*.ts) in a folder, one after the other, each printing its own
# "NAME pvboot X PEER Y ratio R" lines. Every one runs even when an earlier one fails; the
# exit status is 1 when any failed, naming each, so `make bench` and `make bench-xen` fail.
set -uo pipefail
dir=${1:?usage: run-benches.sh DIR}
failed=()
for b in "$dir"/*.ts; do
  [ -e "$b" ] || continue
  npx tsx "$b" || failed+=("$b (exit $?)")
done
if [ ${#failed[@]} -gt 0 ]; then
  for f in "${failed[@]}"; do echo "benchmark failed: $f"; done
  exit 1
fi
