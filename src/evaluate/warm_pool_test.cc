// Warm Python workers (warm_pool.h) against real processes: the same score
// as a cold evaluation, and the containment of a cold one: deadline with the
// whole tree killed, nothing of one candidate visible to the next, a killed
// worker replaced.
#include "evaluate/warm_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <thread>

#include "evaluate/command_evaluator.h"
#include "evaluate/python_support.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// The evaluator imports the candidate and scores what run() returns.
constexpr char kEvaluator[] = R"(
import importlib.util
def evaluate(program_path):
    spec = importlib.util.spec_from_file_location("candidate", program_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"combined_score": float(module.run())}
)";

// True when a process whose command line holds `marker` exists.
bool ProcessWithMarkerExists(const std::string& marker) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos) return true;
  }
  return false;
}

// Every test runs with each of the worker's two loops: the compiled one
// (_crucible_warm_fork, warm_fork.cc, shipped in the binary) and the
// pure-Python one worker.py falls back to when the module is not there.
enum class Loop { kCompiled, kPurePython };
void PrintTo(Loop loop, std::ostream* os) { *os << (loop == Loop::kCompiled ? "compiled" : "pure Python"); }

class WarmPoolTest : public ::testing::TestWithParam<Loop> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-warmtest-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ / "work");
    fs::create_directories(root_ / "task");
    std::ofstream(root_ / "task" / "evaluator.py") << kEvaluator;
    // The task's own initial program, which no candidate is (a cold
    // evaluation once scored it instead of the candidate).
    std::ofstream(root_ / "task" / "p.py") << "def run():\n    return -1\n";
    ASSERT_TRUE(InstallPythonSupport((root_ / "python").string()).ok());
    if (GetParam() == Loop::kPurePython) {
      ASSERT_TRUE(fs::remove(root_ / "python" / "crucible" / "_crucible_warm_fork.abi3.so"));
    }
    marker_ = "crucible_warm_marker_" + std::to_string(::getpid());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<CommandEvaluator> Make(PythonRunner runner, double timeout = 5) {
    PythonEvaluator ev;
    ev.file = (root_ / "task" / "evaluator.py").string();
    CommandEvaluatorOptions o;
    o.problem_dir = (root_ / "task").string();
    o.command = PythonEvaluatorCommand((root_ / "python").string(), ev, "p.py", {}, PythonRunner::kCold);
    o.command[0] = "/usr/bin/python3";  // not a pyenv shim on PATH
    if (runner == PythonRunner::kWarm) {
      o.warm_worker_command =
          PythonEvaluatorCommand((root_ / "python").string(), ev, "p.py", {}, PythonRunner::kWarm);
      o.warm_worker_command[0] = "/usr/bin/python3";
    }
    o.result_channel_only = true;  // as the engine sets these for a Python evaluator
    o.command_is_final = true;
    o.work_root = (root_ / "work").string();
    o.cache_dir = cache_dir_;
    o.readonly_paths = {(root_ / "python").string(), (root_ / "task").string()};
    o.sandbox.wall_timeout_seconds = timeout;
    o.sandbox.memory_bytes = 512ull << 20;
    auto e = CommandEvaluator::Create(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(e).value();
  }

  EvalResult Eval(CommandEvaluator& e, const std::string& source) {
    Program program{{{"p.py", source}}};
    EvalRequest req;
    req.id = next_id_++;
    req.program = &program;
    req.seed = 5;
    return e.Evaluate(req, {});
  }

  fs::path root_;
  std::string cache_dir_;  // none unless a test sets it before Make()
  std::string marker_;
  std::atomic<int> next_id_{1};  // Eval runs on two threads in one test
};

TEST_P(WarmPoolTest, ScoresAsTheColdAdapterDoes) {
  const std::string source = "import random\ndef run():\n    return random.random()\n";
  auto cold = Make(PythonRunner::kCold);
  auto warm = Make(PythonRunner::kWarm);
  const EvalResult c = Eval(*cold, source);
  next_id_ = 1;
  const EvalResult w = Eval(*warm, source);
  ASSERT_EQ(c.outcome, Outcome::kOk) << c.feedback;
  ASSERT_EQ(w.outcome, Outcome::kOk) << w.feedback;
  EXPECT_GE(*c.score, 0);  // the candidate's, not the task's own p.py (-1)
  EXPECT_EQ(*c.score, *w.score);  // the same CRUCIBLE_SEED seeds random the same way
  EXPECT_EQ(c.metrics, w.metrics);
}

