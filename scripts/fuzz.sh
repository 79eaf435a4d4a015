#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with Debian's clang-15 and runs each for
# SECONDS (default 30) on its seed corpus (fuzz/corpus/NAME; inputs it finds go
# to BUILD/corpus/NAME). Exit status 1 if a target crashed, leaked, hung or
# ran out of memory; its reproducer is in BUILD/artifacts/ and its log in
# BUILD/NAME.log. BUILD is $FUZZ_BUILD_DIR, default build/fuzz.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# The mutation seed is $FUZZ_SEED, default 1, so that a failure in CI is found
# again by the same command on another machine (given as much time); explore
# new ground with FUZZ_SEED=0 (a random seed, printed in the log). An input
# that ever failed belongs in fuzz/corpus/NAME, so every later run tries it.
# The default targets are all six (what .ci/run runs): four parsers that build
# from a handful of files, and problem.yaml / OpenEvolve config.yaml reading,
# which link the configuration library and the options of what it configures.
# Besides fuzz/corpus/NAME, the configuration targets are seeded from the
# repository's own problem.yaml and config.yaml files (repo_seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(evaluator_json_fuzz run_db_rows_fuzz patch_fuzz reply_fuzz
                                     config_fuzz openevolve_config_fuzz)
cxx=${FUZZ_CXX:-clang++-15}
build=${FUZZ_BUILD_DIR:-build/fuzz}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (scripts/install-deps.sh --test installs clang-15)"; exit 1; }

start=$SECONDS
# -O1 with line tables only: what libFuzzer's documentation builds with; a
# cheaper build than -O2 -g, and stack traces still name lines.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DCRUCIBLE_FUZZ=ON -DCRUCIBLE_BUILD_TESTS=OFF -DCRUCIBLE_BUILD_BENCH=OFF -DCRUCIBLE_SANITIZED=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build "$build" -j "${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"
echo "fuzz: built in $((SECONDS - start)) s"

# Seeds that live elsewhere in the repository, copied so they never drift.
repo_seeds() {
  case $1 in
    config) find problems examples -name problem.yaml; ls src/config/testdata/*.json ;;
    openevolve_config) find tests/data/openevolve -name '*.yaml' ;;
  esac
}

mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  work=$build/corpus/$name
  seeds=$build/seeds/$name
  rm -rf "$seeds"
  mkdir -p "$work" "$seeds"
  for f in $(repo_seeds "$name"); do cp "$f" "$seeds/${f//\//_}"; done
  corpora=("$work" "$seeds")
  [ -d "fuzz/corpus/$name" ] && corpora+=("fuzz/corpus/$name")
  dict=()
  [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -seed="${FUZZ_SEED:-1}" \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
       "${dict[@]}" "${corpora[@]}" 2>"$build/$name.log"; then
    echo "fuzz: $t FAILED (see $build/$name.log)"; tail -30 "$build/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$name.log" | tr -s ' ' | tr '\n' ' '
    echo
  fi
done
echo "fuzz: done in $((SECONDS - start)) s"
exit $status
