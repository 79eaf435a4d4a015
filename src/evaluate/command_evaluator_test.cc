#include "evaluate/command_evaluator.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace crucible {
namespace {

namespace fs = std::filesystem;

class CommandEvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-evaltest-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ / "work");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes `script` as the evaluator (evaluate.sh, run by /bin/sh) and
  // returns the options of an evaluator running it, the rest default.
  CommandEvaluatorOptions ScriptOptions(const std::string& script) {
    const fs::path path = root_ / "evaluate.sh";
    std::ofstream(path) << "#!/bin/sh\n" << script;
    fs::permissions(path, fs::perms::owner_all);
    CommandEvaluatorOptions o;
    o.problem_dir = root_.string();
    o.command = {"evaluate.sh"};
    o.work_root = (root_ / "work").string();
    return o;
  }

  // Writes an evaluator script and returns an evaluator running it.
  std::unique_ptr<CommandEvaluator> Make(const std::string& script,
                                         std::vector<CascadeStage> stages = {{"full", {}}},
                                         double timeout = 10) {
    CommandEvaluatorOptions o = ScriptOptions(script);
    o.stages = std::move(stages);
    o.sandbox.wall_timeout_seconds = timeout;
    auto e = CommandEvaluator::Create(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(e).value();
  }

  EvalResult Run(CommandEvaluator& e) {
    EvalRequest req;
    req.id = 7;
    req.program = &program_;
    req.seed = 99;
    return e.Evaluate(req, {});
  }

  // Evaluates `program` as candidate `id` (seed 0).
  static EvalResult RunAs(CommandEvaluator& e, CandidateId id, const Program& program) {
    EvalRequest req;
    req.id = id;
    req.program = &program;
    return e.Evaluate(req, {});
  }

  fs::path root_;
  Program program_{{{"prog.py", "x = 1\n"}}};
};

TEST_F(CommandEvaluatorTest, ScoreFromLastStdoutLine) {
  auto e = Make("echo starting\ncat \"$1/prog.py\" >&2\necho '{\"score\": 3.5, \"metrics\": {\"m\": 1}}'\n");
  EvalResult r = Run(*e);
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_DOUBLE_EQ(*r.score, 3.5);
  EXPECT_EQ(r.stage, "full");
  EXPECT_GT(r.eval_seconds, 0);
}

TEST_F(CommandEvaluatorTest, ResultJsonWinsOverStdout) {
  auto e = Make("echo '{\"score\": 1}'\necho '{\"score\": 2}' > result.json\n");
  EXPECT_DOUBLE_EQ(*Run(*e).score, 2);
}

TEST_F(CommandEvaluatorTest, TheResultChannelWinsAndAChildCannotWriteIt) {
  // Protocol 2: the evaluator answers on CRUCIBLE_RESULT_FD; the forged
  // result.json and stdout line (what a candidate run with the evaluator's
  // cwd and stdout could write) do not count. A child started with the
  // channel closed (as subprocess does) cannot reach it.
  auto e = Make(
      "echo '{\"score\": 1e6}' > result.json\n"
      "sh -c 'echo \"{\\\"score\\\": 1e6}\" >&8' 8>&- 2>/dev/null\n"
      "echo '{\"score\": 2.5}' >&$CRUCIBLE_RESULT_FD\n"
      "echo '{\"score\": 1e6}'\n");
  EvalResult r = Run(*e);
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_DOUBLE_EQ(*r.score, 2.5);
}

TEST_F(CommandEvaluatorTest, TheCacheIsEvictedPastItsQuota) {
  CommandEvaluatorOptions o = ScriptOptions(
      "head -c 400000 /dev/zero > \"$CRUCIBLE_CACHE_DIR/blob-$CRUCIBLE_CANDIDATE_ID\"\n"
      "echo '{\"score\": 1}'\n");
  o.cache_dir = (root_ / "cache").string();
  o.cache_quota_bytes = 1000000;  // room for two blobs
  auto e = CommandEvaluator::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  for (int id = 1; id <= 6; ++id) {
    ASSERT_EQ(RunAs(**e, id, program_).outcome, Outcome::kOk);
    uint64_t total = 0;
    for (const auto& f : fs::directory_iterator(o.cache_dir)) total += fs::file_size(f.path());
    EXPECT_LE(total, o.cache_quota_bytes) << "after candidate " << id;
  }
  EXPECT_TRUE(fs::exists(fs::path(o.cache_dir) / "blob-6"));  // the newest stays
  EXPECT_FALSE(fs::exists(fs::path(o.cache_dir) / "blob-1"));
}

