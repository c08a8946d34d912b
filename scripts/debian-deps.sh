#!/usr/bin/env bash
# The Debian 12 packages wasmo builds with: CMake and g++ for the native engine (host-shim/),
# xbyak for its x86-64 encoder, FlatBuffers (headers and flatc) for artifact metadata; clang-19 and
# lld-19 for the tests and benchmarks that compile C to wasm32 (test/bench.test.ts, bench/), with
# wasi-libc and the wasm32 compiler-rt for WASI programs (scripts/wasi-cc.sh: examples/hello.c,
# test/wasi/); libFuzzer and the sanitizer runtimes for clang-19 for the native front end's fuzz
# target (scripts/fuzz-native.sh); LLVM 19 (static libraries and headers) for the optimizing
# compiler. Runs apt-get through sudo unless already root.
set -euo pipefail
packages=(cmake g++ libxbyak-dev libflatbuffers-dev flatbuffers-compiler clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32
  libclang-rt-19-dev libfuzzer-19-dev llvm-19-dev)
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -o DPkg::Lock::Timeout=600
"${sudo[@]}" apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
