#!/usr/bin/env bash
# libFuzzer over the native front end (host-shim/fuzz/fuzz_native.cpp): builds build/fuzz with
# clang++-19, ASan and UBSan, writes the testsuite's modules as seeds into build/fuzz/seeds once, and
# runs the target on a working corpus (build/fuzz/corpus) plus the seeds. Arguments go to libFuzzer,
# e.g. `npm run fuzz:native -- -runs=1000000` or `-max_total_time=900`; findings land in
# build/fuzz/findings; `npm run fuzz:native -- FILE...` runs the files once. WASMO_FUZZ_BUILD_ONLY=1
# only builds.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S host-shim -B build/fuzz -DWASMO_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
cmake --build build/fuzz --target wasmo-fuzz -j2
[ "${WASMO_FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-19 || command -v llvm-symbolizer || true)}"
# Files instead of options: run each once (a finding, a regression input).
[ $# -gt 0 ] && [ -f "$1" ] && exec build/fuzz/wasmo-fuzz "$@"
[ -d build/fuzz/seeds ] || npx vite-node test/fuzz/seeds.ts -- build/fuzz/seeds
mkdir -p build/fuzz/corpus build/fuzz/findings
exec build/fuzz/wasmo-fuzz -artifact_prefix=build/fuzz/findings/ "$@" build/fuzz/corpus build/fuzz/seeds