TEST_P(WarmPoolTest, ATimedOutCandidateIsKilledWithItsWholeTree) {
  auto warm = Make(PythonRunner::kWarm, 2);
  const EvalResult r = Eval(*warm, "import subprocess\ndef run():\n"
                                   "    subprocess.Popen(['sleep', '1000', '" + marker_ +
                                       "'], start_new_session=True)\n"
                                   "    while True:\n        pass\n");
  EXPECT_EQ(r.outcome, Outcome::kTimeout) << r.feedback;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(ProcessWithMarkerExists(marker_)) << "a process of the candidate survived";
  const EvalResult next = Eval(*warm, "def run():\n    return 2\n");
  ASSERT_EQ(next.outcome, Outcome::kOk) << next.feedback;
  EXPECT_EQ(*next.score, 2);
}

TEST_P(WarmPoolTest, NothingOfOneCandidateIsVisibleToTheNext) {
  auto warm = Make(PythonRunner::kWarm);
  // Leaves a file in /tmp, /dev/shm and its scratch dir, a daemon, and a
  // mark in an imported module's state.
  const EvalResult a = Eval(*warm, "import json, os, subprocess\ndef run():\n"
                                   "    open('/tmp/leak', 'w').write('x')\n"
                                   "    open('/dev/shm/leak', 'w').write('x')\n"
                                   "    open('leak', 'w').write('x')\n"
                                   "    json.LEAK = 1\n"
                                   "    if os.fork() == 0:\n"
                                   "        os.setsid()\n"
                                   "        os.execvp('sleep', ['sleep', '1000', '" + marker_ + "'])\n"
                                   "    return 1\n");
  ASSERT_EQ(a.outcome, Outcome::kOk) << a.feedback;
  // Scores 1 only when it sees none of that.
  const EvalResult b = Eval(*warm, "import json, os\ndef run():\n"
                                   "    seen = [p for p in ('/tmp/leak', '/dev/shm/leak', 'leak') if os.path.exists(p)]\n"
                                   "    if hasattr(json, 'LEAK'): seen.append('json.LEAK')\n"
                                   "    for pid in os.listdir('/proc'):\n"
                                   "        try:\n"
                                   "            if pid.isdigit() and b'" + marker_ + "' in open(f'/proc/{pid}/cmdline', 'rb').read(): seen.append(pid)\n"
                                   "        except OSError: pass\n"
                                   "    if seen: raise RuntimeError(f'saw {seen}')\n"
                                   "    return 1\n");
  ASSERT_EQ(b.outcome, Outcome::kOk) << b.feedback;
  EXPECT_FALSE(ProcessWithMarkerExists(marker_));
}

// The worker empties its private /tmp after each candidate, but what
// crucible binds below /tmp (here the run's cache directory, as under a run
// directory in /tmp) is not the candidate's to lose: a file the evaluator
// caches stays for the next candidate, while a file left on the private
// /tmp itself, beside those binds, goes, and so does a hard link to the
// candidate's own file (no new inode: the worker's count of free inodes
// must still see it).
TEST_P(WarmPoolTest, TheCleanUpKeepsTheCacheAndRemovesWhatTheCandidateLeft) {
  cache_dir_ = (root_ / "work" / "cache").string();
  auto warm = Make(PythonRunner::kWarm);
  const std::string beside = (root_ / "leak").string();
  const EvalResult a = Eval(*warm, "import os\ndef run():\n"
                                   "    cache = os.environ['CRUCIBLE_CACHE_DIR']\n"
                                   "    open(os.path.join(cache, 'kept'), 'w').write('x')\n"
                                   "    open('" + beside + "', 'w').write('x')\n"
                                   "    os.link(__file__, '/tmp/linked')\n"
                                   "    return 1\n");
  ASSERT_EQ(a.outcome, Outcome::kOk) << a.feedback;
  EXPECT_TRUE(fs::exists(fs::path(cache_dir_) / "kept"));
  EXPECT_FALSE(fs::exists(beside)) << "the private /tmp is the host's";
  const EvalResult b = Eval(*warm, "import os\ndef run():\n"
                                   "    cache = os.environ['CRUCIBLE_CACHE_DIR']\n"
                                   "    if not os.path.exists(os.path.join(cache, 'kept')):\n"
                                   "        raise RuntimeError('the cache was emptied')\n"
                                   "    for left in ('" + beside + "', '/tmp/linked'):\n"
                                   "        if os.path.exists(left):\n"
                                   "            raise RuntimeError(f'{left} of the last candidate is left')\n"
                                   "    return 1\n");
  ASSERT_EQ(b.outcome, Outcome::kOk) << b.feedback;
}

