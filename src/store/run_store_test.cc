#include "store/run_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "store/store_test_util.h"

namespace crucible::store_test {
namespace {

using ::testing::HasSubstr;

class RunStoreTest : public TempDirTest {
 protected:
  std::unique_ptr<RunStore> CreateStore(const Clock* clock = nullptr) {
    StatusOr<std::unique_ptr<RunStore>> store =
        RunStore::Create(Path(), TestMetadata(), {.clock = clock});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

// ---------------------------------------------------------- create and open

TEST_F(RunStoreTest, CreateThenOpenKeepsMetadata) {
  RunMetadata want = TestMetadata();
  want.seed = 0xfedcba9876543210ULL;  // > 2^63
  want.problem_name = "ünïcödé — 日本語";
  ASSERT_TRUE(RunStore::Create(Path(), want).ok());
  for (RunStore::Mode mode : {RunStore::Mode::kReadWrite, RunStore::Mode::kReadOnly}) {
    StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), mode);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const RunMetadata& got = (*store)->metadata();
    EXPECT_EQ(got.schema_version, kRunSchemaVersion);
    EXPECT_EQ(got.crucible_version, want.crucible_version);
    EXPECT_EQ(got.problem_name, want.problem_name);
    EXPECT_EQ(got.problem_dir, want.problem_dir);
    EXPECT_EQ(got.config_json, want.config_json);
    EXPECT_EQ(got.seed, want.seed);
    EXPECT_EQ(got.deterministic, want.deterministic);
    EXPECT_EQ(got.created_unix, want.created_unix);
    EXPECT_EQ((*store)->mode(), mode);
  }
}

TEST_F(RunStoreTest, CreateOnExistingPathIsAlreadyExistsAndKeepsTheFile) {
  { std::ofstream(Path()) << "precious"; }
  StatusOr<std::unique_ptr<RunStore>> store = RunStore::Create(Path(), TestMetadata());
  EXPECT_EQ(store.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(store.status().message(), HasSubstr(Path()));
  std::ifstream in(Path());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "precious");
}

TEST_F(RunStoreTest, CreateOnExistingRunIsAlreadyExists) {
  ASSERT_NE(CreateStore(), nullptr);
  EXPECT_EQ(RunStore::Create(Path(), TestMetadata()).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(RunStoreTest, CreateInMissingDirectoryIsNotFound) {
  EXPECT_EQ(RunStore::Create(Path("no/such/run.db"), TestMetadata()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(RunStoreTest, CreateWithBadMetadataIsInvalidArgumentAndLeavesNoFile) {
  RunMetadata bad_config = TestMetadata();
  bad_config.config_json = "{not json";
  EXPECT_EQ(RunStore::Create(Path(), bad_config).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(Path()));
  RunMetadata bad_version = TestMetadata();
  bad_version.schema_version = kRunSchemaVersion + 1;
  EXPECT_EQ(RunStore::Create(Path(), bad_version).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(Path()));
}

TEST_F(RunStoreTest, OpenMissingPathIsNotFound) {
  for (RunStore::Mode mode : {RunStore::Mode::kReadWrite, RunStore::Mode::kReadOnly}) {
    StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), mode);
    EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
    EXPECT_THAT(store.status().message(), HasSubstr(Path()));
  }
  EXPECT_FALSE(std::filesystem::exists(Path())) << "Open must never create the file";
}

TEST_F(RunStoreTest, OpenNonSqliteFileIsDataLoss) {
  { std::ofstream(Path()) << "this is a text file, not a database, but it is long enough\n"; }
  for (RunStore::Mode mode : {RunStore::Mode::kReadWrite, RunStore::Mode::kReadOnly}) {
    StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), mode);
    EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
    EXPECT_THAT(store.status().message(), HasSubstr(Path()));
  }
}

TEST_F(RunStoreTest, OpenEmptyFileOrForeignDatabaseIsDataLoss) {
  { std::ofstream touch(Path()); }
  StatusOr<std::unique_ptr<RunStore>> empty = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
  EXPECT_EQ(empty.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(empty.status().message(), HasSubstr("not a crucible run database"));
  RawSql("CREATE TABLE meta (key TEXT, value TEXT)");
  StatusOr<std::unique_ptr<RunStore>> foreign = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
  EXPECT_EQ(foreign.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(foreign.status().message(), HasSubstr(Path()));
}

TEST_F(RunStoreTest, OpenCorruptHeaderIsDataLoss) {
  CreateStore().reset();
  {
    std::fstream f(Path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << "garbage garbage garbage garbage";
  }
  StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(Path()));
}

TEST_F(RunStoreTest, OpenNewerSchemaVersionIsFailedPrecondition) {
  CreateStore().reset();
  RawSql("UPDATE meta SET value = '7' WHERE key = 'schema_version'");
  for (RunStore::Mode mode : {RunStore::Mode::kReadWrite, RunStore::Mode::kReadOnly}) {
    StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), mode);
    EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(store.status().message(), HasSubstr("schema version 7"));
    EXPECT_THAT(store.status().message(),
                HasSubstr("up to " + std::to_string(kRunSchemaVersion)));
  }
}

TEST_F(RunStoreTest, OpenMissingSchemaVersionIsDataLoss) {
  CreateStore().reset();
  RawSql("DELETE FROM meta WHERE key = 'schema_version'");
  EXPECT_EQ(RunStore::Open(Path(), RunStore::Mode::kReadOnly).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(RunStoreTest, OpenWithoutACoreTableIsDataLossNamingIt) {
  // Found by tests/security_battery.py: a dropped table was a query error
  // in the middle of `list` (exit 1), not a damaged file (exit 2).
  for (const std::string table : {"candidate_records", "candidate_sources", "state", "events"}) {
    CreateStore().reset();
    RawSql("DROP TABLE " + table);
    for (RunStore::Mode mode : {RunStore::Mode::kReadWrite, RunStore::Mode::kReadOnly}) {
      StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(Path(), mode);
      EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << table;
      EXPECT_THAT(store.status().message(), HasSubstr("table " + table + " is missing")) << table;
    }
    std::filesystem::remove(Path());
  }
}

// ----------------------------------------------------------------- candidates

TEST_F(RunStoreTest, RoundTripsEveryField) {
  FakeClock clock(100);
  std::unique_ptr<RunStore> store = CreateStore(&clock);
  Candidate c = MakeCandidate(3);
  c.seed = std::numeric_limits<uint64_t>::max() - 5;  // > 2^63
  c.source_hash = 0xffffffffffffffffULL;
  c.inspiration_ids = {0, 1, 2};
  c.program.files = {{"a.cpp", "π ≈ 3.14 — 日本語 🙂\n\"q\" \\ \t\x01\x7f"},
                     {"dir/b.h", std::string("latin1 \xe9\xff\xfe\n", 11)},
                     {"empty.h", ""}};
  c.patch = "binary-ish \x02\x03\xff\n";
  c.proposal = {"llm", {"diff", "ünï"}, R"({"model":"m","tokens":[1,2]})", 1.25};
  c.result.outcome = Outcome::kOk;
  c.result.score = -0.0000123456789;
  c.result.metrics = {{"a", 1e300}, {"nan", std::nan("")}, {"ninf", -INFINITY}};
  c.result.features = {};
  c.result.feedback = "stderr tail: \xff\xfe ünï";
  c.result.artifacts = {{"x.csv", "a,b\n"}, {"bin", std::string("\x00\x01\xff", 3)}};
  c.result.stage = "full";
  c.result.eval_seconds = 3.5;
  c.duplicate_of = kNoCandidate;
  ASSERT_TRUE(store->InsertDone(c).ok());

  for (RunStore::Mode mode : {RunStore::Mode::kReadWrite, RunStore::Mode::kReadOnly}) {
    std::unique_ptr<RunStore> reader = *RunStore::Open(Path(), mode);
    StatusOr<std::optional<CandidateRow>> row = reader->LoadCandidate(3);
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    ASSERT_TRUE(row->has_value());
    EXPECT_EQ((*row)->status, CandidateStatus::kDone);
    EXPECT_EQ((*row)->completed_unix, clock.UnixSeconds());
    ExpectSameProposal((*row)->candidate, c);
    ExpectSameResult((*row)->candidate, c);
  }
}

TEST_F(RunStoreTest, RoundTripsEmptyFieldsAndAbsentScore) {
  std::unique_ptr<RunStore> store = CreateStore();
  Candidate c;  // every default: no parent, empty program, empty maps
  c.id = 0;
  c.proposal.proposer = "initial";
  c.result.outcome = Outcome::kDuplicate;
  c.duplicate_of = 0;
  ASSERT_TRUE(store->InsertDone(c).ok());
  std::optional<CandidateRow> row = *store->LoadCandidate(0);
  ASSERT_TRUE(row.has_value());
  EXPECT_FALSE(row->candidate.result.score.has_value());
  ExpectSameProposal(row->candidate, c);
  ExpectSameResult(row->candidate, c);
}

TEST_F(RunStoreTest, InsertPendingThenCompleteTransitions) {
  FakeClock clock(5);
  std::unique_ptr<RunStore> store = CreateStore(&clock);
  Candidate c = MakeCandidate(7);
  ASSERT_TRUE(store->InsertPending(c).ok());
  CandidateRow pending = **store->LoadCandidate(7);
  EXPECT_EQ(pending.status, CandidateStatus::kPending);
  EXPECT_EQ(pending.completed_unix, 0);
  ExpectSameProposal(pending.candidate, c);
  ExpectSameResult(pending.candidate, Candidate{});  // the defaults
  EXPECT_EQ(store->LoadCandidates(CandidateStatus::kPending)->size(), 1u);
  EXPECT_TRUE(store->LoadCandidates(CandidateStatus::kDone)->empty());

  clock.Advance(2);
  c.result = MakeResult(7);
  c.result.outcome = Outcome::kDuplicate;
  c.result.score.reset();
  c.duplicate_of = 2;
  ASSERT_TRUE(store->Complete(7, c.result, 2).ok());
  CandidateRow done = **store->LoadCandidate(7);
  EXPECT_EQ(done.status, CandidateStatus::kDone);
  EXPECT_EQ(done.completed_unix, clock.UnixSeconds());
  ExpectSameProposal(done.candidate, c);
  ExpectSameResult(done.candidate, c);
  EXPECT_TRUE(store->LoadCandidates(CandidateStatus::kPending)->empty());
  EXPECT_EQ(store->LoadCandidates(CandidateStatus::kDone)->size(), 1u);

  EXPECT_EQ(store->Complete(7, c.result).code(), StatusCode::kFailedPrecondition);
  Status unknown = store->Complete(8, c.result);
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("candidate 8"));
}

TEST_F(RunStoreTest, InsertRejectsTakenIdBadIdAndBadDetailJson) {
  std::unique_ptr<RunStore> store = CreateStore();
  ASSERT_TRUE(store->InsertPending(MakeCandidate(1)).ok());
  Status taken = store->InsertDone(MakeCandidate(1));
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(taken.message(), HasSubstr("candidate 1"));
  EXPECT_EQ(store->InsertPending(MakeCandidate(kNoCandidate)).code(),
            StatusCode::kInvalidArgument);
  Candidate bad_detail = MakeCandidate(2);
  bad_detail.proposal.detail_json = "{oops";
  EXPECT_EQ(store->InsertPending(bad_detail).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->CountCandidates(), 1);
}

TEST_F(RunStoreTest, LoadCandidatesIsOrderedById) {
  std::unique_ptr<RunStore> store = CreateStore();
  for (CandidateId id : {5, 1, 3, 0}) ASSERT_TRUE(store->InsertPending(MakeCandidate(id)).ok());
  std::vector<CandidateRow> rows = *store->LoadCandidates();
  ASSERT_EQ(rows.size(), 4u);
  for (size_t i = 0; i < rows.size(); ++i) ExpectSameProposal(rows[i].candidate,
                                                              MakeCandidate(rows[i].candidate.id));
  EXPECT_EQ(rows[0].candidate.id, 0);
  EXPECT_EQ(rows[3].candidate.id, 5);
  EXPECT_FALSE(store->LoadCandidate(2)->has_value());
}

TEST_F(RunStoreTest, MaxCandidateIdAndCount) {
  std::unique_ptr<RunStore> store = CreateStore();
  EXPECT_EQ(*store->MaxCandidateId(), kNoCandidate);
  EXPECT_EQ(*store->CountCandidates(), 0);
  ASSERT_TRUE(store->InsertPending(MakeCandidate(4)).ok());
  ASSERT_TRUE(store->InsertDone(MakeCandidate(9)).ok());
  EXPECT_EQ(*store->MaxCandidateId(), 9);
  EXPECT_EQ(*store->CountCandidates(), 2);
}

// ------------------------------------------------------------------- state

TEST_F(RunStoreTest, PutAndGetState) {
  std::unique_ptr<RunStore> store = CreateStore();
  EXPECT_FALSE(store->GetState("rng")->has_value());
  ASSERT_TRUE(store->PutState("rng", "1 2 3").ok());
  ASSERT_TRUE(store->PutState("rng", "4 5 6").ok());
  ASSERT_TRUE(store->PutState("empty", "").ok());
  EXPECT_EQ(store->GetState("rng")->value(), "4 5 6");
  EXPECT_EQ(store->GetState("empty")->value(), "");
}

TEST_F(RunStoreTest, StateIsWrittenWithTheCandidateOrNotAtAll) {
  std::unique_ptr<RunStore> store = CreateStore();
  ASSERT_TRUE(store->InsertPending(MakeCandidate(1), {{"next_id", "2"}, {"rng", "a"}}).ok());
  EXPECT_EQ(store->GetState("next_id")->value(), "2");
  ASSERT_TRUE(store->Complete(1, MakeResult(1), kNoCandidate, {{"rng", "b"}}).ok());
  EXPECT_EQ(store->GetState("rng")->value(), "b");
  ASSERT_TRUE(store->InsertDone(MakeCandidate(2), {{"next_id", "3"}}).ok());
  EXPECT_EQ(store->GetState("next_id")->value(), "3");

  // A failing write rolls its state entries back with it.
  EXPECT_FALSE(store->InsertPending(MakeCandidate(1), {{"next_id", "X"}}).ok());
  EXPECT_FALSE(store->Complete(1, MakeResult(1), kNoCandidate, {{"rng", "X"}}).ok());
  EXPECT_FALSE(store->Complete(99, MakeResult(1), kNoCandidate, {{"rng", "X"}}).ok());
  EXPECT_EQ(store->GetState("next_id")->value(), "3");
  EXPECT_EQ(store->GetState("rng")->value(), "b");
  // And the store is still usable afterwards (no transaction left open).
  ASSERT_TRUE(store->InsertPending(MakeCandidate(3), {{"next_id", "4"}}).ok());
  std::unique_ptr<RunStore> reader = *RunStore::Open(Path(), RunStore::Mode::kReadOnly);
  EXPECT_EQ(reader->GetState("next_id")->value(), "4");
  EXPECT_EQ(*reader->CountCandidates(), 3);
}

// ------------------------------------------------------------------ events

TEST_F(RunStoreTest, EventsKeepTheirOrderAndPage) {
  std::unique_ptr<RunStore> store = CreateStore();
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(store->AppendEvent(1000.0 + i, i % 2 ? "odd" : "even",
                                   "{\"i\":" + std::to_string(i) + "}")
                    .ok());
  }
  EXPECT_EQ(store->AppendEvent(1, "bad", "{").code(), StatusCode::kInvalidArgument);
  std::vector<RunStore::Event> all = *store->LoadEvents();
  ASSERT_EQ(all.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(all[i].unix_time, 1000.0 + i);
    EXPECT_EQ(all[i].kind, i % 2 ? "odd" : "even");
    EXPECT_EQ(all[i].json, "{\"i\":" + std::to_string(i) + "}");
    if (i > 0) {
      EXPECT_GT(all[i].seq, all[i - 1].seq);
    }
  }
  std::vector<RunStore::Event> page = *store->LoadEvents(all[9].seq, 5);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page.front().seq, all[10].seq);
  EXPECT_EQ(page.back().seq, all[14].seq);
  EXPECT_TRUE(store->LoadEvents(all.back().seq)->empty());
  EXPECT_EQ(store->LoadEvents(0, -1).status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- rankings

TEST_F(RunStoreTest, TopByObjectiveCountsTheInitialProgramWhereverItsCascadeStopped) {
  // A child stopped before the final stage is not ranked (its score is a
  // cheaper stage's); the initial program is, as in the archive.
  std::unique_ptr<RunStore> store = CreateStore();
  for (CandidateId id : {0, 1, 2}) {
    Candidate c = MakeCandidate(id);  // 0 has no parent
    c.result = MakeResult(id);
    c.result.score = id == 0 ? 0.5 : id == 1 ? 0.9 : 0.1;
    c.result.stage = id == 2 ? "stage2" : "stage1";
    ASSERT_TRUE(store->InsertDone(c).ok());
  }
  auto top = store->TopByObjective({"score", Direction::kMaximize}, 5, "stage2");
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  std::vector<CandidateId> ranked;
  for (const CandidateRow& r : *top) ranked.push_back(r.candidate.id);
  EXPECT_EQ(ranked, (std::vector<CandidateId>{0, 2}));
}

TEST_F(RunStoreTest, TopByObjectiveOrdersByScoreThenLowerId) {
  std::unique_ptr<RunStore> store = CreateStore();
  const std::vector<std::pair<CandidateId, double>> scores = {
      {0, 0.5}, {1, 0.9}, {2, 0.1}, {3, 0.9}, {4, 0.1}, {5, 0.7}};
  for (const auto& [id, score] : scores) {
    Candidate c = MakeCandidate(id);
    c.result = MakeResult(id);
    c.result.score = score;
    ASSERT_TRUE(store->InsertDone(c).ok());
  }
  Candidate invalid = MakeCandidate(6);  // a score, but not ok: not ranked
  invalid.result = MakeResult(6);
  invalid.result.outcome = Outcome::kInvalid;
  invalid.result.score = 100;
  ASSERT_TRUE(store->InsertDone(invalid).ok());
  ASSERT_TRUE(store->InsertPending(MakeCandidate(7)).ok());

  auto ids = [](const std::vector<CandidateRow>& rows) {
    std::vector<CandidateId> out;
    for (const CandidateRow& r : rows) out.push_back(r.candidate.id);
    return out;
  };
  const Objective max{"score", Direction::kMaximize};
  const Objective min{"score", Direction::kMinimize};
  EXPECT_EQ(ids(*store->TopByObjective(max, 4)), (std::vector<CandidateId>{1, 3, 5, 0}));
  EXPECT_EQ(ids(*store->TopByObjective(min, 3)), (std::vector<CandidateId>{2, 4, 0}));
  EXPECT_EQ(store->TopByObjective(max, 100)->size(), 6u);
  EXPECT_TRUE(store->TopByObjective(max, 0)->empty());
  EXPECT_EQ(store->TopByObjective(max, -1).status().code(), StatusCode::kInvalidArgument);
}

// Moved from engine_test (run.cc's TopByObjective is now the store's).
TEST_F(RunStoreTest, TopByObjectiveRanksByTheObjectiveNotTheScore) {
  std::unique_ptr<RunStore> store = CreateStore();
  // score and the minimised metric disagree on purpose.
  const double excess[] = {5, 1, 3, 1};
  for (int id = 0; id < 4; ++id) {
    Candidate c = MakeCandidate(id);
    c.result = MakeResult(id);
    c.result.score = excess[id];
    c.result.metrics["excess"] = excess[id];
    ASSERT_TRUE(store->InsertDone(c).ok());
  }
  Objective by_excess{"excess", Direction::kMinimize};
  auto top = store->TopByObjective(by_excess, 3);
  ASSERT_TRUE(top.ok());
  ASSERT_EQ(top->size(), 3u);
  EXPECT_EQ((*top)[0].candidate.id, 1);  // ties by lower id
  EXPECT_EQ((*top)[1].candidate.id, 3);
  EXPECT_EQ((*top)[2].candidate.id, 2);
  auto by_score = store->TopByObjective(Objective{"score", Direction::kMaximize}, 1);
  ASSERT_TRUE(by_score.ok());
  EXPECT_EQ((*by_score)[0].candidate.id, 0);
}

// A candidate a cascade stopped early has a cheaper stage's score: it is not
// the run's best, as it is not in the archive (archive/entry.h).
TEST_F(RunStoreTest, TopByObjectiveLeavesOutEarlyCascadeStages) {
  std::unique_ptr<RunStore> store = CreateStore();
  const std::vector<std::tuple<CandidateId, double, std::string>> rows = {
      {0, 0.5, "full"}, {1, 0.9, "quick"}, {2, 0.7, "full"}, {3, 0.6, ""}};
  for (const auto& [id, score, stage] : rows) {
    Candidate c = MakeCandidate(id);
    c.result = MakeResult(id);
    c.result.score = score;
    c.result.stage = stage;
    ASSERT_TRUE(store->InsertDone(c).ok());
  }
  auto ids = [](const std::vector<CandidateRow>& rows) {
    std::vector<CandidateId> out;
    for (const CandidateRow& r : rows) out.push_back(r.candidate.id);
    return out;
  };
  const Objective max{"score", Direction::kMaximize};
  EXPECT_EQ(ids(*store->TopByObjective(max, 4, "full")), (std::vector<CandidateId>{2, 3, 0}));
  EXPECT_EQ(ids(*store->TopByObjective(max, 4)), (std::vector<CandidateId>{1, 2, 3, 0}));
  const Objective metric{"m", Direction::kMaximize};
  EXPECT_TRUE(store->TopByObjective(metric, 4, "full")->empty());  // no candidate has metric m
}

TEST_F(RunStoreTest, CountOutcomesCountsDoneCandidatesInOutcomeOrder) {
  std::unique_ptr<RunStore> store = CreateStore();
  const std::vector<Outcome> outcomes = {Outcome::kTimeout, Outcome::kOk, Outcome::kTimeout,
                                         Outcome::kRejected, Outcome::kOk, Outcome::kOk};
  for (size_t i = 0; i < outcomes.size(); ++i) {
    Candidate c = MakeCandidate(static_cast<CandidateId>(i));
    c.result.outcome = outcomes[i];
    ASSERT_TRUE(store->InsertDone(c).ok());
  }
  ASSERT_TRUE(store->InsertPending(MakeCandidate(10)).ok());  // not counted
  std::vector<OutcomeCount> counts = *store->CountOutcomes();
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].outcome, Outcome::kOk);
  EXPECT_EQ(counts[0].count, 3);
  EXPECT_EQ(counts[1].outcome, Outcome::kTimeout);
  EXPECT_EQ(counts[1].count, 2);
  EXPECT_EQ(counts[2].outcome, Outcome::kRejected);
  EXPECT_EQ(counts[2].count, 1);
}

// SQLite would go on writing into a deleted or replaced file through its
// open descriptor: every write checks that the path still names the file.
TEST_F(RunStoreTest, WritesFailOnceTheFileIsDeletedOrReplaced) {
  for (const bool replace : {false, true}) {
    SCOPED_TRACE(replace ? "replaced" : "deleted");
    std::filesystem::remove(Path());
    std::unique_ptr<RunStore> store = CreateStore();
    ASSERT_TRUE(store->InsertDone(MakeCandidate(0)).ok());
    std::filesystem::remove(Path());
    if (replace) std::ofstream(Path()) << "another file";
    for (const Status& s : {store->InsertDone(MakeCandidate(1)), store->PutState("k", "v"),
                            store->AppendEvent(1, "kind", "{}")}) {
      EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
      EXPECT_THAT(s.message(), HasSubstr("deleted or replaced"));
      EXPECT_THAT(s.message(), HasSubstr(Path()));
    }
  }
}

// Reading one malformed row by its id is an error naming it; a multi-row read
// skips it and reports the same error (issue #15: one bad row must not make
// the whole run unreadable).
TEST_F(RunStoreTest, MalformedRowIsDataLossNamingTheCandidate) {
  std::vector<Status> skipped;
  std::unique_ptr<RunStore> store;
  {
    auto created = RunStore::Create(
        Path(), TestMetadata(), {.on_skipped_row = [&](const Status& s) { skipped.push_back(s); }});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    store = std::move(created).value();
  }
  for (CandidateId id : {3, 4, 5}) ASSERT_TRUE(store->InsertDone(MakeCandidate(id)).ok());
  RawSql("UPDATE candidate_sources SET program = '[{' WHERE id = 4");
  StatusOr<std::optional<CandidateRow>> one = store->LoadCandidate(4);
  EXPECT_EQ(one.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(one.status().message(), HasSubstr("candidate 4"));
  EXPECT_THAT(one.status().message(), HasSubstr("program"));

  StatusOr<std::vector<CandidateRow>> rows = store->LoadCandidates();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].candidate.id, 3);
  EXPECT_EQ((*rows)[1].candidate.id, 5);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].code(), StatusCode::kDataLoss);
  EXPECT_THAT(skipped[0].message(), HasSubstr("candidate 4"));
  EXPECT_THAT(skipped[0].message(), HasSubstr("program"));
}

