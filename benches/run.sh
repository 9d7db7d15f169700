#!/usr/bin/env bash
# Benchmark cold start: builds the deployable handler (static x86_64 musl, release), reports its
# stripped size and that it is static, then times its cold start, throughput and latency under
# paced clients, and prints one table. With --vs PATH, a second handler (any binary that speaks
# the custom-handler contract: port from FUNCTIONS_CUSTOMHANDLER_PORT, GET /api/HelloRust?name=X)
# is measured in the same run, interleaved, side by side with the ratio A/B.
#
#   benches/run.sh [--vs PATH] [--quick]
#
# --quick: fewer starts and 0.5 s load runs, for a CI smoke test (about 40 s once built, on two cores).
# Figures only: nothing here passes or fails on a timing.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
    echo "run.sh: $*" >&2
    exit 1
}

vs=""
quick=0
while [ $# -gt 0 ]; do
    case "$1" in
        --vs)
            [ $# -ge 2 ] || die "--vs needs the path of the other handler binary"
            vs=$2
            shift 2
            ;;
        --vs=*)
            vs=${1#--vs=}
            shift
            ;;
        --quick)
            quick=1
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "unknown argument: $1"
            ;;
    esac
done
if [ -n "$vs" ]; then
    [ -f "$vs" ] && [ -x "$vs" ] || die "--vs $vs: not an executable file"
    vs=$(cd "$(dirname "$vs")" && pwd)/$(basename "$vs")
fi

command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (https://rustup.rs)"
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    command -v rustup >/dev/null 2>&1 ||
        die "rustup not found, and the Rust target $target is needed: install Rust with rustup (https://rustup.rs)"
    echo "run.sh: installing the Rust target $target (rustup target add $target)" >&2
    rustup target add "$target" >&2 ||
        die "cannot install the Rust target $target: run 'rustup target add $target' with network access, then retry"
fi

echo "run.sh: building the deployable binary (cargo build --release --target $target)" >&2
cargo build --release --target "$target" --bin handler >&2
bin=$PWD/target/$target/release/handler

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The size the app deploys: stripped. The release build keeps its symbol table for the link
# order (build.rs) and build.sh strips it; so does this.
stripped_size() {
    local copy
    copy="$work/stripped-$(basename "$1")-$RANDOM"
    cp "$1" "$copy"
    if command -v strip >/dev/null 2>&1; then
        strip "$copy" 2>/dev/null || true
    fi
    stat -c %s "$copy"
}

# Static: no PT_INTERP program header (no dynamic loader) and no DT_NEEDED entry (no shared
# library). Rust's musl binaries are static-pie by default (this one is not: .cargo/config.toml),
# which keep a dynamic section for relocating themselves, so "has a dynamic section" is not the
# test.
u_at() { # unsigned little-endian integer of $3 bytes at offset $2 of file $1
    od -An -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' '
}
is_static() {
    if command -v readelf >/dev/null 2>&1; then
        local headers
        headers=$(readelf -lW "$1" && readelf -dW "$1") || return 1
        ! grep -qE 'INTERP|\(NEEDED\)' <<<"$headers"
        return
    fi
    # No binutils: read the 64-bit ELF header with od and look for a PT_INTERP (3) header.
    [ "$(od -An -c -N 4 "$1" | tr -d ' ')" = '177ELF' ] || return 1
    local phoff phentsize phnum i
    phoff=$(u_at "$1" 32 8)
    phentsize=$(u_at "$1" 54 2)
    phnum=$(u_at "$1" 56 2)
    for ((i = 0; i < phnum; i++)); do
        [ "$(u_at "$1" $((phoff + i * phentsize)) 4)" != 3 ] || return 1
    done
}
linkage() {
    if is_static "$1"; then echo static; else echo dynamic; fi
}

size_a=$(stripped_size "$bin")
link_a=$(linkage "$bin")
[ "$link_a" = static ] || echo "run.sh: WARNING: $bin is dynamically linked; check .cargo/config.toml" >&2
size_b=""
link_b=""
if [ -n "$vs" ]; then
    size_b=$(stripped_size "$vs")
    link_b=$(linkage "$vs")
fi

summary=$work/summary.tsv
args=(--bin "$bin" --summary "$summary")
[ -z "$vs" ] || args+=(--vs "$vs")
[ "$quick" = 0 ] || args+=(--quick)
# The benches drive the load: the generator is built optimized but without the release
# profile's fat LTO, which only slows the build (the handler measured is built above as deployed).
export CARGO_PROFILE_BENCH_LTO=false CARGO_PROFILE_BENCH_CODEGEN_UNITS=16
for bench in startup throughput paced; do
    echo "run.sh: cargo bench --bench $bench -- ${args[*]}" >&2
    cargo bench --bench "$bench" -- "${args[@]}" >/dev/null
done
# A quiet app: the host's pooled connections, a request on each every second or so.
if [ "$quick" = 0 ]; then
    quiet=(--conns 8 --pause-ms 600,1000 --secs 5 --rounds 2)
    echo "run.sh: cargo bench --bench paced -- ${args[*]} ${quiet[*]}" >&2
    cargo bench --bench paced -- "${args[@]}" "${quiet[@]}" >/dev/null
    # A quiet connection among busy ones: how soon the sweeper notices it.
    # Its p99 is a percentile of ~700 samples a binary: of fewer, it is one unlucky pause.
    beside=(--conns 1 --pause-ms 20,50 --busy 128 --secs 6 --rounds 4)
    echo "run.sh: cargo bench --bench paced -- ${args[*]} ${beside[*]}" >&2
    cargo bench --bench paced -- "${args[@]}" "${beside[@]}" >/dev/null
fi
# wrk, the load generator reviewers use, when it is installed (apt-get install wrk).
if command -v wrk >/dev/null 2>&1; then
    wrk_args=(--bin "$bin" --summary "$summary")
    [ -z "$vs" ] || wrk_args+=(--vs "$vs")
    [ "$quick" = 0 ] || wrk_args+=(--secs 1 --rounds 1)
    echo "run.sh: benches/wrk.sh ${wrk_args[*]}" >&2
    benches/wrk.sh "${wrk_args[@]}" >/dev/null
else
    echo "run.sh: wrk not found (apt-get install wrk): skipping the wrk rows" >&2
fi

# One table: size, then what the benches appended to the summary.
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
line() {
    if [ -n "$vs" ]; then
        printf '%-56s %12s %12s %8s\n' "$1" "$2" "$3" "$4"
    else
        printf '%-56s %12s\n' "$1" "$2"
    fi
}
echo
echo "Handler benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores$([ "$quick" = 0 ] || echo ', --quick'))"
echo "  A = $bin"
[ -z "$vs" ] || echo "  B = $vs"
echo
line "" "A" "B" "A/B"
line "binary size, stripped (KiB)" "$(kib "$size_a")" "${size_b:+$(kib "$size_b")}" \
    "${size_b:+$(ratio "$size_a" "$size_b")}"
line "linkage" "$link_a" "$link_b" ""
while IFS=$'\t' read -r metric a b r; do
    line "$metric" "$a" "$b" "$r"
done <"$summary"