TEST_P(WarmPoolTest, WhatACandidateWritesInTheWorkersDirectoryStaysOffTheDisk) {
  // The worker's own directory (which a candidate can name) is a private
  // tmpfs in its sandbox: a file written there never reaches the host's.
  auto warm = Make(PythonRunner::kWarm);
  const std::string dir = (root_ / "work" / "warm" / "w0").string();
  const EvalResult r = Eval(*warm, "def run():\n"
                                   "    with open('" + dir + "/big', 'wb') as f:\n"
                                   "        f.write(b'x' * (8 << 20))\n"
                                   "    return 1\n");
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;  // the write itself worked
  EXPECT_FALSE(fs::exists(dir + "/big")) << "the worker's directory is the host's";
}

// The scratch directory is the worker's, emptied after each candidate, even
// of a directory the candidate made unreadable; the candidate's files
// (written by the worker from the request) are read-only for it (by mode:
// they are its own, removed after it).
TEST_P(WarmPoolTest, TheScratchIsEmptiedAndTheCandidatesFilesAreReadOnly) {
  auto warm = Make(PythonRunner::kWarm);
  const EvalResult a = Eval(*warm, "import os\ndef run():\n"
                                   "    os.makedirs('d/e')\n"
                                   "    open('d/e/f', 'w').write('x')\n"
                                   "    os.chmod('d/e', 0)\n"
                                   "    os.chmod('d', 0)\n"
                                   "    blocked = 0\n"
                                   "    try:\n"
                                   "        open(__file__, 'a').write('# changed')\n"
                                   "    except OSError:\n"
                                   "        blocked = 1\n"
                                   "    return os.getppid() * 10 + blocked\n");
  ASSERT_EQ(a.outcome, Outcome::kOk) << a.feedback;
  const auto worker = static_cast<long>(*a.score) / 10;
  EXPECT_EQ(static_cast<long>(*a.score) % 10, 1) << "the candidate could change its own file";
  // 2: a new worker (the first retired) would also show an empty scratch.
  const EvalResult b = Eval(*warm, "import os\ndef run():\n"
                                   "    if os.getppid() != " + std::to_string(worker) + ":\n"
                                   "        return 2\n"
                                   "    return 0 if os.listdir('.') else 1\n");
  ASSERT_EQ(b.outcome, Outcome::kOk) << b.feedback;
  EXPECT_EQ(*b.score, 1) << "0: the scratch held a file of the last candidate; 2: another worker";
}

