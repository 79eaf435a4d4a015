// The write-combining WAL VFS (store/wal_buffer.h): whatever it buffers is in
// the file when a commit returns, for transactions of any size.
#include "store/wal_buffer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

#include "store/run_store.h"
#include "store/store_test_util.h"

namespace crucible::store_test {
namespace {

class WalBufferTest : public TempDirTest {};

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

TEST_F(WalBufferTest, IsRegisteredOnce) {
  const char* name = sqlite::WalBufferVfsName();
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(sqlite::WalBufferVfsName(), name);
  EXPECT_NE(sqlite3_vfs_find(name), nullptr);
}

// A batch of many pages: its WAL writes exceed what one flush may hold
// (64 KiB) and what the unix VFS writes in one call (128 KiB).
TEST_F(WalBufferTest, LargeBatchIsCommittedWhole) {
  auto writer = std::move(RunStore::Create(Path(), TestMetadata())).value();
  auto reader = std::move(RunStore::Open(Path(), RunStore::Mode::kReadOnly)).value();
  constexpr int kCandidates = 200;
  ASSERT_TRUE(writer->BeginBatch().ok());
  for (CandidateId id = 0; id < kCandidates; ++id) {
    Candidate c = MakeCandidate(id);
    c.program.files[0].content += std::string(3000 + 37 * id, 'x');  // ~1 MiB in all
    ASSERT_TRUE(writer->InsertDone(c).ok()) << id;
  }
  EXPECT_EQ(*reader->CountCandidates(), 0);  // nothing is visible before the commit
  ASSERT_TRUE(writer->CommitBatch().ok());
  EXPECT_GT(FileSize(Path() + "-wal"), 1 << 20);
  EXPECT_EQ(*reader->CountCandidates(), kCandidates);
  std::optional<CandidateRow> last = *reader->LoadCandidate(kCandidates - 1);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->candidate.program.files[0].content.size(),
            MakeCandidate(kCandidates - 1).program.files[0].content.size() + 3000 +
                37 * (kCandidates - 1));
}

// Each commit is readable by a connection that does not use the VFS, at once
// (the buffer is flushed before SQLite publishes the commit).
TEST_F(WalBufferTest, EachCommitIsInTheFileWhenItReturns) {
  auto writer = std::move(RunStore::Create(Path(), TestMetadata())).value();
  sqlite3* plain = nullptr;
  ASSERT_EQ(sqlite3_open_v2(Path().c_str(), &plain, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  for (CandidateId id = 0; id < 50; ++id) {
    ASSERT_TRUE(writer->InsertDone(MakeCandidate(id)).ok());
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(plain, "SELECT count(*) FROM candidate_records", -1, &stmt,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(stmt, 0), id + 1);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(plain);
  writer.reset();
  auto reopened = std::move(RunStore::Open(Path(), RunStore::Mode::kReadOnly)).value();
  StatusOr<std::vector<CandidateRow>> rows = reopened->LoadCandidates();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 50u);
  for (const CandidateRow& row : *rows) ExpectSameProposal(row.candidate, MakeCandidate(row.candidate.id));
}

}  // namespace
}  // namespace crucible::store_test
