#!/usr/bin/env bash
# Builds (when its recipe changed) and serves the test NVIDIA repository on loopback.
# Usage: tests/repo/serve.sh start|stop|status
# Env: TEST_REPO_PORT (default 8808), TEST_REPO_VARIANT (tampered or wrong-key: serve a
#      copy that apt must refuse; see build_repo.py)
# It listens on 127.0.0.1 (containers with the host's network) and, for QEMU guests with
# user-mode networking, is reached from them as 10.0.2.2 (QEMU forwards to loopback).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
port=${TEST_REPO_PORT:-8808}
variant=${TEST_REPO_VARIANT:-}
base="$root/.cache/test-repo"
out="$base${variant:+-$variant}"
# One server per port: make bench serves on another port than the molecule scenarios, and
# stopping one must not lose track of the other.
pidfile="$out.$port.pid"
url="http://127.0.0.1:$port/compute/cuda/repos"

listening() { python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

case "${1:-}" in
  start)
    mkdir -p "$out"
    if [ -n "$variant" ]; then
      python3 "$root/tests/repo/build_repo.py" --variant "$variant" "$base" "$out"
    else
      python3 "$root/tests/repo/build_repo.py" "$out"
    fi
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && listening; then
      echo "serve: already serving $out at $url"
      exit 0
    fi
    if listening; then
      echo "serve: port $port is taken by another program; set TEST_REPO_PORT" >&2
      exit 1
    fi
    setsid python3 -m http.server --bind 127.0.0.1 --directory "$out" "$port" >"$out.$port.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 50); do listening && break; sleep 0.1; done
    listening || { echo "serve: the server did not start (see $out.$port.log)" >&2; exit 1; }
    echo "serve: serving $out at $url"
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    echo "serve: stopped"
    ;;
  status)
    if listening; then echo "serve: up at $url"; else echo "serve: down"; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
