#!/usr/bin/env bash
# Builds the deployable handler: a static x86_64 Linux (musl) binary at ./handler, executable,
# which is what host.json's defaultExecutablePath names. Used by VS Code's "build handler" task
# (which the "func: host start" task and "Deploy to Function App" run first) and by CI.
set -euo pipefail
cd "$(dirname "$0")"

target=x86_64-unknown-linux-musl
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "build.sh: installing the Rust target $target (rustup target add $target)" >&2
    if ! rustup target add "$target" >&2; then
        echo "build.sh: cannot install $target; run 'rustup target add $target' with network access, then retry" >&2
        exit 1
    fi
fi

cargo build --release --target "$target" --bin handler
install -m 755 "target/$target/release/handler" ./handler
# The release build keeps its symbol table for the linker's function ordering (Cargo.toml);
# the deployed binary needs none. The toolchain's rust-objcopy reads ELF on any host (macOS's
# strip does not); binutils' strip is the fallback.
sysroot=$(rustc --print sysroot)
objcopy="$sysroot/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-objcopy"
if ! LD_LIBRARY_PATH="$sysroot/lib" DYLD_LIBRARY_PATH="$sysroot/lib" "$objcopy" --strip-all ./handler 2>/dev/null &&
    ! strip ./handler; then
    echo "build.sh: cannot strip ./handler (neither rust-objcopy nor strip worked)" >&2
    exit 1
fi

# A dynamically linked binary names its loader in a PT_INTERP segment; a static one has none.
if command -v readelf >/dev/null 2>&1; then
    dynamic=$(readelf -l ./handler | grep -c 'INTERP' || true)
else
    dynamic=$(grep -c 'ld-linux\|ld-musl' ./handler || true)
fi
if [ "$dynamic" != 0 ]; then
    echo "build.sh: ./handler is dynamically linked; check .cargo/config.toml" >&2
    exit 1
fi

# func start prompts for a worker runtime without local.settings.json; it is git-ignored
# (it may hold secrets), so make it from the checked-in example the first time.
[ -f local.settings.json ] || cp local.settings.example.json local.settings.json

size=$(wc -c < ./handler)
echo "./handler: static x86_64 musl executable, $size bytes ($(( (size + 1023) / 1024 )) KiB)"
