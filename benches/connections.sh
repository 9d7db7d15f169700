#!/usr/bin/env bash
# Threads, memory and CPU of a handler at rest, with 512 idle keep-alive connections (one
# request each, then held open, as the host's connection pool holds them), and under 512 busy
# connections. Figures only.
#
#   benches/connections.sh [PATH_TO_HANDLER]     (default: ./handler from ./build.sh)
#
# Needs python3; the busy phase uses wrk if it is installed (apt-get install wrk), and is
# skipped otherwise (benches/run.sh measures throughput without it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-./handler}
[ -x "$bin" ] || { echo "connections.sh: no handler at $bin (run ./build.sh)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

snap() {
    printf '%-44s %s\n' "$1" "$(grep -E '^(Threads|VmRSS|VmHWM)' "/proc/$pid/status" | tr -s ' \t\n' ' ')"
}
cpu_ticks() { # user+system ticks (1/100 s) of the whole process
    awk '{print $14 + $15}' "/proc/$pid/stat"
}
idle_clients() { # N connections, one request each, held for S seconds
    python3 - "$port" "$1" "$2" <<'PY'
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
request = b"GET /api/HelloRust?name=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
held = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    data = b""
    while b"successfully." not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed before the answer")
        data += chunk
    held.append(s)
time.sleep(hold)
PY
}

FUNCTIONS_CUSTOMHANDLER_PORT=$port "$bin" > /dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
    python3 -c 'import time; time.sleep(0.02)'
done
curl -s -o /dev/null "http://127.0.0.1:$port/api/HelloRust"
echo "handler: $bin"
snap "at rest (after one request)"

idle_clients 512 20 &
clients=$!
sleep 4
snap "512 idle keep-alive connections"
t0=$(cpu_ticks); sleep 5; t1=$(cpu_ticks)
echo "  CPU with 512 idle connections: $(( t1 - t0 )) ticks of 10 ms in 5 s, $(( (t1 - t0) / 5 ))% of a core"
sleep 8
snap "512 idle, after the pool shrank"
kill $clients 2>/dev/null || true
wait $clients 2>/dev/null || true

if command -v wrk >/dev/null 2>&1; then
    out=$(mktemp)
    wrk -c512 -t2 -d10s "http://127.0.0.1:$port/api/HelloRust?name=wrk" > "$out" 2>&1 &
    load=$!
    sleep 5
    snap "512 busy connections (wrk -c512 -t2 -d10s)"
    wait $load
    snap "after the load"
    grep -E 'Requests/sec|Latency|Socket errors|Non-2xx' "$out" | sed 's/^/  wrk: /'
    rm -f "$out"
else
    echo "512 busy connections: skipped (wrk is not installed)"
fi
