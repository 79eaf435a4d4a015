#include "problems/harness/compiled_candidate.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/hash.h"
#include "fmt/format.h"
#include "problems/harness/confine_prologue.h"
#include "problems/harness/candidate_process.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxErrorBytes = 2048;

// Replaces every occurrence of `from` in `text`.
void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// The first lines of the compiler's output, up to ~2 KB, with the scratch
// directory removed from paths ("/tmp/x/cc-1/candidate.cpp:3:1" becomes
// "candidate.cpp:3:1").
std::string TrimCompilerOutput(std::string out, const std::string& dir) {
  ReplaceAll(out, dir + "/", "");
  if (out.size() <= kMaxErrorBytes) return out;
  size_t cut = out.rfind('\n', kMaxErrorBytes);
  if (cut == std::string::npos || cut < kMaxErrorBytes / 2) cut = kMaxErrorBytes;
  return out.substr(0, cut) + "\n[... further compiler output omitted]";
}

// The compiler's identity, part of the cache key: an upgraded compiler must
// not reuse binaries from the old one.
StatusOr<std::string> CompilerIdentity(const std::string& compiler) {
  ProcessResult r = RunTool({compiler, "--version"}, ".");
  if (r.kind == ExitKind::kSpawnFailed || r.exit_code != 0) {
    return FailedPreconditionError(
        fmt::format("cannot run the compiler '{}': {}", compiler,
                    r.kind != ExitKind::kSpawnFailed ? r.stdout_text : r.spawn_error));
  }
  return r.stdout_text.substr(0, r.stdout_text.find('\n'));
}

std::string JoinFlags(const std::vector<std::string>& flags) {
  std::string s;
  for (const std::string& f : flags) s += f + '\x1f';
  return s;
}

// A candidate may include standard headers and the problem's header only, so
// that it cannot pull the problem's data files into its binary at compile
// time (#include "/abs/path/data.txt").
std::string CheckIncludes(const CompileSpec& spec) {
  std::istringstream in(spec.candidate_source);
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    // The assembler can embed a file too: asm(".incbin \"/path/data\"").
    std::string lower = line;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.find("incbin") != std::string::npos) {
      return fmt::format("{}:{}: error: a candidate may not embed files (.incbin)\n",
                         spec.candidate_name, line_no);
    }
    size_t p = line.find_first_not_of(" \t");
    if (p == std::string::npos || line[p] != '#') continue;
    p = line.find_first_not_of(" \t", p + 1);
    if (p == std::string::npos || line.compare(p, 7, "include") != 0) continue;
    const std::string rest = line.substr(p + 7);
    const size_t open = rest.find_first_of("<\"");
    bool ok = false;
    if (open != std::string::npos) {
      const char close = rest[open] == '<' ? '>' : '"';
      const size_t end = rest.find(close, open + 1);
      if (end != std::string::npos) {
        const std::string name = rest.substr(open + 1, end - open - 1);
        ok = close == '"' ? name == spec.header_name
                          : !name.empty() && name[0] != '/' && name.find("..") == std::string::npos;
      }
    }
    if (!ok) {
      return fmt::format(
          "{}:{}: error: only standard headers (#include <...>) and \"{}\" may be included\n",
          spec.candidate_name, line_no, spec.header_name);
    }
  }
  return "";
}

// A private name next to `final_path`, renamed over it when complete. The
// pid alone is not unique: every harness is pid 2 in its own sandbox's PID
// namespace while sharing the run's cache directory.
std::string TempNameFor(const fs::path& final_path) {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  const uint64_t nonce = (static_cast<uint64_t>(random()) << 32) ^ random();
  return fmt::format("{}.tmp-{}-{:016x}-{}", final_path.string(), getpid(), nonce, ++counter);
}

// The flags actually used: the problem's, plus the linker choice.
std::vector<std::string> EffectiveFlags(const CompileSpec& spec) {
  std::vector<std::string> flags = spec.flags;
  if (spec.prefer_lld) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (size_t start = 0; start <= dirs.size();) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      const std::string dir = dirs.substr(start, end - start);
      if (!dir.empty() && access((dir + "/ld.lld").c_str(), X_OK) == 0) {
        flags.push_back("-fuse-ld=lld");
        break;
      }
      start = end + 1;
    }
  }
  return flags;
}

