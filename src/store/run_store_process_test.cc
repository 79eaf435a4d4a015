// The multi-connection and multi-process promises of RunStore: readers beside
// a writer, read-only handles that never write, and crash safety.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "store/run_store.h"
#include "store/store_test_util.h"

namespace crucible::store_test {
namespace {

// A pipe whose ends close themselves.
class Pipe {
 public:
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_fd_ = fds[0];
    write_fd_ = fds[1];
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() { Close(read_fd_); }
  void CloseWrite() { Close(write_fd_); }
  bool Send(int64_t value) { return ::write(write_fd_, &value, sizeof value) == sizeof value; }
  // False at end of file.
  bool Receive(int64_t& value) {
    char* out = reinterpret_cast<char*>(&value);
    size_t got = 0;
    while (got < sizeof value) {
      ssize_t n = ::read(read_fd_, out + got, sizeof value - got);
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  static void Close(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// Exit codes of child processes; a child never returns into GoogleTest.
constexpr int kChildOk = 0;
constexpr int kChildFailed = 3;

int WaitForExitCode(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

class RunStoreProcessTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    StatusOr<std::unique_ptr<RunStore>> created = RunStore::Create(Path(), TestMetadata());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  std::unique_ptr<RunStore> OpenStore(RunStore::Mode mode) {
    StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), mode);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Every row is the candidate MakeCandidate made, with MakeResult if done.
  void ExpectIntact(const std::vector<CandidateRow>& rows) {
    for (const CandidateRow& row : rows) {
      Candidate want = MakeCandidate(row.candidate.id);
      ExpectSameProposal(row.candidate, want);
      if (row.status == CandidateStatus::kDone) {
        want.result = MakeResult(row.candidate.id);
        ExpectSameResult(row.candidate, want);
      }
    }
  }
};

// Writes candidate `id` the way the engine does: pending with its state, then
// its result.
bool WriteLikeTheEngine(RunStore& store, CandidateId id) {
  return store.InsertPending(MakeCandidate(id), {{"next_id", std::to_string(id + 1)}}).ok() &&
         store.Complete(id, MakeResult(id)).ok();
}

TEST_F(RunStoreProcessTest, ReaderInSameProcessSeesEachCommit) {
  std::unique_ptr<RunStore> writer = OpenStore(RunStore::Mode::kReadWrite);
  std::unique_ptr<RunStore> reader = OpenStore(RunStore::Mode::kReadOnly);
  for (CandidateId id = 0; id < 20; ++id) {
    ASSERT_TRUE(writer->InsertPending(MakeCandidate(id)).ok());
    std::optional<CandidateRow> pending = *reader->LoadCandidate(id);
    ASSERT_TRUE(pending.has_value());
    EXPECT_EQ(pending->status, CandidateStatus::kPending);
    ASSERT_TRUE(writer->Complete(id, MakeResult(id)).ok());
    EXPECT_EQ((*reader->LoadCandidate(id))->status, CandidateStatus::kDone);
    EXPECT_EQ(*reader->CountCandidates(), id + 1);
  }
  ExpectIntact(*reader->LoadCandidates());
}

// A connection's first read may meet another connection recovering the WAL
// (after the last writer closed and deleted it) or checkpointing: it waits
// for the lock like every later statement, instead of failing at once with
// "database is locked" (seen once as a resume beside `crucible serve`).
TEST_F(RunStoreProcessTest, OpensWaitForARecoveryOrCheckpointInProgress) {
  std::atomic<bool> done{false};
  std::atomic<int> reader_failures{0};
  std::string first_failure;
  std::thread readers([&] {
    while (!done) {
      StatusOr<std::unique_ptr<RunStore>> r = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
      const Status s = r.ok() ? (*r)->CountCandidates().status() : r.status();
      if (!s.ok() && reader_failures++ == 0) first_failure = s.ToString();
    }
  });
  CandidateId id = 0;
  for (int round = 0; round < 150; ++round) {
    // Each writer closes as the last one more often than not: it
    // checkpoints and deletes the WAL, and the next opener recovers it.
    StatusOr<std::unique_ptr<RunStore>> w = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
    ASSERT_TRUE(w.ok()) << "round " << round << ": " << w.status().ToString();
    ASSERT_TRUE(WriteLikeTheEngine(**w, id++));
  }
  done = true;
  readers.join();
  EXPECT_EQ(reader_failures.load(), 0) << first_failure;
  ExpectIntact(*OpenStore(RunStore::Mode::kReadOnly)->LoadCandidates());
}

TEST_F(RunStoreProcessTest, ReaderFollowsAWriterInAnotherProcess) {
  constexpr int kBatches = 10;
  constexpr int kPerBatch = 25;
  std::unique_ptr<RunStore> reader = OpenStore(RunStore::Mode::kReadOnly);
  Pipe progress;  // child -> parent: "batch b is committed"
  Pipe ack;       // parent -> child: "read it, go on"
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    StatusOr<std::unique_ptr<RunStore>> writer = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
    if (!writer.ok()) ::_exit(kChildFailed);
    for (int b = 0; b < kBatches; ++b) {
      for (int i = 0; i < kPerBatch; ++i) {
        if (!WriteLikeTheEngine(**writer, b * kPerBatch + i)) ::_exit(kChildFailed);
      }
      int64_t go = 0;
      if (!progress.Send(b) || !ack.Receive(go)) ::_exit(kChildFailed);
    }
    ::_exit(kChildOk);
  }
  progress.CloseWrite();
  ack.CloseRead();
  for (int b = 0; b < kBatches; ++b) {
    int64_t batch = -1;
    ASSERT_TRUE(progress.Receive(batch));
    ASSERT_EQ(batch, b);
    // The writer is alive and holds the database open while we read.
    EXPECT_EQ(*reader->CountCandidates(), (b + 1) * kPerBatch);
    EXPECT_EQ(reader->GetState("next_id")->value(), std::to_string((b + 1) * kPerBatch));
    ExpectIntact(*reader->LoadCandidates());
    ASSERT_TRUE(ack.Send(b));
  }
  EXPECT_EQ(WaitForExitCode(pid), kChildOk);
  EXPECT_EQ(*reader->CountCandidates(), kBatches * kPerBatch);
}

TEST_F(RunStoreProcessTest, ReadOnlyStoreRefusesWritesAndLeavesTheFileAlone) {
  {
    std::unique_ptr<RunStore> writer = OpenStore(RunStore::Mode::kReadWrite);
    ASSERT_TRUE(writer->InsertDone(MakeCandidate(0)).ok());
  }
  // The last writer closed cleanly: its checkpoint removed the -wal file.
  EXPECT_FALSE(Exists(Path() + "-wal"));
  std::string before = FileBytes(Path());
  {
    std::unique_ptr<RunStore> reader = OpenStore(RunStore::Mode::kReadOnly);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(*reader->CountCandidates(), 1);
    for (const Status& status :
         {reader->InsertPending(MakeCandidate(1)), reader->InsertDone(MakeCandidate(1)),
          reader->Complete(0, MakeResult(0)), reader->PutState("k", "v"),
          reader->AppendEvent(1, "kind", "{}")}) {
      EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
      EXPECT_NE(status.message().find("read-only"), std::string::npos);
    }
  }
  EXPECT_EQ(FileBytes(Path()), before);
  EXPECT_EQ(*OpenStore(RunStore::Mode::kReadOnly)->CountCandidates(), 1);
}

// Another user's finished run: no -wal file and a directory we cannot write,
// so the -wal/-shm files WAL mode wants cannot be created.
TEST_F(RunStoreProcessTest, ReadOnlyOpensInADirectoryItCannotWrite) {
  {
    std::unique_ptr<RunStore> writer = OpenStore(RunStore::Mode::kReadWrite);
    ASSERT_TRUE(writer->InsertDone(MakeCandidate(0)).ok());
    ASSERT_TRUE(writer->InsertDone(MakeCandidate(1)).ok());
  }
  ASSERT_FALSE(Exists(Path() + "-wal"));
  bool root = ::geteuid() == 0;
  // As root, directory permissions do not apply: become nobody instead.
  ASSERT_EQ(::chmod(dir_.c_str(), root ? 0755 : 0555), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (root && ::setuid(65534) != 0) ::_exit(kChildFailed);
    if (::access(dir_.c_str(), W_OK) == 0) ::_exit(kChildFailed);  // the premise
    StatusOr<std::unique_ptr<RunStore>> reader = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
    if (!reader.ok()) ::_exit(10);
    StatusOr<int64_t> count = (*reader)->CountCandidates();
    ::_exit(count.ok() && *count == 2 ? kChildOk : 11);
  }
  EXPECT_EQ(WaitForExitCode(pid), kChildOk);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_FALSE(Exists(Path() + "-wal"));
  EXPECT_FALSE(Exists(Path() + "-shm"));
}

TEST_F(RunStoreProcessTest, WriterThatExitsWithoutClosingLosesNothing) {
  constexpr int kCandidates = 300;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    StatusOr<std::unique_ptr<RunStore>> writer = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
    if (!writer.ok()) ::_exit(kChildFailed);
    for (int id = 0; id < kCandidates; ++id) {
      if (!WriteLikeTheEngine(**writer, id)) ::_exit(kChildFailed);
    }
    // No destructor runs: the connection is never closed nor checkpointed.
    ::_exit(kChildOk);
  }
  ASSERT_EQ(WaitForExitCode(pid), kChildOk);
  EXPECT_TRUE(Exists(Path() + "-wal"));  // the commits live in the WAL
  std::unique_ptr<RunStore> reader = OpenStore(RunStore::Mode::kReadOnly);
  EXPECT_EQ(*reader->CountCandidates(), kCandidates);
  EXPECT_EQ(reader->LoadCandidates(CandidateStatus::kDone)->size(), size_t{kCandidates});
  ExpectIntact(*reader->LoadCandidates());
}

// The child writes as fast as it can and reports each committed write; it is
// SIGKILLed at an arbitrary point, usually inside a transaction. Everything
// reported must be there, intact, and state must match the candidates exactly.
TEST_F(RunStoreProcessTest, WriterKilledMidWayLosesNoCommittedCandidate) {
  constexpr int kRounds = 3;
  CandidateId next_id = 0;
  for (int round = 0; round < kRounds; ++round) {
    Pipe committed;  // child -> parent: id * 2 (+1 once complete)
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      committed.CloseRead();
      StatusOr<std::unique_ptr<RunStore>> writer =
          RunStore::Open(Path(), RunStore::Mode::kReadWrite);
      if (!writer.ok()) ::_exit(kChildFailed);
      for (CandidateId id = next_id;; ++id) {
        if (!(*writer)->InsertPending(MakeCandidate(id), {{"next_id", std::to_string(id + 1)}})
                 .ok() ||
            !committed.Send(id * 2) || !(*writer)->Complete(id, MakeResult(id)).ok() ||
            !committed.Send(id * 2 + 1)) {
          ::_exit(kChildFailed);
        }
      }
    }
    committed.CloseWrite();
    std::set<CandidateId> pending_reported, done_reported;
    int64_t report = 0;
    const int64_t kill_after = 150 + 97 * round;  // vary the point of death
    for (int64_t n = 0; n < kill_after && committed.Receive(report); ++n) {
      (report % 2 ? done_reported : pending_reported).insert(report / 2);
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child failed early";
    while (committed.Receive(report)) {  // reports written before the kill
      (report % 2 ? done_reported : pending_reported).insert(report / 2);
    }

    std::unique_ptr<RunStore> store = OpenStore(RunStore::Mode::kReadWrite);
    ASSERT_NE(store, nullptr);
    std::vector<CandidateRow> rows = *store->LoadCandidates();
    ExpectIntact(rows);
    std::set<CandidateId> present, done;
    for (const CandidateRow& row : rows) {
      present.insert(row.candidate.id);
      if (row.status == CandidateStatus::kDone) done.insert(row.candidate.id);
    }
    for (CandidateId id : pending_reported) EXPECT_TRUE(present.count(id)) << id;
    for (CandidateId id : done_reported) EXPECT_TRUE(done.count(id)) << id;
    // Ids are dense, and next_id was committed with the last candidate.
    CandidateId max_id = *store->MaxCandidateId();
    EXPECT_EQ(static_cast<CandidateId>(rows.size()), max_id + 1);
    EXPECT_EQ(store->GetState("next_id")->value(), std::to_string(max_id + 1));
    // At most the last candidate is still pending; the engine would re-run it.
    EXPECT_LE(present.size() - done.size(), 1u);
    next_id = max_id + 1;
    // Resuming: finish the pending one, so the next round continues cleanly.
    if (present.size() != done.size()) {
      ASSERT_TRUE(store->Complete(max_id, MakeResult(max_id)).ok());
    }
  }
  EXPECT_GT(next_id, 150);
}

// ------------------------------------------------------------- checkpoints

Candidate MakeLargeCandidate(CandidateId id) {
  Candidate c = MakeCandidate(id);
  c.program.files[0].content += std::string(4096, 'x');  // about two WAL frames
  return c;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

TEST_F(RunStoreProcessTest, BackgroundCheckpointCopiesTheWalWhileTheWriterWrites) {
  const int64_t initial_size = FileSize(Path());
  RunStore::Options options;
  options.checkpoint_frames = 50;
  options.blocking_checkpoint_frames = 1 << 30;  // never: only the thread checkpoints
  StatusOr<std::unique_ptr<RunStore>> writer =
      RunStore::Open(Path(), RunStore::Mode::kReadWrite, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (CandidateId id = 0; id < 200; ++id) {
    ASSERT_TRUE((*writer)->InsertDone(MakeLargeCandidate(id)).ok());
  }
  // The thread runs on its own schedule: wait (bounded) for the database
  // file, untouched by commits in WAL mode, to receive the candidates.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (FileSize(Path()) < initial_size + 200 * 4096 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_GE(FileSize(Path()), initial_size + 200 * 4096);
  EXPECT_EQ(*OpenStore(RunStore::Mode::kReadOnly)->CountCandidates(), 200);
}

TEST_F(RunStoreProcessTest, WriterBoundsTheWalWhenCheckpointsFallBehind) {
  RunStore::Options options;
  options.checkpoint_frames = 50;
  options.blocking_checkpoint_frames = 200;
  StatusOr<std::unique_ptr<RunStore>> writer =
      RunStore::Open(Path(), RunStore::Mode::kReadWrite, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // Without checkpoints 600 large candidates need ~3000 frames (12 MB).
  constexpr int64_t kFrameBytes = 4096 + 24;
  int64_t largest = 0;
  for (CandidateId id = 0; id < 600; ++id) {
    ASSERT_TRUE((*writer)->InsertPending(MakeLargeCandidate(id), {{"k", "v"}}).ok());
    ASSERT_TRUE((*writer)->Complete(id, MakeResult(id)).ok());
    largest = std::max(largest, FileSize(Path() + "-wal"));
  }
  EXPECT_LE(largest, 2 * options.blocking_checkpoint_frames * kFrameBytes);
  std::unique_ptr<RunStore> reader = OpenStore(RunStore::Mode::kReadOnly);
  EXPECT_EQ(*reader->CountCandidates(), 600);
  EXPECT_EQ(reader->LoadCandidates(CandidateStatus::kDone)->size(), 600u);
}

TEST_F(RunStoreProcessTest, InvalidOptionsAreRejected) {
  RunStore::Options options;
  options.checkpoint_frames = 0;
  EXPECT_EQ(RunStore::Open(Path(), RunStore::Mode::kReadWrite, options).status().code(),
            StatusCode::kInvalidArgument);
  options.checkpoint_frames = 10;
  options.blocking_checkpoint_frames = 5;
  EXPECT_EQ(RunStore::Create(Path("other.db"), TestMetadata(), options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists(Path("other.db")));
}

}  // namespace
}  // namespace crucible::store_test
