#!/usr/bin/env bash
# Writes link/hot-symbols.txt: the functions the deployable handler runs to start, answer the
# host's probe, serve HelloRust in forwarding and in payload mode, serve concurrent clients, and
# settle at idle. build.rs has rust-lld place them first, so that start-up and the request path
# share a few 64 KiB pages of code and the kernel's fault-around does not map the rest of the
# binary into an idle handler.
#
#   link/profile.sh           rewrite link/hot-symbols.txt (three profiles, merged; about 1 min)
#   link/profile.sh --check   profile once and fail if the committed list misses what ran, or
#                             if start-up and the request path take a third 64 KiB window
#
# Run it after changing what runs at start-up or per request, after changing the compiler
# (rust-toolchain.toml) or the crate's version: symbol names hash a function's path, the crate's
# version and the compiler's, never its body, so edits inside a function keep the list valid.
# benches/run.sh shows idle RSS.
#
# How: gdb sets a breakpoint at the entry of every function of the release build, which keeps
# its symbol table until ./build.sh strips it, and records each one the handler reaches, once.
# It sees every function these runs reach, musl's assembly ones too, but only those: a path no
# run takes stays where the linker puts it.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # one sort order for the list, on every machine

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) sed -n '8,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

die() { echo "profile.sh: $*" >&2; exit 1; }

if ! command -v gdb >/dev/null; then
    echo "profile.sh: installing gdb (apt-get install gdb)" >&2
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    { $sudo apt-get install -y gdb || { $sudo apt-get update && $sudo apt-get install -y gdb; }; } \
        >/dev/null 2>&1 || true
    command -v gdb >/dev/null || die "cannot install gdb; install it and retry"
fi
for tool in curl nm python3; do command -v "$tool" >/dev/null || die "needs $tool"; done

# An idle handler's pool lets its extra workers go after WORKER_IDLE_EXIT; that code runs in
# every idle handler, so the forwarding profile waits for it.
idle_exit=$(sed -n 's/^pub const WORKER_IDLE_EXIT: Duration = Duration::from_secs(\([0-9]*\));/\1/p' \
    src/http/limits.rs)
[ -n "$idle_exit" ] || die "cannot read WORKER_IDLE_EXIT from src/http/limits.rs"

target=x86_64-unknown-linux-musl
cargo build --quiet --release --target "$target" --bin handler
bin=$PWD/target/$target/release/handler

work=$(mktemp -d)
gdb_pid=
trap '[ -z "$gdb_pid" ] || kill "$gdb_pid" 2>/dev/null; rm -rf "$work"' EXIT

# Run by gdb: breakpoints that record their function's names and never stop the handler.
cat >"$work/trace.py" <<'EOF'
import os, subprocess, gdb
binary, out_path, pid_path = os.environ["TRACE_BIN"], os.environ["TRACE_OUT"], os.environ["TRACE_PID"]
names = {}  # entry address -> every name at it (musl's aliases share one entry)
for line in subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    fields = line.split()
    if len(fields) == 3 and fields[1] in "tTwW":
        names.setdefault(int(fields[0], 16), []).append(fields[2])
out = open(out_path, "w")
class Entry(gdb.Breakpoint):
    def stop(self):
        if not self.seen:
            self.seen = True
            out.write("\n".join(self.names) + "\n")
            out.flush()
            gdb.post_event(self.delete)  # one trap per function, not one per call
        return False
gdb.execute("set pagination off")
# All-stop: with threads running while a breakpoint is deleted, gdb can lose a hit and leave a
# thread at a half-removed breakpoint (SIGSEGV in the traced handler).
gdb.execute("maint set target-non-stop off")
gdb.execute("starti")  # loaded and relocated, nothing run yet
start = next(addr for addr, ns in names.items() if "_start" in ns)
base = int(gdb.parse_and_eval("$pc")) - start
out.write("\n".join(names[start]) + "\n")  # the entry point ran before any breakpoint was set
for addr, ns in names.items():
    entry = Entry(f"*{base + addr:#x}", internal=True)
    entry.names, entry.seen = ns, False