// Builds the precompiled header of spec.precompiled_headers into the cache
// unless it is there; returns the header to force-include, or "" when none.
StatusOr<std::string> PrecompiledHeader(const CompileSpec& spec, const std::string& identity,
                                        const fs::path& cache) {
  if (spec.precompiled_headers.empty()) return std::string();
  std::string text;
  for (const std::string& h : spec.precompiled_headers) text += "#include <" + h + ">\n";
  const std::string key =
      HashToHex(HashBytes(identity + '\0' + JoinFlags(spec.flags) + '\0' + text));
  const fs::path dir = cache / ("pch-" + key);
  const fs::path header = dir / "crucible_std.h";
  if (fs::exists(dir)) return header.string();
  // Built in a private directory renamed into place as a whole: the .gch is
  // only valid next to its header.
  const fs::path tmp = TempNameFor(dir);
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", tmp.string(), ec.message()));
  RETURN_IF_ERROR(WriteFile(tmp / "crucible_std.h", text));
  std::vector<std::string> argv = {spec.compiler};
  argv.insert(argv.end(), spec.flags.begin(), spec.flags.end());
  argv.insert(argv.end(), {"-x", "c++-header", (tmp / "crucible_std.h").string(), "-o",
                           (tmp / "crucible_std.h.gch").string()});
  ProcessResult r = RunTool(argv, tmp.string());
  if (r.kind == ExitKind::kSpawnFailed || r.exit_code != 0) {
    fs::remove_all(tmp, ec);
    return InternalError("cannot precompile the standard headers: " +
                         (r.kind != ExitKind::kSpawnFailed ? r.stdout_text : r.spawn_error));
  }
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp, ec);  // another process won the race: its copy is as good
  return header.string();
}

std::string CandidateKey(const CompileSpec& spec, const std::string& identity) {
  std::string pch;
  for (const std::string& h : spec.precompiled_headers) pch += h + '\x1f';
  return HashToHex(HashBytes(identity + '\0' + JoinFlags(EffectiveFlags(spec)) + '\0' + pch + '\0' +
                             spec.header_name + '\0' + spec.header_source + '\0' +
                             spec.driver_source + '\0' + std::string(ConfinePrologueSource()) +
                             '\0' + spec.candidate_name + '\0' + spec.candidate_source));
}

// Builds the driver's object file (driver + confinement prologue) into the
// cache unless it is there.
StatusOr<std::string> DriverObject(const CompileSpec& spec, const std::string& identity,
                                   const fs::path& cache, const fs::path& scratch) {
  const std::string key =
      HashToHex(HashBytes(identity + '\0' + JoinFlags(spec.flags) + '\0' + spec.header_name + '\0' +
                          spec.header_source + '\0' + spec.driver_source + '\0' +
                          std::string(ConfinePrologueSource())));
  const fs::path object = cache / ("driver-" + key + ".o");
  if (fs::exists(object)) return object.string();
  const fs::path source = scratch / "driver.cpp";
  RETURN_IF_ERROR(WriteFile(source, std::string(ConfinePrologueSource()) + spec.driver_source));
  const std::string tmp = TempNameFor(object);
  std::vector<std::string> argv = {spec.compiler};
  argv.insert(argv.end(), spec.flags.begin(), spec.flags.end());
  argv.insert(argv.end(), {"-I", scratch.string(), "-c", source.string(), "-o", tmp});
  ProcessResult r = RunTool(argv, scratch.string());
  if (r.kind == ExitKind::kSpawnFailed || r.exit_code != 0) {
    fs::remove(tmp);
    return InternalError("the problem's driver does not compile (a bug in crucible): " +
                         TrimCompilerOutput(
                             r.kind != ExitKind::kSpawnFailed ? r.stdout_text : r.spawn_error,
                             scratch.string()));
  }
  std::error_code ec;
  fs::rename(tmp, object, ec);
  if (ec)
    return InternalError(fmt::format("cannot rename {} into the cache: {}", tmp, ec.message()));
  return object.string();
}

}  // namespace

Status CompileSpec::Validate() const {
  if (compiler.empty()) return InvalidArgumentError("CompileSpec.compiler is empty");
  if (header_name.empty() || header_name.find('/') != std::string::npos) {
    return InvalidArgumentError("CompileSpec.header_name must be a bare file name");
  }
  if (candidate_name.empty() || candidate_name.find('/') != std::string::npos) {
    return InvalidArgumentError("CompileSpec.candidate_name must be a bare file name");
  }
  if (driver_source.find("main") == std::string::npos) {
    return InvalidArgumentError("CompileSpec.driver_source must define main()");
  }
  return Status::Ok();
}

StatusOr<std::string> CompileCacheKey(const CompileSpec& spec) {
  ASSIGN_OR_RETURN(std::string identity, CompilerIdentity(spec.compiler));
  return CandidateKey(spec, identity);
}

