#!/bin/bash
# Constant tuning side by side (docs/search.md, "Measured: mutation + tuning
# against mutation alone"): for each problem and seed, a run with the
# built-in mutation proposer alone and one with `tuning:` added, the same
# evaluation budget (tuning samples count against it), arms alternated so
# that load drifts hit both; then bench/tuning_summary.py prints the table
# (best train score, its held-out score, tunings and samples).
#
#   bench/tuning_compare.sh CRUCIBLE OUT_DIR [PROBLEM...]
#   env: BUDGET (default 120), SEEDS (default "1 2 3"), JOBS (default 2),
#        TUNING (the tuning: section's body, one key per line),
#        INITIAL (a file copied over the problem's initial program in both
#        arms, e.g. a program with constants; single-file problems only),
#        ARMS (default "off on"; "on" reruns the tuning arm alone)
set -eu
CRU=$1 OUT=$2
shift 2
PROBLEMS=${*:-bin_packing txn_scheduling cant_be_late llm_sql}
BUDGET=${BUDGET:-120}
SEEDS=${SEEDS:-1 2 3}
JOBS=${JOBS:-2}
TUNING=${TUNING:-$'  trigger: island_best\n  budget_share: 0.3\n  evaluations: 18\n  population: 6'}
HERE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
for problem in $PROBLEMS; do
  for seed in $SEEDS; do
    for arm in ${ARMS:-off on}; do
      P=$OUT/problem-$problem-$arm
      rm -rf "$P"
      cp -r "$HERE/problems/$problem" "$P"
      if [ -n "${INITIAL:-}" ]; then
        cp "$INITIAL" "$P/$(sed -n 's/^files: *\[ *\([^],]*\) *\].*/\1/p' "$P/problem.yaml")"
      fi
      if [ "$arm" = on ]; then printf '\ntuning:\n%s\n' "$TUNING" >> "$P/problem.yaml"; fi
      R=$OUT/$problem-$arm-$seed
      rm -rf "$R"
      echo "== $problem $arm seed $seed $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
      nice -n 10 "$CRU" run "$P" --out "$R" -n "$BUDGET" -j "$JOBS" --seed "$seed" --deterministic \
        --proposer mutate -q > "$R.log" 2>&1 || { echo "FAILED (see $R.log)"; tail -3 "$R.log"; }
    done
  done
done
echo "== done $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
python3 "$HERE/bench/tuning_summary.py" "$OUT"