open(pid_path, "w").write(str(gdb.selected_inferior().pid))
gdb.execute("continue")
EOF

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# profile MODE RUN: run the handler under gdb in a copy of the app, with forwarding on
# (forwarding, load) or off (payload), send what the host sends in that case, then stop it.
profile() {
    local mode=$1 run=$2 app=$work/$1-$2 port
    local log=$work/$mode-$run.log
    # The whole app, as deployed: every function the table registers has its folder, or the
    # handler warns at start-up about those without one, and that code would run here alone.
    mkdir -p "$app" && cp host.json "$app/"
    for json in */function.json; do cp -r "${json%/function.json}" "$app/"; done
    mkdir "$app/static" # a folder that is no function, as beside a local app (src/, target/)
    if [ "$mode" = payload ]; then
        sed -i 's/"enableForwardingHttpRequest": true/"enableForwardingHttpRequest": false/' "$app/host.json"
        grep -q '"enableForwardingHttpRequest": false' "$app/host.json" || die "cannot turn forwarding off"
    fi
    port=$(free_port)
    (cd "$app" && TRACE_BIN=$bin TRACE_OUT=$work/$mode-$run.txt TRACE_PID=$work/$mode-$run.pid \
        FUNCTIONS_CUSTOMHANDLER_PORT=$port exec gdb -q -batch -nx -ex "file $bin" -x "$work/trace.py" \
        >"$log" 2>&1) &
    gdb_pid=$!
    local url=http://127.0.0.1:$port up=0
    for _ in $(seq 300); do
        if curl -s -o /dev/null "$url/"; then up=1; break; fi
        sleep 0.1
    done
    [ "$up" = 1 ] || die "the handler under gdb did not answer: $(tail -3 "$log")"
    # Read the log when it fails, not before.
    unserved() { die "the handler under gdb did not serve $mode (port $port taken?): $(tail -3 "$log")"; }
    case $mode in
    forwarding)
        curl -sf -o /dev/null "$url/api/HelloRust?name=Profile" || unserved
        curl -sf -o /dev/null "$url/api/HelloRust" || unserved
        curl -sf -o /dev/null -d 'name=Profile' "$url/api/HelloRust" || unserved
        sleep $((idle_exit + 1)) # the pool settles: extra workers exit
        ;;
    payload)
        curl -sf -o /dev/null -H 'Content-Type: application/json' "$url/HelloRust" -d \
            '{"Data":{"req":{"Url":"http://localhost:7071/api/HelloRust?name=Profile","Method":"GET","Query":{"name":"Profile"},"Headers":{"Host":["localhost:7071"]}}},"Metadata":{"name":"Profile","sys":{"MethodName":"HelloRust"}}}' ||
            unserved
        ;;
    load)
        # Ordinary service: keep-alive clients, some busy and some pausing, more of them than
        # may linger, so the pool, the sweeper and their hand-overs run too.
        python3 - "$port" <<'LOAD' || unserved
import http.client, sys, threading, time
failed = []
def client(i):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
        for _ in range(8):
            conn.request("GET", "/api/HelloRust?name=Profile")
            answer = conn.getresponse()
            if answer.status != 200 or not answer.read():
                failed.append(f"status {answer.status}")
            time.sleep(0.002 * (i % 3))
    except Exception as e:
        failed.append(repr(e))
threads = [threading.Thread(target=client, args=(i,)) for i in range(48)]
for t in threads: t.start()
for t in threads: t.join()
if failed:
    sys.exit(f"{len(failed)} clients failed under load, first: {failed[0]}")
LOAD
        ;;
    esac
    sleep 0.5 # let a lingering worker go back to waiting, as an idle handler's would
    kill -TERM "$(cat "$work/$mode-$run.pid")"
    wait "$gdb_pid" 2>/dev/null || true
    gdb_pid=
    grep -q . "$work/$mode-$run.txt" || die "gdb recorded nothing: $(tail -3 "$log")"
}

# A path taken only sometimes (a contended lock, say) may be missed by one profile, so the list
# merges three; the check profiles once. Each tier keeps what the tiers before it lack.
runs=3
[ "$check" = 0 ] || runs=1
for run in $(seq "$runs"); do
    for mode in forwarding payload load; do profile "$mode" "$run"; done
done
tier() { sort -u "$work/$1"-*.txt; }
tier forwarding >"$work/1"
tier payload | comm -23 - "$work/1" >"$work/2"
tier load | comm -23 - <(sort -u "$work/1" "$work/2") >"$work/3"