StatusOr<CompileResult> CompileCandidate(const CompileSpec& spec) {
  RETURN_IF_ERROR(spec.Validate());
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  CompileResult result;
  if (std::string error = CheckIncludes(spec); !error.empty()) {
    result.errors = error;
    result.seconds = elapsed();
    return result;
  }
  ASSIGN_OR_RETURN(std::string identity, CompilerIdentity(spec.compiler));
  const std::string key = CandidateKey(spec, identity);
  std::error_code ec;
  const fs::path work = fs::absolute(spec.work_dir, ec);
  const fs::path cache =
      spec.cache_dir.empty() ? work / "compile-cache" : fs::path(spec.cache_dir) / "compiled";
  fs::create_directories(cache, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", cache.string(), ec.message()));

  const fs::path binary = cache / (key + ".bin");
  const fs::path errors = cache / (key + ".err");
  if (fs::exists(binary)) {
    result.ok = true;
    result.binary_path = binary.string();
    result.cached = true;
    result.seconds = elapsed();
    return result;
  }
  if (fs::exists(errors)) {
    ASSIGN_OR_RETURN(result.errors, ReadFile(errors.string()));
    result.cached = true;
    result.seconds = elapsed();
    return result;
  }

  char tmpl[] = "cc-XXXXXX";
  const std::string pattern = (work / tmpl).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    return InternalError("cannot create a compile directory in " + work.string());
  const fs::path scratch = buf.data();
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;  // best effort: the scratch dir is deleted by the engine anyway
      fs::remove_all(dir, ignored);
    }
  } cleanup{scratch};

  RETURN_IF_ERROR(WriteFile(scratch / spec.header_name, spec.header_source));
  ASSIGN_OR_RETURN(std::string driver_object, DriverObject(spec, identity, cache, scratch));
  const fs::path source = scratch / spec.candidate_name;
  RETURN_IF_ERROR(WriteFile(source, spec.candidate_source));
  const std::string tmp = TempNameFor(binary);
  ASSIGN_OR_RETURN(std::string pch, PrecompiledHeader(spec, identity, cache));
  const std::vector<std::string> flags = EffectiveFlags(spec);
  std::vector<std::string> argv = {spec.compiler};
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (!pch.empty()) argv.insert(argv.end(), {"-include", pch});
  argv.insert(argv.end(), {"-I", scratch.string(), source.string(), driver_object,
                           std::string(kConfineEntryFlag), std::string(kWrapAllocationFlag),
                           "-o", tmp});
  ProcessResult r = RunTool(argv, scratch.string());
  if (r.kind == ExitKind::kSpawnFailed) {
    return FailedPreconditionError("cannot run the compiler: " + r.spawn_error);
  }
  if (r.exit_code != 0) {
    fs::remove(tmp, ec);
    result.errors = TrimCompilerOutput(r.stdout_text, scratch.string());
    if (result.errors.empty())
      result.errors = fmt::format("the compiler exited with status {}", r.exit_code);
    // Cached so that an identical failing candidate is not compiled again;
    // not a crash of the compiler itself, which may be transient.
    if (r.exit_code > 0 && r.stdout_text.find("internal compiler error") == std::string::npos) {
      const std::string err_tmp = TempNameFor(errors);
      if (WriteFile(err_tmp, result.errors).ok()) fs::rename(err_tmp, errors, ec);
    }
    result.seconds = elapsed();
    return result;
  }
  fs::rename(tmp, binary, ec);
  if (ec)
    return InternalError(fmt::format("cannot rename {} into the cache: {}", tmp, ec.message()));
  result.ok = true;
  result.binary_path = binary.string();
  result.seconds = elapsed();
  return result;
}

std::string HarnessReport::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (score && std::isfinite(*score)) j["score"] = *score;
  j["valid"] = valid;
  if (!outcome.empty()) j["outcome"] = outcome;
  auto numbers = [](const std::map<std::string, double>& m) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, v] : m) {
      if (std::isfinite(v)) o[k] = v;
    }
    return o;
  };
  if (!metrics.empty()) j["metrics"] = numbers(metrics);
  if (!features.empty()) j["features"] = numbers(features);
  if (!feedback.empty()) j["feedback"] = feedback;
  if (!artifacts.empty()) j["artifacts"] = artifacts;
  // Candidate text may hold invalid UTF-8; replace it rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HarnessReport FailureReport(std::string outcome, std::string feedback) {
  HarnessReport r;
  r.valid = false;
  r.outcome = std::move(outcome);
  r.feedback = std::move(feedback);
  return r;
}

static_assert(kExitAllocationFailed == kDriverExitOutOfMemory,
              "the prologue's allocation wrappers and the drivers' new_handler agree");

HarnessReport RunFailureReport(const RunOutput& run) {
  constexpr size_t kTailBytes = 1500;
  const std::string tail = run.stderr_text.size() > kTailBytes
                               ? run.stderr_text.substr(run.stderr_text.size() - kTailBytes)
                               : run.stderr_text;
  if (run.status == RunStatus::kExited && run.exit_code == kDriverExitOutOfMemory) {
    return FailureReport("memory_limit", "the candidate ran out of memory\n" + tail);
  }
  std::string feedback = "the candidate " + run.Describe();
  if (!tail.empty()) feedback += "\nstderr (tail):\n" + tail;
  return FailureReport(run.status == RunStatus::kTimeout ? "timeout" : "runtime_error", feedback);
}

