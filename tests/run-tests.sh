#!/usr/bin/env bash
# `make test`: set up, then lint -> sanity -> unit -> molecule. Every stage runs even when
# an earlier one failed (one run shows everything); the exit code is non-zero when any
# stage failed, and the last line is a one-line summary.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
start=$(date +%s)
declare -a results
fail=0

stage() { # name, make target
  local name=$1 target=$2 t0 rc
  t0=$(date +%s)
  echo "=== $name"
  make --no-print-directory "$target"
  rc=$?
  if [ $rc -eq 0 ]; then results+=("$name ok ($(( $(date +%s) - t0 ))s)"); else results+=("$name FAILED"); fail=1; fi
  return $rc
}

if ! stage setup deps; then
  echo "make test: FAILED at setup (see above); nothing else ran"
  exit 1
fi
stage lint lint
stage sanity sanity
stage unit unit
stage package package
stage molecule molecule
total=$(( $(date +%s) - start ))
summary=$(printf '%s, ' "${results[@]}")
if [ $fail -eq 0 ]; then verdict=PASSED; else verdict=FAILED; fi
echo "make test: $verdict in ${total}s: ${summary%, }"
exit $fail