# Three tiers, in this order, so that each costs only the pages it needs: an idle handler of the
# shipped (forwarding) app maps the first; payload mode adds the second; load adds the third.
# rust-lld skips the '#' comments.
fresh=$work/hot-symbols.txt
{
    echo "# Written by link/profile.sh. 1: start-up, requests in forwarding mode, settling at idle"
    cat "$work/1"
    echo "# 2: payload mode"
    cat "$work/2"
    echo "# 3: concurrent keep-alive clients"
    cat "$work/3"
} >"$fresh"

if [ "$check" = 1 ]; then
    # One unlisted function far from the others costs a 64 KiB window of code, so every function
    # of tiers 1 and 2 must be listed; under load, which paths run varies more, so tier 3 must
    # have 95 % of its bytes listed. And the build must place the list first: build.rs.
    nm -S "$bin" | python3 -c '
import sys
where, size = {}, {}
for line in sys.stdin:
    p = line.split()
    if len(p) >= 3 and p[-2] in "tTwW":
        where[p[-1]], size[p[-1]] = int(p[0], 16), int(p[1], 16) if len(p) == 4 else 0
def tiers(path):  # each "#" header opens a tier, empty or not, so tier n stays tier n
    found = []
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            found.append(set())
        elif line:
            found[-1].add(line)
    return found
fresh = tiers(sys.argv[1])
listed = set().union(*tiers(sys.argv[2]))
placed = [s for s in listed if s in where]
end = max((where[s] + size[s] for s in placed), default=0)
# musl keeps a few one-byte stubs in the sections of listed functions; 4 KiB is one page.
stray = sum(size[s] for s in where if s not in listed and where[s] < end)
first = bool(placed) and stray <= 4096
print(f"link/hot-symbols.txt: {len(placed)} of {len(listed)} listed names are in the build, "
      + ("all placed first" if first else "NOT placed first"))
if not first:
    sys.exit("profile.sh: the linker did not place the list first; see build.rs")
stale = []
for n, tier in enumerate(fresh, 1):
    unlisted = sorted(tier - listed, key=lambda s: -size.get(s, 0))
    hot = sum(size.get(s, 0) for s in tier)
    covered = hot - sum(size.get(s, 0) for s in unlisted)
    print(f"  tier {n}: {len(tier)} functions ran, {len(unlisted)} unlisted; "
          f"{covered} of {hot} bytes listed")
    for s in unlisted[:5]:
        print(f"    unlisted: {size.get(s, 0):6} {s}")
    if (n < 3 and unlisted) or covered < 0.95 * hot:
        stale.append(str(n))
# The 64 KiB windows of code an idle handler maps (segments are aligned to 64 KiB, so these
# addresses fall in the same windows at run time), and the room left in the last one before
# start-up and the request path would take another. They are judged on the committed first
# tier, which the build places first, not on what this one profile ran: on a loaded machine a
# path of a later tier (a contended lock, a hand-off) may run here too, and would make the
# check fail at random. With a stale list the functions are not placed as listed, so the
# windows are judged only with a current list.
first_tier = [s for s in tiers(sys.argv[2])[0] if s in where]
# Said, not failed: a function of a later tier that ran here may have run only because the
# machine was loaded; one that runs at rest every time costs a window, and belongs in tier 1.
placed_first = set(first_tier)
later = sorted(s for s in fresh[0] if s in listed and s not in placed_first)
if later:
    names = ", ".join(later[:3])
    print(f"  tier 1 ran {len(later)} function(s) of later tiers this time: {names}")
start, end = min(where[s] for s in first_tier), max(where[s] + size[s] for s in first_tier)
window = 64 * 1024
windows = (end - 1) // window - start // window + 1
print(f"  tier 1 spans {windows} windows of 64 KiB, {(-end) % window} bytes short of one more")
# A third window is 64 KiB more in every idle handler: a step, not a drift, so it is checked.
if windows > 2 and not stale:
    sys.exit("profile.sh: start-up and the request path take a third 64 KiB window (64 KiB more "
             "at rest): make them smaller, or move what they do not read out of the way "
             "(link/init-first.ld)")
if stale:
    which = " and ".join(stale)
    sys.exit(f"profile.sh: tier {which} of the list is stale: "
             "run link/profile.sh and commit link/hot-symbols.txt")
' "$fresh" link/hot-symbols.txt
else
    cp "$fresh" link/hot-symbols.txt
    echo "link/hot-symbols.txt: $(grep -vc '^#' link/hot-symbols.txt) names"
fi