HarnessReport CompileAndRun(const CompileSpec& spec, const std::string& input,
                            const RunLimits& limits, const ScoreFn& score) {
  StatusOr<CompileResult> compiled = CompileCandidate(spec);
  if (!compiled.ok()) {
    // The compiler itself is missing or broken: not the candidate's fault,
    // but the protocol has no outcome for it other than a failed run.
    return FailureReport("runtime_error",
                         "the harness could not compile: " + compiled.status().ToString());
  }
  if (!compiled->ok) return FailureReport("compile_error", compiled->errors);
  const RunOutput run = RunCandidate(compiled->binary_path, input, limits);
  if (run.status == RunStatus::kStartFailed) {
    return FailureReport("runtime_error", "the candidate " + run.Describe());
  }
  HarnessReport report =
      run.status == RunStatus::kExited && run.exit_code == 0 ? score(run) : RunFailureReport(run);
  report.metrics["compile_ms"] = compiled->seconds * 1000;
  report.metrics["run_ms"] = run.wall_seconds * 1000;
  return report;
}

std::optional<std::vector<int64_t>> ParseTaggedIntegers(std::string_view line) {
  if (line.empty()) return std::nullopt;
  const char* p = line.data() + 1;
  const char* end = line.data() + line.size();
  std::vector<int64_t> values;
  while (p < end && *p == ' ') {
    ++p;
    int64_t v = 0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || next == p) return std::nullopt;
    values.push_back(v);
    p = next;
  }
  if (p != end) return std::nullopt;
  return values;
}

std::optional<std::vector<int64_t>> ParseCountedIntegers(std::string_view line) {
  std::optional<std::vector<int64_t>> values = ParseTaggedIntegers(line);
  if (!values || values->empty() || (*values)[0] != static_cast<int64_t>(values->size()) - 1) {
    return std::nullopt;
  }
  values->erase(values->begin());
  return values;
}

HarnessEnv ReadHarnessEnv() {
  HarnessEnv env;
  auto get = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (std::string s = get("CRUCIBLE_SPLIT"); !s.empty()) env.split = s;
  if (std::string s = get("CRUCIBLE_STAGE"); !s.empty()) env.stage = s;
  if (std::string s = get("CRUCIBLE_SEED"); !s.empty())
    env.seed = std::strtoull(s.c_str(), nullptr, 10);
  env.problem_dir = get("CRUCIBLE_PROBLEM_DIR");
  env.cache_dir = get("CRUCIBLE_CACHE_DIR");
  return env;
}

CompileSpec MakeCompileSpec(const CandidateApi& api, std::string candidate_source,
                            std::string cache_dir, std::string work_dir) {
  CompileSpec spec;
  spec.header_name = std::string(api.header_name);
  spec.header_source = std::string(api.header_source);
  spec.driver_source = std::string(api.driver_source);
  spec.candidate_source = std::move(candidate_source);
  spec.candidate_name = std::string(api.candidate_name);
  spec.precompiled_headers = api.precompiled_headers;
  spec.cache_dir = std::move(cache_dir);
  spec.work_dir = std::move(work_dir);
  return spec;
}

bool WriteResultChannel(std::string_view text) {
  const char* value = std::getenv("CRUCIBLE_RESULT_FD");
  if (value == nullptr) return false;
  int fd = -1;
  const std::string_view v(value);
  if (std::from_chars(v.data(), v.data() + v.size(), fd).ec != std::errc() || fd < 3) return false;
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void ConfineHarnessProcess() {
  // Uid 0 without capabilities cannot reach a non-dumpable process's
  // /proc/PID/{fd,mem,environ,root} or ptrace it: what the harness starts
  // (the compiler, the candidate) cannot borrow its descriptors.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Close-on-exec for everything inherited (the result channel, the problem
  // directory): no child of the harness holds them.
  for (int fd = 3; fd < 64; ++fd) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

int RunCompiledHarness(std::string_view name, const std::string& candidate_dir,
                       std::string_view candidate_file, const CompiledHarnessFn& evaluate) {
  const HarnessEnv env = ReadHarnessEnv();
  StatusOr<std::string> source =
      ReadFile((std::filesystem::path(candidate_dir) / candidate_file).string());
  StatusOr<HarnessReport> report =
      source.ok() ? evaluate(env, *source) : StatusOr<HarnessReport>(source.status());
  if (!report.ok()) {
    fmt::print(stderr, "{} harness: {}\n", name, report.status().ToString());
    return 1;
  }
  const std::string line = report->ToJson() + "\n";
  if (!WriteResultChannel(line)) fmt::print("{}", line);
  return 0;
}

}  // namespace crucible
