// Compiled candidates: the machinery shared by built-in problems whose
// candidate is a C++ source file implementing a function declared in a
// problem header (docs/builtin-problems.md).
//
// A harness (running inside crucible's sandbox, docs/sandbox.md) uses it in
// three steps:
//   1. CompileCandidate: candidate + the problem's trusted driver (a main()
//      that reads instances on stdin, calls the candidate, writes answers on
//      stdout) are compiled with flags fixed by the problem into a static
//      executable, cached in CRUCIBLE_CACHE_DIR by a hash of everything that
//      determines the binary, so a candidate is compiled once.
//   2. RunCandidate: the executable runs as a separate child process fed over
//      a pipe, with a wall-clock timeout, rlimits and output caps. Every
//      binary built by CompileCandidate starts at a trusted entry point that
//      installs a seccomp filter before any candidate code (static
//      constructors included) runs: no files, no sockets, no new processes,
//      no exec, no signals to other processes. It can only talk through its
//      stdout, in the answer format the harness parses.
//   3. The harness computes every metric itself from the answers and prints
//      the protocol JSON with HarnessReport.
//
// Thread safety: the functions are thread-compatible and keep no global state.
// RunCandidate starts its child with process/child.h (clone(CLONE_VM |
// CLONE_VFORK), system calls only until exec), so it may run on any thread.
#ifndef CRUCIBLE_PROBLEMS_HARNESS_COMPILED_CANDIDATE_H_
#define CRUCIBLE_PROBLEMS_HARNESS_COMPILED_CANDIDATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/file.h"  // ReadFile, for the problems' data files
#include "core/status.h"

namespace crucible {

// What a problem fixes about how its candidates are built.
struct CompileSpec {
  std::string compiler = "g++";
  // Fixed by the problem; -static is what makes "no file opens" viable at run
  // time (no dynamic loader). CompileCandidate adds the entry-point and
  // include flags itself.
  std::vector<std::string> flags = {"-std=c++20", "-O2", "-static"};
  // The problem's header, written next to the candidate as `header_name` (the
  // candidate includes it with #include "header_name"). The harness's own
  // copy is used, never one from the candidate's directory.
  std::string header_name;
  std::string header_source;
  // The trusted driver: defines main(). Compiled separately from the
  // candidate (its object file is cached too), so the candidate cannot name
  // the driver's internals.
  std::string driver_source;
  // The candidate's source text and the file name shown in compiler messages.
  std::string candidate_source;
  std::string candidate_name = "candidate.cpp";
  // Standard headers (e.g. "algorithm", "cmath") to precompile once per cache
  // and force-include into every candidate (-include): parsing them is most of
  // a small candidate's compile time. Candidates then see them even when they
  // do not include them. Empty: no precompiled header.
  std::vector<std::string> precompiled_headers;
  // Link with ld.lld when it is on PATH (about half the time of GNU ld for a
  // static executable); the choice is part of the cache key.
  bool prefer_lld = true;
  // Where compiled binaries are kept (CRUCIBLE_CACHE_DIR); created if missing.
  // Empty: a private directory under work_dir, i.e. no caching across runs.
  std::string cache_dir;
  // A writable scratch directory for the compiler's inputs and outputs (the
  // harness's working directory).
  std::string work_dir = ".";

  [[nodiscard]] Status Validate() const;
};

// What a problem fixes about its candidates' build: the API header
// (written as header_name), the trusted driver, the name candidates are
// compiled as, and the standard headers worth precompiling.
struct CandidateApi {
  std::string_view header_name;
  std::string_view header_source;
  std::string_view driver_source;
  std::string_view candidate_name;
  std::vector<std::string> precompiled_headers;
};

// The standard headers most numeric candidates use (searches want <random>
// and <cmath>): the precompiled set of problems with no better-fitting list.
inline const std::vector<std::string>& CommonPrecompiledHeaders() {
  static const std::vector<std::string> headers = {"algorithm", "array",  "cmath",   "cstddef",
                                                   "cstdint",   "limits", "numeric", "random",
                                                   "span",      "vector"};
  return headers;
}

// The CompileSpec of one candidate of a problem, with CompileSpec's default
// flags (the caller may change them).
CompileSpec MakeCompileSpec(const CandidateApi& api, std::string candidate_source,
                            std::string cache_dir, std::string work_dir);

struct CompileResult {
  bool ok = false;
  // The executable (inside the cache dir) when ok.
  std::string binary_path;
  // When !ok: the compiler's first errors, trimmed to about 2 KB, with the
  // scratch paths shortened to the bare file names.
  std::string errors;
  bool cached = false;  // served from the cache, nothing was compiled
  double seconds = 0;   // wall time spent (0-ish when cached)
};

// Compiles (or finds in the cache) the candidate. A compile error is data
// (ok == false); a Status error means the compiler could not be run at all or
// the cache is unusable. Safe when several processes compile the same
// candidate at once: each builds into a private temporary file and renames it
// into place atomically.
StatusOr<CompileResult> CompileCandidate(const CompileSpec& spec);

// The cache key: a hash of compiler identity (its --version), flags, header,
// driver, candidate and the sandbox prologue. 16 hex digits.
StatusOr<std::string> CompileCacheKey(const CompileSpec& spec);

struct RunLimits {
  double timeout_seconds = 10;              // wall clock; then SIGKILL
  uint64_t memory_bytes = 1ull << 30;       // RLIMIT_AS of the candidate
  uint64_t stdout_cap_bytes = 64ull << 20;  // beyond it: killed, output_limit
  // Its tail is kept; when more was written, a marker line
  // "[crucible: N bytes omitted]" stands first.
  uint64_t stderr_cap_bytes = 16ull << 10;
};

enum class RunStatus {
  kExited,       // exited by itself; see exit_code
  kSignaled,     // killed by a signal it did not ask for (crash); see signal
  kTimeout,      // the wall-clock limit passed
  kOutputLimit,  // wrote more than stdout_cap_bytes
  kStartFailed,  // could not be started (see error)
};

struct RunOutput {
  RunStatus status = RunStatus::kStartFailed;
  int exit_code = 0;
  int signal = 0;
  std::string stdout_text;
  std::string stderr_text;  // its tail
  double wall_seconds = 0;
  std::string error;  // kStartFailed: why

