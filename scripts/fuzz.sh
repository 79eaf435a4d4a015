#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with Debian's clang-15 in build/fuzz and
# runs each for SECONDS (default 30) on its seed corpus (fuzz/corpus/NAME; new
# inputs go to build/fuzz/corpus/NAME). Exit status 1 if a target crashed,
# leaked or timed out (its reproducer is in build/fuzz/artifacts/).
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(evaluator_json_fuzz run_db_rows_fuzz patch_fuzz config_fuzz reply_fuzz)
cxx=${FUZZ_CXX:-clang++-15}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (scripts/install-deps.sh installs clang-15)"; exit 1; }

cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DCRUCIBLE_FUZZ=ON -DCRUCIBLE_BUILD_TESTS=OFF -DCRUCIBLE_BUILD_BENCH=OFF -DCRUCIBLE_SANITIZED=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build build/fuzz -j "${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"

mkdir -p build/fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  work=build/fuzz/corpus/$name
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  if ! "build/fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/"$name"- \
       "$work" "fuzz/corpus/$name" 2>build/fuzz/"$name".log; then
    echo "fuzz: $t FAILED (see build/fuzz/$name.log)"; tail -30 build/fuzz/"$name".log
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build/fuzz/"$name".log | tr '\n' ' '
    echo
  fi
done
exit $status
