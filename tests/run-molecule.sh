#!/usr/bin/env bash
# `make molecule`: the scenarios given (default: all), in two lanes, then the VM alone.
# The machines have two cores; most single-guest scenarios keep only one busy, so they run beside
# the multi-guest ones, on a test-repository server of their own (the faults scenario stops and
# starts its server: a port of their own keeps the other lane's server up). The VM scenario runs
# last and alone: emulation needs both cores, and its reboots have time limits.
# Each scenario's output goes to a log that is printed whole when its lane ends.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SINGLE=" faults bad_key gpu_faulty toolkit_only unsupported "   # the second lane (own port)
ALONE=" vm "                                            # after both lanes
SIDE_PORT=${TEST_REPO_SIDE_PORT:-8812}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

run_lane() { # lane name, scenarios...
  local lane=$1 rc=0 s t0; shift
  for s in "$@"; do
    t0=$(date +%s)
    { echo "== molecule test -s $s"
      if molecule test -s "$s"; then echo "== $s passed in $(( $(date +%s) - t0 ))s"
      else echo "== $s FAILED"; false; fi
    } >"$logs/$lane.$s.log" 2>&1 || rc=1
  done
  return $rc
}

main_lane=() side_lane=() last_lane=()
for s in "$@"; do
  if [[ $ALONE == *" $s "* ]]; then last_lane+=("$s")
  elif [[ $SINGLE == *" $s "* ]]; then side_lane+=("$s")
  else main_lane+=("$s"); fi
done

rc=0
tests/repo/serve.sh start || exit 1
side_pid=
if [ ${#side_lane[@]} -gt 0 ]; then
  ( export TEST_REPO_PORT=$SIDE_PORT
    tests/repo/serve.sh start >"$logs/side-server.log" 2>&1 || { cat "$logs/side-server.log"; exit 1; }
    run_lane side "${side_lane[@]}"; lane_rc=$?
    tests/repo/serve.sh stop >/dev/null 2>&1
    exit $lane_rc ) &
  side_pid=$!
fi
run_lane main "${main_lane[@]}" || rc=1
if [ -n "$side_pid" ]; then wait "$side_pid" || rc=1; fi
for s in "${main_lane[@]}" "${side_lane[@]}"; do
  for f in "$logs"/*."$s".log; do [ -f "$f" ] && cat "$f"; done
done
[ -f "$logs/side-server.log" ] && [ -s "$logs/side-server.log" ] && cat "$logs/side-server.log"
run_lane last "${last_lane[@]}" || rc=1
for s in "${last_lane[@]}"; do cat "$logs/last.$s.log"; done
tests/repo/serve.sh stop
exit $rc
