// Engine overhead per candidate: the whole loop (select, propose, pre-check,
// store writes, archive insert) with an in-process evaluator that does no
// work, measured as the run grows. Prints a table.
//
// Goal (issue #2): at most 100 us per candidate including the database write,
// flat as the archive grows. For comparison, OpenEvolve's loop costs ~7 ms
// per iteration at 200 programs and 20-34 ms at 1,000 (REFERENCES.md).
//
// Each size is timed over `--repeat` consecutive windows; the table gives the
// fastest and the median window (the machine is shared: the slow windows are
// other processes' time) and the process's CPU time per candidate (all
// threads, user + system), which other load disturbs less.
//
// Usage: engine_bench [--max N] [--window W] [--jobs J] [--repeat R] [--only counter|mutate]
#include <fmt/format.h>
#include <stdlib.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>
#include <filesystem>
#include <string>

#include "archive/archive.h"
#include "core/hash.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "propose/mutate/mutate_proposer.h"
#include "store/run_store.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

constexpr char kProgram[] =
    "import math\n"
    "# EVOLVE-BLOCK-START\n"
    "def f(x):\n"
    "    a = 0.5 * x + 1.25\n"
    "    b = a * a - 3 * x\n"
    "    if b > 2.0 and x < 10:\n"
    "        b = b / 2 + 1\n"
    "    return a + b * 0.75\n"
    "# EVOLVE-BLOCK-END\n";

// Unique children of constant size for almost no work: what is measured is
// the engine's own overhead.
class CounterProposer final : public Proposer {
 public:
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
    Proposal p;
    std::string text = kProgram;
    text.replace(text.find("1.25"), 4, std::to_string(req.child_id));
    p.program.files.push_back({"p.py", std::move(text)});
    p.info.proposer = "counter";
    return p;
  }
  std::string_view Name() const override { return "counter"; }
  bool RunsInline() const override { return true; }
};

// Scores from the seed; no work.
class NoopEvaluator final : public Evaluator {
 public:
  EvalResult Evaluate(const EvalRequest& req, std::stop_token) override {
    EvalResult r;
    r.outcome = Outcome::kOk;
    r.score = static_cast<double>(req.seed % 100000) / 100000.0;
    r.metrics["m"] = 1;
    r.features["speed"] = static_cast<double>(req.seed % 97);
    r.stage = "full";
    return r;
  }
  std::string Describe() const override { return "no-op"; }
};

struct Timing {
  double wall_us = 0;  // per candidate
  double cpu_us = 0;   // per candidate, all threads of the process
};

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs the engine from `from` to `to` evaluations on an existing store and
// returns the wall and CPU time per candidate of Run() alone.
Timing Segment(RunStore& store, Proposer& proposer, int64_t to, int jobs) {
  ArchiveOptions ao;
  ao.features = {{"code_length", 10, {}, {}}, {"speed", 10, 0.0, 100.0}};
  auto archive = std::move(Archive::Create(ao)).value();
  NoopEvaluator eval;
  SystemClock clock;
  EngineOptions o;
  o.jobs = jobs;
  o.budget.evaluations = to;
  o.max_unevaluated_in_a_row = 1 << 30;
  Engine engine(o, store, *archive, proposer, eval, clock);
  if (Status s = engine.Restore(); !s.ok()) {
    fmt::print(stderr, "restore: {}\n", s.ToString());
    exit(1);
  }
  const int64_t before = *store.CountCandidates();
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto summary = engine.Run({});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = ProcessCpuSeconds() - cpu0;
  if (!summary.ok()) {
    fmt::print(stderr, "run: {}\n", summary.status().ToString());
    exit(1);
  }
  const int64_t made = *store.CountCandidates() - before;
  return Timing{secs * 1e6 / static_cast<double>(made), cpu * 1e6 / static_cast<double>(made)};
}

void Bench(const char* name, Proposer& proposer, int64_t max, int64_t window, int jobs,
           int repeat) {
  char tmpl[] = "/tmp/crucible-enginebench-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  auto store = std::move(RunStore::Create((dir / "run.db").string(), RunMetadata{})).value();
  Candidate c;
  c.id = 0;
  c.program.files.push_back({"p.py", kProgram});
  c.source_hash = NormalizedProgramHash(c.program);
  c.proposal.proposer = "initial";
  c.result.outcome = Outcome::kOk;
  c.result.score = 0;
  (void)store->InsertDone(c);
  fmt::print("\nproposer: {}, jobs {}\n", name, jobs);
  fmt::print("{:>22} {:>14} {:>14} {:>14}\n", "candidates before", "fastest us", "median us",
             "cpu us (med)");
  int64_t done = 0;
  for (int64_t mark = window; mark <= max; mark *= 4) {
    // Grow the run to `mark - window` untimed, then time `repeat` windows.
    const int64_t start = std::max(mark - window, done);
    if (start > done) Segment(*store, proposer, start, jobs);
    std::vector<Timing> t;
    for (int r = 1; r <= repeat; ++r) t.push_back(Segment(*store, proposer, start + r * window, jobs));
    done = start + repeat * window;
    std::sort(t.begin(), t.end(), [](const Timing& a, const Timing& b) { return a.wall_us < b.wall_us; });
    std::vector<double> cpu;
    for (const Timing& x : t) cpu.push_back(x.cpu_us);
    std::sort(cpu.begin(), cpu.end());
    fmt::print("{:>22} {:>14.1f} {:>14.1f} {:>14.1f}\n", start, t.front().wall_us,
               t[t.size() / 2].wall_us, cpu[cpu.size() / 2]);
  }
  store.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crucible

int main(int argc, char** argv) {
  int64_t max = 64000, window = 1000;
  int jobs = 2, repeat = 1;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--max")) max = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--window")) window = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--jobs")) jobs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
  }
  if (only.empty() || only == "counter") {
    crucible::CounterProposer counter;
    crucible::Bench("counter (engine only)", counter, max, window, jobs, repeat);
  }
  if (only.empty() || only == "mutate") {
    auto mutate = crucible::MakeMutateProposer(crucible::MutateOptions{});
    crucible::Bench("mutate (built-in operators)", *mutate, max / 4, window, jobs, repeat);
  }
  return 0;
}
