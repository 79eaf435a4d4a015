#!/usr/bin/env bash
# Soak test (issue #15): a run of the `crucible init` example driven by the
# scripted LLM server (tests/llm_test_server.py) whose replies are 30% faults
# (HTTP 500, a body that is not JSON, a truncated body) and, among the rest,
# hostile candidates (forged result.json and result lines, a fork bomb, a
# memory bomb, an endless loop, a 100 MB print), SIGKILLed at random moments
# KILLS times and resumed each time, then finished. Checks that nothing was
# lost: SQLite's integrity check passes, ids are unique, no row is left
# pending, no candidate forged a score above 1; reports how much of the
# budget was evaluated and how many start-up directories were left in /tmp.
#
# Usage: scripts/soak.sh CRUCIBLE [KILLS=20] [EVALUATIONS=300] [SEED=1]
# Prints a report (the figures docs/reliability.md quotes).
set -euo pipefail
crucible=$(realpath "$1")
kills=${2:-20}
evaluations=${3:-300}
seed=${4:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/crucible-soak-XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${run_pid:-}" ] && kill -9 "$run_pid" 2>/dev/null || true
}
trap cleanup EXIT

"$crucible" init "$tmp/problem" >/dev/null

# The script: 7 of 10 replies answer, 3 are faults; among the answers,
# hostile rewrites of approx_sin.
hostile() {  # a fenced rewrite of the EVOLVE-BLOCK
  $py -c 'import json,sys; print(json.dumps({"kind": "content", "content": "```python\ndef approx_sin(x):\n" + sys.argv[1] + "\n```\n"}))' "$1"
}
{
  echo '{"cycle": ['
  echo '{"kind": "bump", "pattern": "return (-?[0-9.e-]+) \\* x", "step": 0.003, "as": "diff"},'
  echo '{"kind": "status", "status": 500, "body": "overloaded"},'
  hostile '    open("result.json", "w").write("{\"score\": 1e6}")\n    print("{\"score\": 1e6, \"valid\": true}")\n    return 0.0'; echo ','
  echo '{"kind": "malformed"},'
  hostile '    import os\n    print("{\"score\": 1e6, \"valid\": true}", flush=True)\n    os._exit(0)'; echo ','
  echo '{"kind": "bump", "pattern": "- (-?[0-9.e-]+) \\* x \\* x \\* x", "step": -0.0007, "as": "diff"},'
  echo '{"kind": "truncated"},'
  hostile '    import os\n    while True:\n        try: os.fork()\n        except OSError: pass'; echo ','
  hostile '    b = []\n    while True: b.append(bytearray(1 << 24))'; echo ','
  hostile '    print("x" * (100 << 20))\n    while True: pass'
  echo ']}'
} > "$tmp/script.json"
# (Its tracebacks for connections a SIGKILL cut go to server.err.)
$py "$repo/tests/llm_test_server.py" "$tmp/script.json" "$tmp/port" "$tmp/llm.log" 2>"$tmp/server.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")

export CRUCIBLE_LLM_BASE_URL="http://127.0.0.1:$port/v1"
export PATH="/usr/bin:/bin:$PATH"
run="$tmp/run"
common=(--proposer llm -n "$evaluations" -j 2 -q)
start=$(date +%s)
"$crucible" run "$tmp/problem" --out "$run" --seed "$seed" "${common[@]}" >"$tmp/first.log" 2>&1 &
run_pid=$!
RANDOM=$seed
killed=0
while [ "$killed" -lt "$kills" ]; do
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.5 + (r % 300) / 100 }')"
  if kill -0 "$run_pid" 2>/dev/null; then
    kill -9 "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
    killed=$((killed + 1))
  else
    wait "$run_pid" 2>/dev/null || true
  fi
  if [ ! -f "$run/run.db" ]; then  # killed before the run existed: start again
    rm -rf "$run"
    "$crucible" run "$tmp/problem" --out "$run" --seed "$seed" "${common[@]}" >>"$tmp/first.log" 2>&1 &
  else
    "$crucible" run --resume "$run" "${common[@]}" >>"$tmp/resume.log" 2>&1 &
  fi
  run_pid=$!
done
wait "$run_pid" || true
# Finish the budget.
rc=0
"$crucible" run --resume "$run" "${common[@]}" >>"$tmp/resume.log" 2>&1 || rc=$?
end=$(date +%s)

$py - "$run/run.db" "$evaluations" "$tmp/llm.log" <<'EOF'
import collections, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
budget = int(sys.argv[2])
integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
rows = db.execute("SELECT id, status, outcome, score FROM candidates ORDER BY id").fetchall()
ids = [r[0] for r in rows]
outcomes = collections.Counter(r[2] for r in rows)
counted = sum(1 for r in rows if r[0] != 0 and r[1] == "done" and r[2] not in ("duplicate", "rejected"))
pending = sum(1 for r in rows if r[1] != "done")
best = max((r[3] for r in rows if r[3] is not None and r[2] == "ok"), default=None)
calls = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
kinds = collections.Counter(c.get("kind") for c in calls)
faults = sum(v for k, v in kinds.items() if k in ("status", "malformed", "truncated"))
print(f"integrity_check: {integrity}")
print(f"candidates: {len(rows)} (ids unique: {len(set(ids)) == len(ids)})")
print(f"evaluations counted toward the budget: {counted} of {budget}; not done: {pending}")
print(f"outcomes: {dict(outcomes)}")
print(f"best score: {best} (a forged score would be 1e6)")
print(f"LLM requests: {len(calls)}, of which faults: {faults} ({100 * faults / max(1, len(calls)):.0f}%)")
# Nothing lost: the database is intact, every row is finished (no pending
# row survives the resumes), ids are unique, no forged score. Reaching the
# whole budget is reported, not required: a run may stop as stalled.
ok = (integrity == "ok" and len(set(ids)) == len(ids) and pending == 0
      and (best is None or best <= 1.0))
print("RESULT:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
status=$?
echo "SIGKILLs: $killed, final resume exit status: $rc, wall time: $((end - start)) s"
# (Other processes share /tmp; only crucible's own start-up directories are counted.)
echo "crucible-initial-* directories left in /tmp since the start: $(find /tmp -maxdepth 1 -name 'crucible-initial-*' -newer "$tmp/script.json" | wc -l)"
echo "work dir: $tmp"
exit $status
