// SlurmExecutor against scripted fakes of sbatch/squeue/scontrol/sacct/scancel
// (testdata/fake-slurm) and of `crucible eval-job` (testdata/fake-eval-job).
// The real cluster is exercised by tests/slurm_e2e_test.py.
#include "executor/slurm_executor.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace crucible {
namespace {

namespace fs = std::filesystem;

const fs::path kTestdata = CRUCIBLE_EXECUTOR_TESTDATA;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int CountLines(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) n += line.rfind(prefix, 0) == 0;
  return n;
}

// Waits (bounded) for a file another process writes.
bool WaitForFile(const fs::path& p) {
  for (int i = 0; i < 2000 && !fs::exists(p); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fs::exists(p);
}

class SlurmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("crucible-slurm-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "state");
    ::setenv("FAKE_SLURM_STATE", (root_ / "state").c_str(), 1);
  }
  void TearDown() override {
    Mode("run");
    // The fake Slurm's background jobs may still be writing their state
    // files; retry until the directory is gone.
    std::error_code ec;
    for (int i = 0; i < 100; ++i) {
      fs::remove_all(root_, ec);
      if (!ec) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void Mode(const std::string& mode) { std::ofstream(root_ / "state" / "mode") << mode; }
  std::string Calls() { return ReadAll(root_ / "state" / "calls.log"); }

  SlurmExecutorOptions Options() {
    SlurmExecutorOptions o;
    o.slurm.partition = "debug";
    o.slurm.poll_seconds = 0.02;
    o.slurm.result_grace_seconds = 0.1;
    o.slurm.bin_dir = (kTestdata / "fake-slurm").string();
    o.jobs_root = (root_ / "slurm").string();
    o.crucible = (kTestdata / "fake-eval-job").string();
    o.config_json = "{}";
    o.cache_dir = (root_ / "cache").string();
    return o;
  }

  std::unique_ptr<SlurmExecutor> Make(SlurmExecutorOptions o) {
    auto e = SlurmExecutor::Create(o, MakeCommandSlurmClient(o.slurm.bin_dir));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(*e);
  }

  static Program Prog(const std::string& text) { return Program{{{"prog.txt", text}}}; }

  fs::path root_;
};

TEST_F(SlurmExecutorTest, EvaluatesThroughAJobAndReadsItsResult) {
  auto e = Make(Options());
  const Program p = Prog("0.75");
  const EvalResult r = e->Evaluate({3, &p, 42, Split::kTrain}, {});
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_EQ(r.score, 0.75);
  EXPECT_EQ(r.stage, "full");
  EXPECT_DOUBLE_EQ(r.eval_seconds, 0.25);
  const fs::path dir = root_ / "slurm" / "c3-0";
  EXPECT_EQ(ReadAll(dir / "candidate" / "prog.txt"), "0.75");
  EXPECT_TRUE(fs::exists(dir / "jobid"));
  EXPECT_NE(ReadAll(dir / "job.json").find("\"seed\": 42"), std::string::npos);
  const std::string script = ReadAll(dir / "job.sh");
  EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_NE(script.find("#SBATCH --partition=debug\n"), std::string::npos);
  EXPECT_EQ(script.find("--gres"), std::string::npos) << "no GPU request when gpus is 0";
  EXPECT_EQ(CountLines(Calls(), "sbatch"), 1);
}

TEST_F(SlurmExecutorTest, JobScriptCarriesEveryClusterSetting) {
  SlurmExecutorOptions o = Options();
  o.slurm.account = "proj42";
  o.slurm.qos = "short";
  o.slurm.time = "0:30:00";
  o.slurm.memory_mb = 3000;
  o.slurm.cpus = 4;
  o.slurm.gpus = 2;
  o.slurm.sbatch_lines = {"--constraint=avx2", "#SBATCH --exclusive"};
  o.slurm.prologue = "module load gcc/12\nexport OMP_NUM_THREADS=4";
  auto e = Make(o);
  const Program p = Prog("1");
  EXPECT_EQ(e->Evaluate({1, &p, 1, Split::kTrain}, {}).outcome, Outcome::kOk);
  const std::string s = ReadAll(root_ / "slurm" / "c1-0" / "job.sh");
  for (const char* line :
       {"#SBATCH --account=proj42\n", "#SBATCH --qos=short\n", "#SBATCH --time=0:30:00\n",
        "#SBATCH --mem=3000M\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --gres=gpu:2\n",
        "#SBATCH --constraint=avx2\n", "#SBATCH --exclusive\n", "module load gcc/12\n",
        "export OMP_NUM_THREADS=4\n"}) {
    EXPECT_NE(s.find(line), std::string::npos) << line << " missing from\n" << s;
  }
  EXPECT_LT(s.find("#SBATCH --exclusive"), s.find("module load")) << "#SBATCH lines come first";
}

TEST_F(SlurmExecutorTest, OptionsNameTheBadField) {
  SlurmOptions s;
  s.time = "ten minutes";
  EXPECT_NE(s.Validate().message().find("slurm.time"), std::string::npos);
  s = {};
  s.sbatch_lines = {"--a\n--b"};
  EXPECT_NE(s.Validate().message().find("slurm.sbatch_lines[0]"), std::string::npos);
  s = {};
  s.gpus = -1;
  EXPECT_NE(s.Validate().message().find("slurm.gpus"), std::string::npos);
  s = {};
  s.max_queued = 0;
  EXPECT_NE(s.Validate().message().find("slurm.max_queued"), std::string::npos);
  EXPECT_EQ(SlurmTimeLimit(125), "0-00:03:00");
  EXPECT_EQ(SlurmTimeLimit(2 * 86400 + 3600), "2-01:00:00");
}

TEST_F(SlurmExecutorTest, SlurmVerdictsBecomeOutcomes) {
  auto e = Make(Options());
  const Program p = Prog("1");
  Mode("timeout");
  EXPECT_EQ(e->Evaluate({1, &p, 1, Split::kTrain}, {}).outcome, Outcome::kTimeout);
  Mode("oom");
  EXPECT_EQ(e->Evaluate({2, &p, 1, Split::kTrain}, {}).outcome, Outcome::kMemoryLimit);
  Mode("fail");
  const EvalResult failed = e->Evaluate({3, &p, 1, Split::kTrain}, {});
  EXPECT_EQ(failed.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(failed.feedback.find("FAILED"), std::string::npos) << failed.feedback;
  EXPECT_NE(failed.feedback.find("command not found"), std::string::npos) << failed.feedback;
  Mode("sbatch_error");
  const EvalResult refused = e->Evaluate({4, &p, 1, Split::kTrain}, {});
  EXPECT_EQ(refused.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(refused.feedback.find("Invalid account"), std::string::npos) << refused.feedback;
  Mode("run");
  const Program crash = Prog("crash");
  const EvalResult crashed = e->Evaluate({5, &crash, 1, Split::kTrain}, {});
  EXPECT_EQ(crashed.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(crashed.feedback.find("something broke"), std::string::npos) << crashed.feedback;
}

TEST_F(SlurmExecutorTest, NodeFailureIsRetriedOnce) {
  auto e = Make(Options());
  const Program p = Prog("2.5");
  Mode("node_fail_once");
  const EvalResult r = e->Evaluate({6, &p, 1, Split::kTrain}, {});
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_EQ(r.score, 2.5);
  EXPECT_TRUE(fs::exists(root_ / "slurm" / "c6-0"));
  EXPECT_TRUE(fs::exists(root_ / "slurm" / "c6-1"));
  EXPECT_EQ(CountLines(Calls(), "sbatch"), 2);

  SlurmExecutorOptions o = Options();
  o.slurm.max_retries = 0;
  auto strict = Make(o);
  Mode("node_fail_once");
  const EvalResult lost = strict->Evaluate({7, &p, 1, Split::kTrain}, {});
  EXPECT_EQ(lost.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(lost.feedback.find("NODE_FAIL"), std::string::npos) << lost.feedback;
}

TEST_F(SlurmExecutorTest, JobPendingBeyondQueueTimeoutIsCancelled) {
  SlurmExecutorOptions o = Options();
  o.slurm.queue_timeout_seconds = 0.2;
  auto e = Make(o);
  const Program p = Prog("1");
  Mode("pending");
  const EvalResult r = e->Evaluate({8, &p, 1, Split::kTrain}, {});
  EXPECT_EQ(r.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(r.feedback.find("queue_timeout"), std::string::npos) << r.feedback;
  EXPECT_NE(r.feedback.find("Priority"), std::string::npos) << r.feedback;
  EXPECT_EQ(CountLines(Calls(), "scancel"), 1);
  EXPECT_EQ(ReadAll(root_ / "state" / "101.state"), "CANCELLED\n");
}

TEST_F(SlurmExecutorTest, StopCancelsTheJob) {
  auto e = Make(Options());
  const Program p = Prog("sleep");
  std::stop_source stop;
  EvalResult r;
  std::thread t([&] { r = e->Evaluate({9, &p, 1, Split::kTrain}, stop.get_token()); });
  ASSERT_TRUE(WaitForFile(root_ / "state" / "101.pid"));
  stop.request_stop();
  t.join();
  EXPECT_EQ(ReadAll(root_ / "state" / "101.state"), "CANCELLED\n");
  EXPECT_TRUE(fs::exists(root_ / "slurm" / "c9-0" / "cancelled"));
}

TEST_F(SlurmExecutorTest, JobCancelledByHandIsRecordedAsCancelled) {
  auto e = Make(Options());
  const Program p = Prog("sleep");
  EvalResult r;
  std::thread t([&] { r = e->Evaluate({10, &p, 1, Split::kTrain}, {}); });
  ASSERT_TRUE(WaitForFile(root_ / "state" / "101.pid"));
  CommandOutput out = RunCommandCapture({(kTestdata / "fake-slurm" / "scancel").string(), "101"}, 10);
  EXPECT_EQ(out.exit_code, 0);
  t.join();
  EXPECT_EQ(r.outcome, Outcome::kCancelled) << r.feedback;
  EXPECT_NE(r.feedback.find("cancelled outside crucible"), std::string::npos);
}

TEST_F(SlurmExecutorTest, PollsAskSqueueOnceForAllJobs) {
  auto e = Make(Options());
  const Program p = Prog("gate");
  std::vector<std::thread> threads;
  std::vector<EvalResult> results(3);
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { results[i] = e->Evaluate({20 + i, &p, 1, Split::kTrain}, {}); });
  }
  for (const char* pid : {"101.pid", "102.pid", "103.pid"}) {
    ASSERT_TRUE(WaitForFile(root_ / "state" / pid));
  }
  // Wait until one poll has seen all three, then open the gate.
  for (int i = 0; i < 2000 && Calls().find("-j 101,102,103") == std::string::npos &&
                  Calls().find("-j 101,103,102") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::ofstream(root_ / "slurm" / "gate") << "";
  for (std::thread& t : threads) t.join();
  for (const EvalResult& r : results) EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  const std::string calls = Calls();
  EXPECT_NE(calls.find(",102"), std::string::npos) << "one squeue call names several jobs:\n"
                                                   << calls;
  EXPECT_EQ(calls.find(" -n crucible"), std::string::npos) << "no lookup by name";
}

TEST_F(SlurmExecutorTest, MaxQueuedBoundsTheJobsInFlight) {
  SlurmExecutorOptions o = Options();
  o.slurm.max_queued = 1;
  auto e = Make(o);
  const Program p = Prog("gate");
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] { (void)e->Evaluate({30 + i, &p, 1, Split::kTrain}, {}); });
  }
  ASSERT_TRUE(WaitForFile(root_ / "state" / "101.pid"));
  // The second waits for the first: its job directory is not even written.
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(fs::exists(root_ / "state" / "102.name"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::ofstream(root_ / "slurm" / "gate") << "";
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(CountLines(Calls(), "sbatch"), 2);
}

TEST_F(SlurmExecutorTest, ResumeAdoptsAResultOrAJobInFlight) {
  const Program p = Prog("1.5");
  {
    auto first = Make(Options());
    ASSERT_EQ(first->Evaluate({11, &p, 5, Split::kTrain}, {}).outcome, Outcome::kOk);
  }
  // A new coordinator finds the finished result: nothing is submitted.
  auto second = Make(Options());
  EvalResult r = second->Evaluate({11, &p, 5, Split::kTrain}, {});
  EXPECT_EQ(r.score, 1.5);
  EXPECT_EQ(CountLines(Calls(), "sbatch"), 1);

  // A job still running when the coordinator died is awaited, not resubmitted.
  const fs::path dir = root_ / "slurm" / "c11-0";
  fs::remove(dir / "result.json");
  std::ofstream(dir / "candidate" / "prog.txt", std::ios::trunc) << "gate";
  CommandOutput sub = RunCommandCapture(
      {(kTestdata / "fake-slurm" / "sbatch").string(), "--parsable", "--chdir=" + dir.string(),
       (dir / "job.sh").string()},
      10);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  std::ofstream(dir / "jobid", std::ios::trunc) << sub.out;
  std::thread opener([&] {
    ASSERT_TRUE(WaitForFile(root_ / "state" / "102.pid"));
    std::ofstream(root_ / "slurm" / "gate") << "";
  });
  r = second->Evaluate({11, &p, 5, Split::kTrain}, {});
  opener.join();
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_EQ(r.score, 1.0) << "the adopted job's result (the gate program scores 1)";
  EXPECT_EQ(CountLines(Calls(), "sbatch"), 2) << "only the hand-made submission";

  // A different seed is a different evaluation: never adopted.
  fs::remove(root_ / "slurm" / "gate");
  r = second->Evaluate({11, &p, 6, Split::kTrain}, {});
  EXPECT_EQ(r.score, 1.5);
  EXPECT_TRUE(fs::exists(root_ / "slurm" / "c11-1"));
}

TEST_F(SlurmExecutorTest, JobWhoseIdWasNeverRecordedIsFoundByName) {
  const Program p = Prog("gate");
  {
    auto first = Make(Options());
    std::ofstream(root_ / "slurm" / "gate") << "";
    ASSERT_EQ(first->Evaluate({13, &p, 1, Split::kTrain}, {}).outcome, Outcome::kOk);
    fs::remove(root_ / "slurm" / "gate");
  }
  // The coordinator died after sbatch returned, before it wrote jobid.
  const fs::path dir = root_ / "slurm" / "c13-0";
  fs::remove(dir / "result.json");
  fs::remove(dir / "jobid");
  CommandOutput sub = RunCommandCapture(
      {(kTestdata / "fake-slurm" / "sbatch").string(), "--parsable", "--chdir=" + dir.string(),
       (dir / "job.sh").string()},
      10);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_TRUE(WaitForFile(root_ / "state" / "102.pid"));
  auto second = Make(Options());
  std::thread opener([&] {
    // Open the gate only once the executor has found the job by name and
    // asks about it by id.
    for (int i = 0; i < 2000 && Calls().find("-j 102 ") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::ofstream(root_ / "slurm" / "gate") << "";
  });
  const EvalResult r = second->Evaluate({13, &p, 1, Split::kTrain}, {});
  opener.join();
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_EQ(ReadAll(dir / "jobid"), "102\n");
  EXPECT_EQ(CountLines(Calls(), "sbatch"), 2) << "the executor submitted nothing itself";
  EXPECT_FALSE(fs::exists(root_ / "slurm" / "c13-1"));
}

TEST_F(SlurmExecutorTest, OrphanJobsAreCancelled) {
  const Program p = Prog("1");
  {
    auto first = Make(Options());
    ASSERT_EQ(first->Evaluate({12, &p, 1, Split::kTrain}, {}).outcome, Outcome::kOk);
  }
  const fs::path dir = root_ / "slurm" / "c12-0";
  fs::remove(dir / "result.json");
  std::ofstream(dir / "candidate" / "prog.txt", std::ios::trunc) << "sleep";
  CommandOutput sub = RunCommandCapture(
      {(kTestdata / "fake-slurm" / "sbatch").string(), "--parsable", "--chdir=" + dir.string(),
       (dir / "job.sh").string()},
      10);
  ASSERT_EQ(sub.exit_code, 0);
  std::ofstream(dir / "jobid", std::ios::trunc) << sub.out;
  auto e = Make(Options());
  StatusOr<int> n = e->CancelOrphans({12});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0) << "candidate 12 will be evaluated again: its job is kept";
  n = e->CancelOrphans({});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(ReadAll(root_ / "state" / "102.state"), "CANCELLED\n");
}

TEST(ClassifySlurmEndTest, EachStateHasItsOutcome) {
  EXPECT_EQ(ClassifySlurmEnd({"TIMEOUT", "", ""}, "").outcome, Outcome::kTimeout);
  EXPECT_EQ(ClassifySlurmEnd({"DEADLINE", "", ""}, "").outcome, Outcome::kTimeout);
  EXPECT_EQ(ClassifySlurmEnd({"OUT_OF_MEMORY", "", ""}, "").outcome, Outcome::kMemoryLimit);
  EXPECT_EQ(ClassifySlurmEnd({"NODE_FAIL", "", ""}, "").outcome, Outcome::kEvaluatorError);
  const EvalResult c = ClassifySlurmEnd({"CANCELLED", "by 1000", ""}, "tail text");
  EXPECT_EQ(c.outcome, Outcome::kCancelled);
  EXPECT_NE(c.feedback.find("by 1000"), std::string::npos);
  EXPECT_NE(c.feedback.find("tail text"), std::string::npos);
  const EvalResult f = ClassifySlurmEnd({"FAILED", "", "127:0"}, "");
  EXPECT_EQ(f.outcome, Outcome::kEvaluatorError);
  EXPECT_NE(f.feedback.find("127:0"), std::string::npos);
}

// The node side against a job directory written here and a fake evaluator
// that plays the job's SIGTERM reaching its evaluator: the evaluation ends
// ("killed by SIGTERM") while `stop` has not fired yet.
class EvalJobTest : public SlurmExecutorTest {
 protected:
  class SignalledEvaluator : public Evaluator {
   public:
    explicit SignalledEvaluator(std::atomic<bool>* signalled) : signalled_(signalled) {}
    EvalResult Evaluate(const EvalRequest&, std::stop_token) override {
      if (signalled_ != nullptr) *signalled_ = true;
      EvalResult r;
      r.outcome = Outcome::kRuntimeError;
      r.feedback = "killed by SIGTERM";
      return r;
    }
    std::string Describe() const override { return "signalled"; }

   private:
    std::atomic<bool>* signalled_;
  };

  fs::path WriteJob() {
    const fs::path dir = root_ / "slurm" / "c4-0";
    fs::create_directories(dir / "candidate");
    std::ofstream(dir / "candidate" / "prog.txt") << "1";
    std::ofstream(dir / "job.json") << R"({"version": 1, "files": ["prog.txt"], "config": "{}",
                                           "candidate_id": 4, "seed": 1})";
    return dir;
  }

  // Runs the job with an evaluator that sets `*signalled` (when not null).
  Status Run(const fs::path& dir, std::atomic<bool>* signalled) {
    auto factory = [signalled](const std::string&, const std::string&, const std::string&)
        -> StatusOr<std::unique_ptr<Evaluator>> {
      return std::unique_ptr<Evaluator>(std::make_unique<SignalledEvaluator>(signalled));
    };
    std::atomic<bool> never{false};
    std::atomic<bool>* flag = signalled != nullptr ? signalled : &never;
    return RunEvalJob(dir.string(), factory, {}, [flag] { return flag->load(); });
  }
};

TEST_F(EvalJobTest, JobSignalledBeforeItsStopFiresWritesNoResult) {
  const fs::path dir = WriteJob();
  std::atomic<bool> signalled{false};
  const Status s = Run(dir, &signalled);
  EXPECT_EQ(s.code(), StatusCode::kCancelled) << s.ToString();
  EXPECT_FALSE(fs::exists(dir / "result.json"))
      << "the coordinator would record the evaluator's SIGTERM, not Slurm's verdict";
}

TEST_F(EvalJobTest, EvaluatorKilledWithoutTheJobBeingSignalledIsItsResult) {
  const fs::path dir = WriteJob();
  const Status s = Run(dir, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string result = ReadAll(dir / "result.json");
  EXPECT_NE(result.find("\"outcome\":\"runtime_error\""), std::string::npos) << result;
  EXPECT_NE(result.find("killed by SIGTERM"), std::string::npos) << result;
}

}  // namespace
}  // namespace crucible