// Two candidates evaluated at once, by two workers: neither sees the other's
// scratch directory. Before, each worker's scratch was WORK_ROOT/warm/w<N>/
// scratch, and every worker sees WORK_ROOT (read-only, for the candidates'
// directories), so a candidate could read what the other wrote while it ran.
TEST_P(WarmPoolTest, CandidatesRunningAtOnceDoNotSeeEachOthersScratch) {
  cache_dir_ = (root_ / "work" / "cache").string();
  fs::create_directories(cache_dir_);
  auto warm = Make(PythonRunner::kWarm);
  const std::string work = (root_ / "work").string();
  // A marks its scratch and says so in the shared cache until B is done.
  const std::string a_source =
      "import os, time\ndef run():\n"
      "    open('mark-" + marker_ + "', 'w').write('x')\n"
      "    cache = os.environ['CRUCIBLE_CACHE_DIR']\n"
      "    open(os.path.join(cache, 'a-running'), 'w').write(os.getcwd())\n"
      "    for _ in range(400):\n"
      "        if os.path.exists(os.path.join(cache, 'b-done')): return 1\n"
      "        time.sleep(0.01)\n"
      "    return 0\n";
  // B waits for A to run, then looks for A's mark below WORK_ROOT and in the
  // directory A ran in. 1: nothing seen; 0: seen; 2: A never ran beside B.
  const std::string b_source =
      "import os, time\ndef run():\n"
      "    cache = os.environ['CRUCIBLE_CACHE_DIR']\n"
      "    running = os.path.join(cache, 'a-running')\n"
      "    for _ in range(400):\n"
      "        if os.path.exists(running): break\n"
      "        time.sleep(0.01)\n"
      "    else:\n"
      "        return 2\n"
      "    time.sleep(0.05)\n"
      "    seen = os.path.exists(os.path.join(open(running).read(), 'mark-" + marker_ + "'))\n"
      "    for d, _, files in os.walk('" + work + "'):\n"
      "        seen = seen or 'mark-" + marker_ + "' in files\n"
      "    open(os.path.join(cache, 'b-done'), 'w').write('x')\n"
      "    return 0 if seen else 1\n";
  EvalResult a;
  std::thread first([&] { a = Eval(*warm, a_source); });
  const EvalResult b = Eval(*warm, b_source);
  first.join();
  ASSERT_EQ(a.outcome, Outcome::kOk) << a.feedback;
  ASSERT_EQ(b.outcome, Outcome::kOk) << b.feedback;
  EXPECT_EQ(*a.score, 1) << "B did not finish while A ran";
  EXPECT_EQ(*b.score, 1) << "0: B saw A's scratch; 2: A never ran beside B";
}

// A program whose files are not UTF-8 cannot travel in a JSON request: it
// is written to the candidate's directory as for a cold evaluation, and
// scores the same.
TEST_P(WarmPoolTest, AProgramThatIsNotUtf8ScoresAsCold) {
  const std::string source = "# -*- coding: latin-1 -*-\nX = '\xe9\xe9'\ndef run():\n    return len(X)\n";
  auto warm = Make(PythonRunner::kWarm);
  const EvalResult w = Eval(*warm, source);
  ASSERT_EQ(w.outcome, Outcome::kOk) << w.feedback;
  EXPECT_EQ(*w.score, 2);
}

TEST_P(WarmPoolTest, AWorkerKilledByItsCandidateIsReplaced) {
  auto warm = Make(PythonRunner::kWarm);
  const EvalResult first = Eval(*warm, "def run():\n    return 1\n");
  ASSERT_EQ(first.outcome, Outcome::kOk) << first.feedback;
  const EvalResult killer = Eval(*warm, "import os, signal, time\ndef run():\n"
                                        "    os.kill(os.getppid(), signal.SIGKILL)\n"
                                        "    time.sleep(30)\n    return 1\n");
  EXPECT_NE(killer.outcome, Outcome::kOk);
  const EvalResult after = Eval(*warm, "def run():\n    return 3\n");
  ASSERT_EQ(after.outcome, Outcome::kOk) << after.feedback;
  EXPECT_EQ(*after.score, 3);
}

TEST_P(WarmPoolTest, AMemoryHogIsAMemoryLimit) {
  auto warm = Make(PythonRunner::kWarm);
  const EvalResult r = Eval(*warm, "def run():\n    x = []\n    while True:\n"
                                   "        x.append(' ' * 10**7)\n");
  EXPECT_EQ(r.outcome, Outcome::kMemoryLimit) << r.feedback;
  const EvalResult next = Eval(*warm, "def run():\n    return 1\n");
  EXPECT_EQ(next.outcome, Outcome::kOk) << next.feedback;
}

