#!/usr/bin/env bash
# Compiles C to a WASI preview1 program with Debian's clang-19 and wasi-libc:
#   scripts/wasi-cc.sh prog.c -o prog.wasm [clang options…]
# Debian installs wasi-libc's headers and libraries per target but no sysroot; a sysroot of two
# symlinks gives clang exactly those and keeps the host's headers out.
set -euo pipefail
for need in clang-19 wasm-ld-19; do
  command -v "$need" >/dev/null || { echo "wasi-cc: $need is missing: run scripts/debian-deps.sh (clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)" >&2; exit 127; }
done
[ -d /usr/include/wasm32-wasi ] && [ -d /usr/lib/wasm32-wasi ] || { echo "wasi-cc: wasi-libc is missing: run scripts/debian-deps.sh" >&2; exit 127; }
sysroot="${WASMO_WASI_SYSROOT:-${TMPDIR:-/tmp}/wasmo-wasi-sysroot}"
mkdir -p "$sysroot/include" "$sysroot/lib"
ln -sfn /usr/include/wasm32-wasi "$sysroot/include/wasm32-wasi"
ln -sfn /usr/lib/wasm32-wasi "$sysroot/lib/wasm32-wasi"
# --strip-debug: wasi-libc's archives carry DWARF that would make a hello world 130 KB.
exec clang-19 --target=wasm32-wasi --sysroot="$sysroot" -O2 -Wl,--strip-debug "$@"