  // "exited with status 3", "killed by SIGSEGV", "made a forbidden system
  // call (SIGSYS): ...", "timed out after 10 s", ... for feedback.
  std::string Describe() const;
};

// Runs a binary built by CompileCandidate: `input` is written to its stdin
// (concurrently with reading its output, so neither side blocks), then stdin
// is closed. Always waits for the child.
RunOutput RunCandidate(const std::string& binary_path, const std::string& input,
                       const RunLimits& limits);

// The protocol JSON (docs/evaluator-protocol.md) a harness prints.
struct HarnessReport {
  std::optional<double> score;  // required when valid
  bool valid = true;
  std::string outcome;  // "" or compile_error, runtime_error, timeout, invalid, ...
  std::map<std::string, double> metrics;
  std::map<std::string, double> features;
  std::string feedback;
  std::map<std::string, std::string> artifacts;

  // One line of JSON. Non-finite metrics are dropped (JSON has no NaN).
  std::string ToJson() const;
};

// A report for a failure of the candidate: {"outcome": ..., "valid": false,
// "feedback": ...}.
HarnessReport FailureReport(std::string outcome, std::string feedback);

// The exit status a driver uses when the candidate runs out of memory (its
// std::new_handler calls _Exit with it): a memory_limit outcome, not a crash.
inline constexpr int kDriverExitOutOfMemory = 99;

// The report for a run that did not exit cleanly: timeout, memory_limit (exit
// status kDriverExitOutOfMemory) or runtime_error, with the stderr tail.
HarnessReport RunFailureReport(const RunOutput& run);

// Reads the answers of a run that exited with status 0 and computes every
// metric; the candidate's output is untrusted input.
using ScoreFn = std::function<HarnessReport(const RunOutput& run)>;

// The whole evaluation of a compiled candidate: compile (or find in the
// cache), run the binary on `input` within `limits`, and score a clean exit
// with `score`. Every failure on the way is the matching outcome: a compile
// error is compile_error with the compiler's first errors; an unusable
// compiler or a binary that cannot start is runtime_error naming why; a
// crash, timeout or out-of-memory is RunFailureReport's. Adds the metrics
// compile_ms and run_ms.
HarnessReport CompileAndRun(const CompileSpec& spec, const std::string& input,
                            const RunLimits& limits, const ScoreFn& score);

// A driver's answer line "T v_1 v_2 ...": a one-character tag, then integers
// each preceded by one space, up to the end of the line. The integers, or
// nullopt when anything else is there (the line is untrusted).
std::optional<std::vector<int64_t>> ParseTaggedIntegers(std::string_view line);

// "T n v_1 ... v_n": ParseTaggedIntegers with a leading count that must match;
// the n values, or nullopt.
std::optional<std::vector<int64_t>> ParseCountedIntegers(std::string_view line);

// The protocol environment a harness runs in (docs/evaluator-protocol.md).
struct HarnessEnv {
  std::string split = "train";  // CRUCIBLE_SPLIT: train | heldout
  std::string stage = "full";   // CRUCIBLE_STAGE
  uint64_t seed = 0;            // CRUCIBLE_SEED
  std::string problem_dir;      // CRUCIBLE_PROBLEM_DIR
  std::string cache_dir;        // CRUCIBLE_CACHE_DIR ("" when unset)
};
HarnessEnv ReadHarnessEnv();

// The whole of a built-in harness's `crucible harness NAME DIR`: reads the
// protocol environment and DIR/candidate_file, calls `evaluate` with them and
// prints its report as the protocol JSON (exit status 0). A Status error,
// from reading the candidate or from `evaluate` (the harness could not set
// itself up: data missing, unknown split), goes to stderr as
// "NAME harness: ..." with exit status 1, which crucible classifies as
// evaluator_error: not the candidate's fault.
using CompiledHarnessFn =
    std::function<StatusOr<HarnessReport>(const HarnessEnv& env, const std::string& source)>;
// Writes `text` to the protocol's result channel (CRUCIBLE_RESULT_FD,
// docs/evaluator-protocol.md); false when there is none or the write failed.
bool WriteResultChannel(std::string_view text);

// Called first by `crucible harness`: makes the process non-dumpable (its
// children, uid 0 without capabilities, cannot open /proc/PPID/fd/N or
// ptrace it) and marks every inherited descriptor close-on-exec, so the
// compiler and the candidate hold neither the result channel nor the problem
// directory.
void ConfineHarnessProcess();

int RunCompiledHarness(std::string_view name, const std::string& candidate_dir,
                       std::string_view candidate_file, const CompiledHarnessFn& evaluate);

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_HARNESS_COMPILED_CANDIDATE_H_