// What a candidate can write besides the result channel: a result line on
// stdout, result.json in its working directory, an early os._exit(0), and,
// from a program the evaluator starts, every descriptor it can reach, its
// own and its ancestors' through /proc. None of it is a score, warm or cold
// (docs/evaluator-protocol.md, "Trust").
TEST_P(WarmPoolTest, NoForgedResultScoresWarmOrCold) {
  const std::string in_process_exit =
      "import json, os\n"
      "FAKE = json.dumps({'score': 1e9, 'valid': True}) + '\\n'\n"
      "print(FAKE, flush=True)\n"
      "open('result.json', 'w').write(FAKE)\n"
      "os._exit(0)\n"
      "def run():\n    return 1\n";
  // A program the evaluator runs in a child (as OpenEvolve's own examples
  // do) tries every descriptor and every ancestor's; the evaluator then
  // scores 0.5.
  const std::string child_program =
      "import os\n"
      "FAKE = b'{\"score\": 1e9, \"valid\": true}\\n'\n"
      "open('result.json', 'wb').write(FAKE)\n"
      "os.write(1, FAKE)\n"
      "for fd in range(3, 256):\n"
      "    try: os.write(fd, FAKE)\n"
      "    except OSError: pass\n"
      "pid = os.getpid()\n"
      "while pid > 1:\n"
      "    pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
      "    try: fds = os.listdir(f'/proc/{pid}/fd')\n"
      "    except OSError: continue\n"
      "    for fd in fds:\n"
      "        try:\n"
      "            with open(f'/proc/{pid}/fd/{fd}', 'wb') as f: f.write(FAKE)\n"
      "        except OSError: pass\n";
  const std::string via_child = "import subprocess, sys\n"
                                "def run():\n"
                                "    subprocess.run([sys.executable, '-c', '''" +
                                child_program + "'''])\n    return 0.5\n";
  for (PythonRunner runner : {PythonRunner::kCold, PythonRunner::kWarm}) {
    SCOPED_TRACE(runner == PythonRunner::kWarm ? "warm" : "cold");
    auto e = Make(runner);
    const EvalResult exited = Eval(*e, in_process_exit);
    EXPECT_EQ(exited.outcome, Outcome::kEvaluatorError) << exited.feedback;
    EXPECT_FALSE(exited.score.has_value());
    EXPECT_NE(exited.feedback.find("result channel"), std::string::npos) << exited.feedback;
    const EvalResult child = Eval(*e, via_child);
    ASSERT_EQ(child.outcome, Outcome::kOk) << child.feedback;
    EXPECT_EQ(*child.score, 0.5);
    const EvalResult fine = Eval(*e, "def run():\n    return 2\n");
    ASSERT_EQ(fine.outcome, Outcome::kOk) << fine.feedback;
    EXPECT_EQ(*fine.score, 2);
  }
}

// The compiled loop is the one in use when it is shipped (a build without
// Python's headers ships none): the candidate's child, forked from the
// worker, has the worker's modules.
TEST_P(WarmPoolTest, TheCompiledLoopRunsWhenItIsShipped) {
  auto warm = Make(PythonRunner::kWarm);
  const EvalResult r = Eval(*warm, "import sys\ndef run():\n"
                                   "    return 1 if '_crucible_warm_fork' in sys.modules else 0\n");
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_EQ(*r.score, GetParam() == Loop::kCompiled ? 1 : 0);
}

// Each candidate's variables (CRUCIBLE_STAGE, CRUCIBLE_PREVIOUS_RESULT, ...)
// are its own: the compiled loop sets them in the worker before the fork
// and must take them back, so the next candidate does not inherit them,
// and a variable of the worker's own that a candidate overrode is the
// worker's again for the next.
TEST_P(WarmPoolTest, ACandidatesVariablesAreNotTheNextOnes) {
  WarmPoolOptions o;
  PythonEvaluator ev;
  ev.file = (root_ / "task" / "evaluator.py").string();
  o.worker_argv = PythonEvaluatorCommand((root_ / "python").string(), ev, "p.py", {}, PythonRunner::kWarm);
  o.worker_argv[0] = "/usr/bin/python3";
  o.root = (root_ / "work").string();
  o.readonly_paths = {(root_ / "python").string(), (root_ / "task").string()};
  o.sandbox.wall_timeout_seconds = 5;
  o.sandbox.memory_bytes = 512ull << 20;
  o.env["WORKERS_OWN"] = "w";
  auto pool = WarmPool::Create(o);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  const Program program{{{"p.py", "import os\ndef run():\n"
                                   "    return ((1 if os.environ.get('ONLY_FIRST') == 'a' else 0)\n"
                                   "            + (10 if os.environ.get('WORKERS_OWN') == 'w' else 0)\n"
                                   "            + (100 if 'LD_BIND_NOW' in os.environ else 0))\n"}}};
  const WarmPool::Stage first = (*pool)->Run(&program, "", {{"ONLY_FIRST", "a"}, {"WORKERS_OWN", "c"}}, {});
  const WarmPool::Stage second = (*pool)->Run(&program, "", {{"OTHER", "b"}}, {});
  ASSERT_TRUE(first.result.has_value()) << first.run.stderr_text;
  ASSERT_TRUE(second.result.has_value()) << second.run.stderr_text;
  EXPECT_NE(first.result->find("\"score\": 1.0"), std::string::npos) << *first.result;
  EXPECT_NE(second.result->find("\"score\": 10.0"), std::string::npos) << *second.result;
  EXPECT_EQ((*pool)->workers_started(), 1);
}