// Every column a crafted row can spoil, one at a time: the read goes on
// without that row, the best of the rest stands in for it, never a crash.
TEST_F(RunStoreTest, EachKindOfMalformedRowIsSkippedAndTheNextBestStandsIn) {
  const std::vector<std::pair<std::string, std::string>> crafted = {
      {"candidate_records", "status = 'weird'"},
      {"candidate_records", "seed = 'x'"},
      {"candidate_records", "seed = '99999999999999999999999'"},
      {"candidate_records", "source_hash = 'zz'"},
      {"candidate_records", "inspiration_ids = '{'"},
      {"candidate_records", "inspiration_ids = '[1.5]'"},
      {"candidate_records", "operators = '[1]'"},
      {"candidate_records", "outcome = 'bogus'"},
      {"candidate_records", "metrics = '{'"},
      {"candidate_records", "metrics = '{\"excess_pct\": \"x\"}'"},
      {"candidate_records", "features = '['"},
      {"candidate_records", "artifacts = '{\"a\": 1}'"},
      {"candidate_records", "inspiration_ids = X'ff00'"},
      {"candidate_sources", "program = '[{\"path\": \"/etc/x\", \"content\": \"\"}]'"},
      {"candidate_sources", "program = '[{\"path\": \"a\", \"content_base64\": \"!!\"}]'"},
  };
  const Objective by_score{"score", Direction::kMaximize};
  const Objective by_metric{"excess_pct", Direction::kMinimize};
  for (const auto& [table, set] : crafted) {
    SCOPED_TRACE(table + ": " + set);
    std::filesystem::remove(Path());
    std::vector<Status> skipped;
    auto created = RunStore::Create(
        Path(), TestMetadata(), {.on_skipped_row = [&](const Status& s) { skipped.push_back(s); }});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    std::unique_ptr<RunStore> store = std::move(created).value();
    for (CandidateId id : {0, 1, 2}) {
      Candidate c = MakeCandidate(id);
      c.result = MakeResult(id);  // candidate 0 is the best by score and by excess_pct
      ASSERT_TRUE(store->InsertDone(c).ok());
    }
    // A foreign tool can ignore CHECK constraints (or write any schema).
    RawSql("PRAGMA ignore_check_constraints = ON; UPDATE " + table + " SET " + set +
           " WHERE id = 0");

    StatusOr<std::vector<CandidateRow>> all = store->LoadCandidates();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].candidate.id, 1);
    ASSERT_EQ(skipped.size(), 1u);
    EXPECT_THAT(skipped[0].message(), HasSubstr("candidate 0"));
    for (const Objective& objective : {by_score, by_metric}) {
      StatusOr<std::vector<CandidateRow>> best = store->TopByObjective(objective, 1);
      ASSERT_TRUE(best.ok()) << best.status().ToString();
      ASSERT_EQ(best->size(), 1u);
      EXPECT_EQ(best->front().candidate.id, 1);
    }
    EXPECT_EQ(store->LoadCandidate(0).status().code(), StatusCode::kDataLoss);
    StatusOr<std::vector<OutcomeCount>> counts = store->CountOutcomes();
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_FALSE(counts->empty());
  }
}

}  // namespace
}  // namespace crucible::store_test