TEST_F(CommandEvaluatorTest, FillingTheScratchQuotaIsARuntimeErrorNamingIt) {
  // Many files, then one big one, in the scratch directory: a private tmpfs
  // of scratch_quota_bytes, so the host's disk never sees them. The stage
  // fails naming the quota; the next evaluation starts from an empty one.
  CommandEvaluatorOptions o = ScriptOptions(
      "if [ -e \"$1/fill\" ]; then\n"
      "  i=0; while [ $i -lt 200 ]; do echo x > f$i || exit 1; i=$((i+1)); done\n"
      "  head -c 100000000 /dev/zero > big || exit 1\n"
      "fi\n"
      "[ -z \"$(ls)\" ] || { echo 'not empty' >&2; exit 1; }\n"
      "echo '{\"score\": 1}'\n");
  o.scratch_quota_bytes = 2 << 20;
  auto e = CommandEvaluator::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  if ((*e)->Describe().find("writable scratch") == std::string::npos) {
    GTEST_SKIP() << "no filesystem isolation here: " << (*e)->Describe();
  }
  Program filler{{{"prog.py", "x = 1\n"}, {"fill", ""}}};
  EvalResult r = RunAs(**e, 1, filler);
  EXPECT_EQ(r.outcome, Outcome::kRuntimeError);
  EXPECT_NE(r.feedback.find("scratch directory's quota was used up"), std::string::npos)
      << r.feedback;
  EXPECT_NE(r.feedback.find("No space left on device"), std::string::npos) << r.feedback;
  r = RunAs(**e, 2, program_);
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
}

TEST_F(CommandEvaluatorTest, AStageFillingTheCachesDiskIsStoppedInTime) {
  // The cache on a 48 MiB disk of its own; an evaluator that writes into it
  // without end (ignoring every error) is stopped once less than 2 MiB is
  // free, long before its timeout; the next evaluation finds room again.
  const fs::path disk = root_ / "disk";
  fs::create_directories(disk);
  if (mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=48m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << strerror(errno);
  }
  struct Unmount {
    fs::path dir;
    ~Unmount() { umount2(dir.c_str(), MNT_DETACH); }
  } unmount{disk};
  CommandEvaluatorOptions o = ScriptOptions(
      "if [ -e \"$1/fill\" ]; then i=0; while :; do\n"
      "  head -c 1000000 /dev/zero > \"$CRUCIBLE_CACHE_DIR/f$i\" 2>/dev/null\n"
      "  i=$((i+1)); done; fi\n"
      "echo '{\"score\": 1}'\n");
  o.cache_dir = (disk / "cache").string();
  o.cache_disk_floor_bytes = 2 << 20;
  o.sandbox.wall_timeout_seconds = 60;
  auto e = CommandEvaluator::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Program filler{{{"prog.py", "x = 1\n"}, {"fill", ""}}};
  const auto start = std::chrono::steady_clock::now();
  EvalResult r = RunAs(**e, 1, filler);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.outcome, Outcome::kRuntimeError);
  EXPECT_NE(r.feedback.find("fell below 2 MiB free"), std::string::npos) << r.feedback;
  r = RunAs(**e, 2, program_);
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
}

TEST_F(CommandEvaluatorTest, ProtocolEnvironmentIsSetAndSecretsAreNot) {
  setenv("OPENAI_API_KEY", "sk-secret", 1);
  auto e = Make(
      "if [ -n \"$OPENAI_API_KEY\" ]; then echo '{\"score\": -1}'; exit 0; fi\n"
      "[ \"$CRUCIBLE_STAGE\" = full ] && [ \"$CRUCIBLE_SEED\" = 99 ] && "
      "[ \"$CRUCIBLE_SPLIT\" = train ] && [ -f \"$1/prog.py\" ] && echo '{\"score\": 1}'\n");
  EvalResult r = Run(*e);
  unsetenv("OPENAI_API_KEY");
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_DOUBLE_EQ(*r.score, 1);
}