// worker.py driven directly over its FIFOs, without crucible or a sandbox:
// requests crucible would never send.
class RawWorker {
 public:
  RawWorker(const fs::path& python, const fs::path& task, const fs::path& dir) {
    fs::create_directories(dir);
    const std::string request = (dir / "request").string(), response = (dir / "response").string();
    EXPECT_EQ(::mkfifo(request.c_str(), 0600), 0);
    EXPECT_EQ(::mkfifo(response.c_str(), 0600), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(dir.c_str()) != 0) ::_exit(127);
      const std::string worker = (python / "crucible" / "worker.py").string();
      const std::string evaluator = (task / "evaluator.py").string();
      ::execl("/usr/bin/python3", "python3", worker.c_str(), request.c_str(), response.c_str(), "openevolve",
              evaluator.c_str(), "p.py", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    request_ = ::open(request.c_str(), O_WRONLY | O_CLOEXEC);
    response_ = ::fdopen(::open(response.c_str(), O_RDONLY | O_CLOEXEC), "r");
    EXPECT_NE(Line().find("ready"), std::string::npos);
  }
  ~RawWorker() {
    ::close(request_);
    if (response_ != nullptr) ::fclose(response_);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string Ask(const std::string& line) {
    EXPECT_EQ(::write(request_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    return Line();
  }
  // True when the worker exits by itself within 10 s.
  bool Exits() {
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return true;
      ::usleep(10000);
    }
    return false;
  }

 private:
  std::string Line() {
    char* line = nullptr;
    size_t cap = 0;
    const ssize_t n = response_ != nullptr ? ::getline(&line, &cap, response_) : -1;
    std::string out = n > 0 ? std::string(line, static_cast<size_t>(n)) : "";
    ::free(line);
    return out;
  }
  pid_t pid_ = -1;
  int request_ = -1;
  FILE* response_ = nullptr;
};

// A request the worker cannot read or act on is answered (exit code 70, the
// cause in stderr) and retires the worker, which crucible then replaces;
// nothing is written outside the worker's directory.
TEST_P(WarmPoolTest, ARequestTheWorkerCannotUseIsAnsweredAndRetiresIt) {
  const struct {
    std::string line, cause;
  } cases[] = {
      {"not json\n", "could not read the request"},
      {"{\"files\": [[\"p.py\", \"x = 1\"]], \"timeout\": \"soon\"}\n", "could not read the request"},
      {"{\"files\": [[\"../escaped.py\", \"x = 1\"]], \"timeout\": 5, \"env\": {}}\n",
       "is not a plain relative path"},
      {"{\"files\": [[\"p.py\", \"x = 1\"]], \"timeout\": 5, \"env\": {\"A\": \"nul\\u0000\"}}\n",
       "environment"},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const fs::path dir = root_ / "raw" / std::to_string(n++);
    RawWorker worker(root_ / "python", root_ / "task", dir);
    const std::string answer = worker.Ask(c.line);
    EXPECT_NE(answer.find("\"exit_code\": 70"), std::string::npos) << answer;
    EXPECT_NE(answer.find(c.cause), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"retire\""), std::string::npos) << answer;
    EXPECT_TRUE(worker.Exits());
    EXPECT_FALSE(fs::exists(dir / "escaped.py"));
  }
}

INSTANTIATE_TEST_SUITE_P(Loops, WarmPoolTest, ::testing::Values(Loop::kCompiled, Loop::kPurePython),
                         [](const ::testing::TestParamInfo<Loop>& info) {
                           return info.param == Loop::kCompiled ? "Compiled" : "PurePython";
                         });

}  // namespace
}  // namespace crucible