namespace crucible {
namespace {

using namespace store_test;

class RunStoreBatchTest : public TempDirTest {
 protected:
  std::unique_ptr<RunStore> Create() {
    auto store = RunStore::Create(Path("run.db"), TestMetadata());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
};

TEST_F(RunStoreBatchTest, WritesInABatchAppearTogetherAtCommit) {
  std::unique_ptr<RunStore> store = Create();
  auto reader = RunStore::Open(Path("run.db"), RunStore::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(store->BeginBatch().ok());
  ASSERT_TRUE(store->InsertPending(MakeCandidate(0), {{"rng", "a"}}).ok());
  ASSERT_TRUE(store->InsertDone(MakeCandidate(1), {{"rng", "b"}}).ok());
  ASSERT_TRUE(store->Complete(0, MakeResult(0)).ok());
  EXPECT_EQ(*(*reader)->CountCandidates(), 0);
  ASSERT_TRUE(store->CommitBatch().ok());
  EXPECT_EQ(*(*reader)->CountCandidates(), 2);
  EXPECT_EQ(**(*reader)->GetState("rng"), "b");
  auto row = (*reader)->LoadCandidate(0);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->status, CandidateStatus::kDone);
}

TEST_F(RunStoreBatchTest, AFailedWriteInABatchLeavesTheOthers) {
  std::unique_ptr<RunStore> store = Create();
  ASSERT_TRUE(store->BeginBatch().ok());
  ASSERT_TRUE(store->InsertPending(MakeCandidate(0)).ok());
  EXPECT_EQ(store->InsertPending(MakeCandidate(0), {{"k", "lost"}}).code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(store->InsertPending(MakeCandidate(1)).ok());
  ASSERT_TRUE(store->CommitBatch().ok());
  EXPECT_EQ(*store->CountCandidates(), 2);
  EXPECT_FALSE(store->GetState("k")->has_value());
}

TEST_F(RunStoreBatchTest, BatchesDoNotNest) {
  std::unique_ptr<RunStore> store = Create();
  EXPECT_EQ(store->CommitBatch().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->BeginBatch().ok());
  EXPECT_EQ(store->BeginBatch().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->CommitBatch().ok());
  auto ro = RunStore::Open(Path("run.db"), RunStore::Mode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ((*ro)->BeginBatch().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace crucible