TEST_F(CommandEvaluatorTest, NonZeroExitIsRuntimeErrorWithStderrTail) {
  auto e = Make("echo 'Traceback: boom' >&2\nexit 3\n");
  EvalResult r = Run(*e);
  EXPECT_EQ(r.outcome, Outcome::kRuntimeError);
  EXPECT_NE(r.feedback.find("exit status 3"), std::string::npos) << r.feedback;
  EXPECT_NE(r.feedback.find("Traceback: boom"), std::string::npos) << r.feedback;
}

TEST_F(CommandEvaluatorTest, CrashNamesTheSignal) {
  auto e = Make("kill -SEGV $$\n");
  EvalResult r = Run(*e);
  EXPECT_EQ(r.outcome, Outcome::kRuntimeError);
  EXPECT_NE(r.feedback.find("SIGSEGV"), std::string::npos) << r.feedback;
}

TEST_F(CommandEvaluatorTest, TimeoutIsClassified) {
  auto e = Make("sleep 30\n", {{"full", {}}}, 0.5);
  EvalResult r = Run(*e);
  EXPECT_EQ(r.outcome, Outcome::kTimeout);
  EXPECT_LT(r.eval_seconds, 10);
}

TEST_F(CommandEvaluatorTest, MalformedOutputIsEvaluatorError) {
  auto e = Make("echo 'score: high'\n");
  EXPECT_EQ(Run(*e).outcome, Outcome::kEvaluatorError);
  auto silent = Make("true\n");
  EvalResult r = Run(*silent);
  EXPECT_EQ(r.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(r.feedback.find("printed no JSON result"), std::string::npos);
}

TEST_F(CommandEvaluatorTest, SelfReportedCompileErrorWithNonZeroExit) {
  auto e = Make("echo '{\"outcome\": \"compile_error\", \"feedback\": \"a.cc:1: error\"}'\nexit 1\n");
  EvalResult r = Run(*e);
  EXPECT_EQ(r.outcome, Outcome::kCompileError);
  EXPECT_EQ(r.feedback, "a.cc:1: error");
}

TEST_F(CommandEvaluatorTest, CascadeStopsBelowThreshold) {
  const std::string script =
      "if [ \"$CRUCIBLE_STAGE\" = quick ]; then echo '{\"score\": 0.2}'; "
      "else echo '{\"score\": 0.9}'; fi\n";
  auto pass = Make(script, {{"quick", 0.1}, {"full", {}}});
  EvalResult r = Run(*pass);
  EXPECT_EQ(r.stage, "full");
  EXPECT_DOUBLE_EQ(*r.score, 0.9);
  auto stop = Make(script, {{"quick", 0.5}, {"full", {}}});
  EvalResult s = Run(*stop);
  EXPECT_EQ(s.stage, "quick");
  EXPECT_DOUBLE_EQ(*s.score, 0.2);
  EXPECT_NE(s.feedback.find("did not reach its threshold 0.5"), std::string::npos);
}

TEST_F(CommandEvaluatorTest, AStageCanEndTheCascadeAndTheNextSeesItsResult) {
  // Each stage after the first reads the previous stage's result from
  // CRUCIBLE_PREVIOUS_RESULT; "continue": false ends the cascade there.
  auto e = Make(
      "if [ -n \"$CRUCIBLE_PREVIOUS_RESULT\" ]; then cat \"$CRUCIBLE_PREVIOUS_RESULT\" >&2; fi\n"
      "case $CRUCIBLE_STAGE in\n"
      "  one) echo '{\"score\": 1, \"metrics\": {\"from_one\": 11}}' ;;\n"
      "  two) test -n \"$CRUCIBLE_PREVIOUS_RESULT\" || exit 3\n"
      "       grep -q '\"from_one\":11' \"$CRUCIBLE_PREVIOUS_RESULT\" || exit 4\n"
      "       echo '{\"score\": 2, \"continue\": false}' ;;\n"
      "  three) echo '{\"score\": 3}' ;;\n"
      "esac\n",
      {{"one", {}}, {"two", {}}, {"three", {}}});
  EvalResult r = Run(*e);
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_DOUBLE_EQ(*r.score, 2);
  EXPECT_EQ(r.stage, "two");
  EXPECT_NE(r.feedback.find("the evaluator ended the cascade"), std::string::npos) << r.feedback;
}

TEST_F(CommandEvaluatorTest, WorkDirectoryIsRemoved) {
  auto e = Make("echo '{\"score\": 1}'\n");
  Run(*e);
  EXPECT_TRUE(fs::is_empty(root_ / "work"));
}

}  // namespace
}  // namespace crucible
