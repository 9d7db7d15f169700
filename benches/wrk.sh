#!/usr/bin/env bash
# Throughput with wrk, the load generator reviewers use: `wrk -t1` keep-alive GETs of
# /api/HelloRust?name=Shing at each connection count, against one handler or two interleaved
# (A, B, A, B... with a fresh server per run, so each peak RSS belongs to its C). Prints one
# table; with --summary appends its rows (tab-separated) for benches/run.sh.
#
#   benches/wrk.sh --bin PATH [--vs PATH] [--conns "1 16 128 512"] [--secs 2] [--rounds 7]
#                  [--summary FILE]   (--secs: whole seconds, as wrk takes them)
#
# Each figure is the median of the rounds: on a small shared VM one run's requests/s moves by
# 10-15 % with where the scheduler puts the threads, so seven short rounds make a steadier figure
# than three long ones. Figures only: nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "wrk.sh: $*" >&2
    exit 1
}
command -v wrk >/dev/null 2>&1 || die "wrk not found (Debian/Ubuntu: apt-get install wrk)"

bins=()
conns="1 16 128 512"
secs=2
rounds=7
summary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bin | --vs)
            [ $# -ge 2 ] || die "$1 needs a path"
            [ -x "$2" ] || die "$1 $2: not an executable file"
            bins+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
            shift 2
            ;;
        --conns) conns=$2; shift 2 ;;
        --secs) secs=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --summary) summary=$2; shift 2 ;;
        -h | --help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument: $1" ;;
    esac
done
[ ${#bins[@]} -ge 1 ] || die "--bin PATH is required"

work=$(mktemp -d)
pid=""
stop() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; pid=""; }
trap 'stop; rm -rf "$work"' EXIT
# The app the handler serves: this repository's, from a folder of its own.
mkdir -p "$work/app"
cp -r host.json HelloRust "$work/app/"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One run: start $1 fresh, wait for its first answer, warm up, measure with wrk at $2
# connections; prints "requests/s p99_ms errors peak_rss_kib".
run() {
    local bin=$1 c=$2 port out rps p99 errors hwm
    port=$(free_port)
    (cd "$work/app" && FUNCTIONS_CUSTOMHANDLER_PORT=$port exec "$bin" >/dev/null 2>&1) &
    pid=$!
    for _ in $(seq 200); do
        curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/api/HelloRust" && break
        sleep 0.02
    done
    local url="http://127.0.0.1:$port/api/HelloRust?name=Shing"
    wrk -t1 -c"$c" -d1s "$url" >/dev/null 2>&1 || true
    out=$(wrk -t1 -c"$c" -d"${secs}s" --latency "$url" 2>&1) || true
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    stop
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                 f = (u == "us") ? 0.001 : (u == "s") ? 1000 : 1; print v * f}' <<<"$out")
    errors=$(awk '/Socket errors/ {gsub(",", ""); s += $4 + $6 + $8 + $10}
                  /Non-2xx/ {s += $NF} END {print s + 0}' <<<"$out")
    echo "${rps:-0} ${p99:-0} ${errors:-0} ${hwm:-0}"
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

declare -A results
for round in $(seq "$rounds"); do
    for c in $conns; do
        for i in "${!bins[@]}"; do
            echo "wrk.sh: round $round, C=$c, ${bins[$i]}" >&2
            results[$i,$c]+="$(run "${bins[$i]}" "$c")"$'\n'
        done
    done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
rows=()
for c in $conns; do
    for k in 1 2 4; do
        case $k in
            1) metric="wrk -t1 C=$c: requests/s" ;;
            2) metric="wrk -t1 C=$c: p99 latency (ms)" ;;
            4) metric="wrk -t1 C=$c: server peak RSS (KiB)" ;;
        esac
        a=$(printf '%s' "${results[0,$c]}" | awk -v k="$k" 'NF {print $k}' | median)
        if [ ${#bins[@]} -gt 1 ]; then
            b=$(printf '%s' "${results[1,$c]}" | awk -v k="$k" 'NF {print $k}' | median)
            rows+=("$metric"$'\t'"$a"$'\t'"$b"$'\t'"$(ratio "$a" "$b")")
        else
            rows+=("$metric"$'\t'"$a")
        fi
    done
done
errors_a=$(for c in $conns; do printf '%s' "${results[0,$c]}"; done | awk 'NF {s += $3} END {print s + 0}')
if [ ${#bins[@]} -gt 1 ]; then
    errors_b=$(for c in $conns; do printf '%s' "${results[1,$c]}"; done | awk 'NF {s += $3} END {print s + 0}')
    rows+=("wrk: socket errors and non-2xx answers, all runs"$'\t'"$errors_a"$'\t'"$errors_b"$'\t')
else
    rows+=("wrk: socket errors and non-2xx answers, all runs"$'\t'"$errors_a")
fi

echo
echo "wrk -t1, $secs s per run, median of $rounds rounds ($(nproc) cores)"
echo "  A = ${bins[0]}"
[ ${#bins[@]} -lt 2 ] || echo "  B = ${bins[1]}"
for row in "${rows[@]}"; do
    IFS=$'\t' read -r metric a b r <<<"$row"
    printf '%-44s %12s %12s %8s\n' "$metric" "$a" "${b:-}" "${r:-}"
done
if [ -n "$summary" ]; then
    printf '%s\n' "${rows[@]}" >>"$summary"
fi
