#include "store/run_store.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <utility>

#include "store/candidate_json.h"
#include "store/candidate_row.h"
#include "store/checkpointer.h"
#include "store/objective_sql.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace crucible {
namespace {

// Every statement a RunStore runs more than once; prepared on first use.
enum Sql {
  kBegin,
  kCommit,
  kRollback,
  kInsertRecord,
  kInsertSources,
  kCompleteCandidate,
  kStatusOf,
  kPutState,
  kGetState,
  kAppendEvent,
  kLoadEvents,
  kAllCandidates,
  kPendingCandidates,
  kDoneCandidates,
  kOneCandidate,
  kCountOutcomes,
  kMaxId,
  kCountCandidates,
  kSavepoint,
  kRelease,
  kRollbackTo,
  kNumSql,
};

#define SELECT_CANDIDATES "SELECT " CRUCIBLE_CANDIDATE_COLUMNS " FROM candidates "

constexpr std::array<const char*, kNumSql> kSqlText = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    store_row::kInsertRecordSql,
    store_row::kInsertSourcesSql,
    store_row::kCompleteSql,
    "SELECT status FROM candidate_records WHERE id = ?1",
    "INSERT INTO state (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "SELECT value FROM state WHERE key = ?1",
    "INSERT INTO events (unix_time, kind, json) VALUES (?1, ?2, ?3)",
    "SELECT seq, unix_time, kind, json FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    SELECT_CANDIDATES "ORDER BY id",
    // Literal statuses: a bound parameter would keep the planner from using
    // the partial index candidates_status.
    SELECT_CANDIDATES "WHERE status = 'pending' ORDER BY id",
    SELECT_CANDIDATES "WHERE status = 'done' ORDER BY id",
    SELECT_CANDIDATES "WHERE id = ?1",
    "SELECT outcome, count(*) FROM candidate_records WHERE outcome IS NOT NULL GROUP BY outcome",
    "SELECT max(id) FROM candidate_records",
    "SELECT count(*) FROM candidate_records",
    // Inside a batch each write is a savepoint, so it stays all-or-nothing.
    "SAVEPOINT candidate_write",
    "RELEASE candidate_write",
    "ROLLBACK TO candidate_write",
};

// Rewinds a statement when leaving scope, so that no read transaction stays
// open between calls (an open one would hold back WAL checkpoints).
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite::Statement& stmt) : stmt_(stmt) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() { stmt_.Reset(); }

 private:
  sqlite::Statement& stmt_;
};

Status ErrnoError(int error, const std::string& path, std::string_view operation) {
  std::string message = "run database " + path + ": " + std::string(operation) + ": " +
                        std::strerror(error);
  if (error == ENOENT) return NotFoundError(std::move(message));
  if (error == EEXIST) return AlreadyExistsError(std::move(message));
  return FailedPreconditionError(std::move(message));
}

void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((path + suffix).c_str());  // best effort: some never existed
  }
}

// The file exists and is not a directory.
Status CheckExistingFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError(errno, path, "open");
  if (S_ISDIR(st.st_mode)) {
    return InvalidArgumentError("run database " + path + " is a directory, not a run.db file");
  }
  return Status::Ok();
}


}  // namespace

std::string_view CandidateStatusName(CandidateStatus status) {
  return status == CandidateStatus::kDone ? "done" : "pending";
}

struct RunStore::Impl {
  // A writer also gets its checkpointer and the commit hook that drives it.
  static StatusOr<std::unique_ptr<Impl>> Make(std::unique_ptr<sqlite::Database> db, Mode mode,
                                              const Options& options) {
    auto impl = std::make_unique<Impl>(std::move(db), options);
    if (mode == Mode::kReadOnly) return impl;
    struct stat st {};
    if (::stat(impl->db->path().c_str(), &st) != 0) {
      return ErrnoError(errno, impl->db->path(), "stat");
    }
    impl->file_dev = st.st_dev;
    impl->file_ino = st.st_ino;
    ASSIGN_OR_RETURN(impl->checkpointer, Checkpointer::Start(impl->db->path()));
    impl->db->SetCommitHook([raw = impl.get()](int frames) { raw->OnCommit(frames); });
    return impl;
  }

  Impl(std::unique_ptr<sqlite::Database> database, const Options& opts)
      : db(std::move(database)),
        options(opts),
        clock(opts.clock != nullptr ? opts.clock : &system_clock) {}

  ~Impl() {
    // The writer's connection closes last, so that SQLite's final checkpoint
    // on close empties and removes the WAL.
    db->SetCommitHook(nullptr);
    checkpointer.reset();
  }

  void OnCommit(int wal_frames) {
    // A WAL shorter than at the last request has restarted from its start.
    if (wal_frames < frames_at_request) frames_at_request = 0;
    if (wal_frames >= options.blocking_checkpoint_frames) {
      // The background thread has fallen behind a fast writer: checkpoint
      // here, waiting, with no commit in between, so the WAL can restart
      // from its beginning at the next transaction.
      checkpointer->CheckpointNow();
      frames_at_request = 0;
    } else if (wal_frames - frames_at_request >= options.checkpoint_frames) {
      // Once per checkpoint_frames new frames, not at every commit: while
      // the writer keeps writing the WAL cannot restart, and a request per
      // commit would cost two fsyncs per commit.
      checkpointer->Request();
      frames_at_request = wal_frames;
    }
  }
  int frames_at_request = 0;  // WAL size at the last checkpoint request
  // The file a writer opened: SQLite goes on writing into a deleted or
  // replaced run.db through its open descriptor, so every write checks that
  // the path still names it (RunStore::CheckWritable).
  dev_t file_dev = 0;
  ino_t file_ino = 0;

  // The statement for `sql`, prepared on first use. Statements are reset
  // after each use (ResetOnExit), so one object per SQL text suffices.
  StatusOr<sqlite::Statement*> Get(Sql sql) {
    sqlite::Statement& stmt = statements[sql];
    if (!stmt) {
      ASSIGN_OR_RETURN(stmt, db->Prepare(kSqlText[sql]));
    }
    return &stmt;
  }

  // Runs a statement that returns no rows after `bind` has bound it.
  template <typename Bind>
  Status Run(Sql sql, Bind&& bind) {
    ASSIGN_OR_RETURN(sqlite::Statement * stmt, Get(sql));
    ResetOnExit reset(*stmt);
    bind(*stmt);
    return stmt->Run();
  }

  // Runs a query returning candidate rows, `bind` binding its parameters.
  // With `skip_malformed` a row holding a malformed value is reported
  // (options.on_skipped_row) and left out; without, it fails the read.
  template <typename Bind>
  StatusOr<std::vector<CandidateRow>> Candidates(Sql sql, bool skip_malformed, Bind&& bind) {
    ASSIGN_OR_RETURN(sqlite::Statement * stmt, Get(sql));
    ResetOnExit reset(*stmt);
    bind(*stmt);
    std::vector<CandidateRow> rows;
    while (true) {
      ASSIGN_OR_RETURN(bool has_row, stmt->Step());
      if (!has_row) break;
      StatusOr<CandidateRow> row = store_row::ReadRow(*stmt, db->path());
      if (!row.ok() && skip_malformed && row.status().code() == StatusCode::kDataLoss) {
        store_row::ReportSkippedRow(options.on_skipped_row, row.status());
        continue;
      }
      if (!row.ok()) return row.status();
      rows.push_back(std::move(*row));
    }
    return rows;
  }

  // A single integer (NULL -> `if_null`) from a one-row query.
  StatusOr<int64_t> Int(Sql sql, int64_t if_null) {
    ASSIGN_OR_RETURN(sqlite::Statement * stmt, Get(sql));
    ResetOnExit reset(*stmt);
    ASSIGN_OR_RETURN(bool has_row, stmt->Step());
    if (!has_row || stmt->ColumnIsNull(0)) return if_null;
    return stmt->ColumnInt64(0);
  }

  StatusOr<sqlite::Transaction> NewTransaction() {
    if (in_batch && !batch_begun) {
      // A batch starts its transaction at its first write, so a batch that
      // writes nothing costs nothing.
      RETURN_IF_ERROR(Run(kBegin, [](sqlite::Statement&) {}).WithContext("begin a batch"));
      batch_begun = true;
    }
    if (in_batch) {
      ASSIGN_OR_RETURN(sqlite::Statement * begin, Get(kSavepoint));
      ASSIGN_OR_RETURN(sqlite::Statement * release, Get(kRelease));
      ASSIGN_OR_RETURN(sqlite::Statement * rollback_to, Get(kRollbackTo));
      return sqlite::Transaction(*begin, *release, *rollback_to);
    }
    ASSIGN_OR_RETURN(sqlite::Statement * begin, Get(kBegin));
    ASSIGN_OR_RETURN(sqlite::Statement * commit, Get(kCommit));
    ASSIGN_OR_RETURN(sqlite::Statement * rollback, Get(kRollback));
    return sqlite::Transaction(*begin, *commit, *rollback);
  }

  // Why candidate `id` could not be completed.
  Status NotPendingError(CandidateId id, const std::string& operation) {
    ASSIGN_OR_RETURN(sqlite::Statement * stmt, Get(kStatusOf));
    ResetOnExit reset(*stmt);
    stmt->BindInt64(1, id);
    ASSIGN_OR_RETURN(bool exists, stmt->Step());
    std::string where = "run database " + db->path() + ": " + operation;
    if (!exists) return NotFoundError(where + ": no such candidate");
    return FailedPreconditionError(where + ": already " + stmt->ColumnString(0));
  }

  // The cost of the constant tuning that made `c` (schema 5).
  Status InsertTuning(const Candidate& c) {
    ASSIGN_OR_RETURN(sqlite::Statement stmt,
                     db->Prepare("INSERT INTO tunings (candidate_id, tuned_from, evaluations) "
                                 "VALUES (?1, ?2, ?3)"));
    stmt.BindInt64(1, c.id);
    stmt.BindInt64(2, c.parent_id);
    stmt.BindInt64(3, c.proposal.evaluations);
    return stmt.Run();
  }

  // Sets ProposalInfo::evaluations of the rows made by a constant tuning
  // (none before schema 5).
  Status FillTuningEvaluations(int schema_version, std::vector<CandidateRow>& rows) {
    if (schema_version < 5 || rows.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(sqlite::Statement stmt,
                     db->Prepare("SELECT candidate_id, evaluations FROM tunings"));
    std::map<CandidateId, int64_t> cost;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      cost[stmt.ColumnInt64(0)] = stmt.ColumnInt64(1);
    }
    if (cost.empty()) return Status::Ok();
    for (CandidateRow& r : rows) {
      if (auto it = cost.find(r.candidate.id); it != cost.end()) {
        r.candidate.proposal.evaluations = it->second;
      }
    }
    return Status::Ok();
  }

  Status PutStateEntries(const std::map<std::string, std::string>& state) {
    // Not a structured binding: clang before 16 cannot capture one.
    for (const auto& entry : state) {
      RETURN_IF_ERROR(Run(kPutState, [&](sqlite::Statement& s) {
        s.BindText(1, entry.first);
        s.BindText(2, entry.second);
      }));
    }
    return Status::Ok();
  }

  // Declared first so that it is destroyed after the statements.
  std::unique_ptr<sqlite::Database> db;
  Options options;
  SystemClock system_clock;
  const Clock* clock;
  // The cache is mutated by const readers too; RunStore is single-threaded.
  std::array<sqlite::Statement, kNumSql> statements;
  std::unique_ptr<Checkpointer> checkpointer;  // writers only
  bool in_batch = false;                       // between BeginBatch() and CommitBatch()
  bool batch_begun = false;                    // ... and its transaction is open
};

Status RunStoreOptions::Validate() const {
  if (checkpoint_frames <= 0 || blocking_checkpoint_frames < checkpoint_frames) {
    return InvalidArgumentError(
        "run store options: need 0 < checkpoint_frames <= blocking_checkpoint_frames");
  }
  return Status::Ok();
}

RunStore::RunStore(std::unique_ptr<Impl> impl, RunMetadata metadata, std::string path,
                   Mode mode)
    : impl_(std::move(impl)), metadata_(std::move(metadata)), path_(std::move(path)),
      mode_(mode) {}

RunStore::~RunStore() = default;

// ------------------------------------------------------------- create, open

StatusOr<std::unique_ptr<RunStore>> RunStore::Create(const std::string& path,
                                                     const RunMetadata& metadata,
                                                     const Options& options) {
  RETURN_IF_ERROR(options.Validate());
  // O_EXCL makes "must not exist" atomic; SQLite takes an empty file as an
  // empty database.
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, path, "create");
  ::close(fd);
  auto created = [&]() -> StatusOr<std::unique_ptr<RunStore>> {
    ASSIGN_OR_RETURN(auto db, sqlite::Database::Open(path, sqlite::OpenMode::kReadWrite));
    RETURN_IF_ERROR(store_schema::ConfigureConnection(*db, Mode::kReadWrite));
    RETURN_IF_ERROR(store_schema::CreateSchema(*db, metadata));
    ASSIGN_OR_RETURN(RunMetadata stored, store_schema::ReadMetadata(*db));
    ASSIGN_OR_RETURN(auto impl, Impl::Make(std::move(db), Mode::kReadWrite, options));
    return std::unique_ptr<RunStore>(
        new RunStore(std::move(impl), std::move(stored), path, Mode::kReadWrite));
  }();
  // The file is ours and unusable: leave no half-made run behind.
  if (!created.ok()) RemoveDatabaseFiles(path);
  return created;
}

StatusOr<std::unique_ptr<RunStore>> RunStore::Open(const std::string& path, Mode mode,
                                                   const Options& options) {
  RETURN_IF_ERROR(options.Validate());
  RETURN_IF_ERROR(CheckExistingFile(path));
  bool read_only = mode == Mode::kReadOnly;
  std::string uri_suffix = read_only && store_schema::NeedsImmutableOpen(path) ? "immutable=1" : "";
  ASSIGN_OR_RETURN(auto db, sqlite::Database::Open(path,
                                                   read_only ? sqlite::OpenMode::kReadOnly
                                                             : sqlite::OpenMode::kReadWrite,
                                                   uri_suffix));
  // The metadata first: a foreign file must not be switched to WAL mode.
  ASSIGN_OR_RETURN(RunMetadata metadata, store_schema::ReadMetadata(*db));
  RETURN_IF_ERROR(store_schema::ConfigureConnection(*db, mode));
  if (mode == Mode::kReadWrite) RETURN_IF_ERROR(store_schema::MigrateToCurrent(*db, metadata));
  ASSIGN_OR_RETURN(auto impl, Impl::Make(std::move(db), mode, options));
  return std::unique_ptr<RunStore>(new RunStore(std::move(impl), std::move(metadata), path, mode));
}

// -------------------------------------------------------------------- writes

Status RunStore::CheckWritable(std::string_view operation) const {
  if (mode_ != Mode::kReadWrite) {
    return FailedPreconditionError("run database " + path_ + ": " + std::string(operation) +
                                   ": opened read-only");
  }
  // One stat() per write (about a microsecond): a run whose database was
  // deleted must stop, not record into a file nobody can open again and end
  // with a cheerful summary.
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || st.st_dev != impl_->file_dev ||
      st.st_ino != impl_->file_ino) {
    return DataLossError("run database " + path_ + " was deleted or replaced while this run " +
                         "was writing it: " + std::string(operation) +
                         " cannot be recorded; what the run recorded went with the old file");
  }
  return Status::Ok();
}

Status RunStore::InsertPending(const Candidate& c, const std::map<std::string, std::string>& state) {
  return WriteCandidate(c, /*done=*/false, state);
}

Status RunStore::InsertDone(const Candidate& c, const std::map<std::string, std::string>& state) {
  return WriteCandidate(c, /*done=*/true, state);
}

Status RunStore::WriteCandidate(const Candidate& c, bool done,
                                const std::map<std::string, std::string>& state) {
  std::string operation = "insert candidate " + std::to_string(c.id);
  RETURN_IF_ERROR(CheckWritable(operation));
  if (c.id < 0) return InvalidArgumentError(operation + ": ids are >= 0");
  if (!store_json::IsJsonOrEmpty(c.proposal.detail_json)) {
    return InvalidArgumentError(operation + ": proposal detail_json is not JSON");
  }
  double completed_unix = done ? impl_->clock->UnixSeconds() : 0;
  ASSIGN_OR_RETURN(sqlite::Transaction txn, impl_->NewTransaction());
  RETURN_IF_ERROR(txn.Begin());
  Status inserted = impl_->Run(kInsertRecord, [&](sqlite::Statement& s) {
    store_row::BindRecord(s, c, done, completed_unix);
  });
  if (inserted.ok()) {
    inserted = impl_->Run(kInsertSources,
                          [&](sqlite::Statement& s) { store_row::BindSources(s, c); });
  }
  if (inserted.ok() && c.proposal.evaluations > 0) inserted = impl_->InsertTuning(c);
  if (!inserted.ok()) return inserted.WithContext(operation);
  RETURN_IF_ERROR(impl_->PutStateEntries(state));
  return txn.Commit();
}

Status RunStore::Complete(CandidateId id, const EvalResult& result, CandidateId duplicate_of,
                          const std::map<std::string, std::string>& state) {
  std::string operation = "complete candidate " + std::to_string(id);
  RETURN_IF_ERROR(CheckWritable(operation));
  double completed_unix = impl_->clock->UnixSeconds();
  ASSIGN_OR_RETURN(sqlite::Transaction txn, impl_->NewTransaction());
  RETURN_IF_ERROR(txn.Begin());
  Status updated = impl_->Run(kCompleteCandidate, [&](sqlite::Statement& s) {
    store_row::BindResult(s, 1, result, duplicate_of);
    s.BindDouble(10, completed_unix);
    s.BindInt64(11, id);
  });
  if (!updated.ok()) return updated.WithContext(operation);
  // Only a pending row is updated: otherwise the id is unknown or done.
  if (impl_->db->Changes() == 0) return impl_->NotPendingError(id, operation);
  RETURN_IF_ERROR(impl_->PutStateEntries(state));
  return txn.Commit();
}

Status RunStore::InsertLlmCalls(const std::vector<LlmCallRecord>& calls) {
  RETURN_IF_ERROR(CheckWritable("insert llm calls"));
  ASSIGN_OR_RETURN(sqlite::Statement stmt,
                   impl_->db->Prepare(
                       "INSERT INTO llm_calls (id, candidate_id, attempt, model, mode, prompt, "
                       "response, prompt_tokens, completion_tokens, cost, latency_seconds, outcome, "
                       "error, created_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                       "?12, ?13, ?14)"));
  ASSIGN_OR_RETURN(sqlite::Transaction txn, impl_->NewTransaction());
  RETURN_IF_ERROR(txn.Begin());
  for (const LlmCallRecord& c : calls) {
    stmt.BindInt64(1, c.id);
    if (c.candidate_id == kNoCandidate) stmt.BindNull(2);
    else stmt.BindInt64(2, c.candidate_id);
    stmt.BindInt64(3, c.attempt);
    stmt.BindText(4, c.model);
    stmt.BindText(5, c.mode);
    stmt.BindText(6, c.prompt);
    stmt.BindText(7, c.response);
    if (c.prompt_tokens) stmt.BindInt64(8, *c.prompt_tokens);
    else stmt.BindNull(8);
    if (c.completion_tokens) stmt.BindInt64(9, *c.completion_tokens);
    else stmt.BindNull(9);
    stmt.BindOptionalDouble(10, c.cost);
    stmt.BindDouble(11, c.latency_seconds);
    stmt.BindText(12, c.outcome);
    stmt.BindText(13, c.error);
    stmt.BindDouble(14, c.created_unix);
    Status s = stmt.Run();
    stmt.Reset();
    if (!s.ok()) return s.WithContext("insert llm call " + std::to_string(c.id));
  }
  return txn.Commit();
}

StatusOr<std::vector<LlmCallRecord>> RunStore::LoadLlmCalls() const {
  std::vector<LlmCallRecord> out;
  if (metadata_.schema_version < 2) return out;
  ASSIGN_OR_RETURN(sqlite::Statement stmt,
                   impl_->db->Prepare(
                       "SELECT id, candidate_id, attempt, model, mode, prompt, response, "
                       "prompt_tokens, completion_tokens, cost, latency_seconds, outcome, error, "
                       "created_unix FROM llm_calls ORDER BY id"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    LlmCallRecord c;
    c.id = stmt.ColumnInt64(0);
    c.candidate_id = stmt.ColumnIsNull(1) ? kNoCandidate : stmt.ColumnInt64(1);
    c.attempt = static_cast<int>(stmt.ColumnInt64(2));
    c.model = stmt.ColumnString(3);
    c.mode = stmt.ColumnString(4);
    c.prompt = stmt.ColumnString(5);
    c.response = stmt.ColumnString(6);
    if (!stmt.ColumnIsNull(7)) c.prompt_tokens = stmt.ColumnInt64(7);
    if (!stmt.ColumnIsNull(8)) c.completion_tokens = stmt.ColumnInt64(8);
    if (!stmt.ColumnIsNull(9)) c.cost = stmt.ColumnDouble(9);
    c.latency_seconds = stmt.ColumnDouble(10);
    c.outcome = stmt.ColumnString(11);
    c.error = stmt.ColumnString(12);
    c.created_unix = stmt.ColumnDouble(13);
    out.push_back(std::move(c));
  }
  stmt.Reset();
  return out;
}

Status RunStore::InsertLlmNotes(const std::vector<LlmNoteRecord>& notes) {
  RETURN_IF_ERROR(CheckWritable("insert llm notes"));
  ASSIGN_OR_RETURN(sqlite::Statement stmt,
                   impl_->db->Prepare("INSERT INTO llm_notes (id, evaluated, model, call_id, note, "
                                      "created_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  ASSIGN_OR_RETURN(sqlite::Transaction txn, impl_->NewTransaction());
  RETURN_IF_ERROR(txn.Begin());
  for (const LlmNoteRecord& n : notes) {
    stmt.BindInt64(1, n.id);
    stmt.BindInt64(2, n.evaluated);
    stmt.BindText(3, n.model);
    stmt.BindInt64(4, n.call_id);
    stmt.BindText(5, n.note);
    stmt.BindDouble(6, n.created_unix);
    Status s = stmt.Run();
    stmt.Reset();
    if (!s.ok()) return s.WithContext("insert llm note " + std::to_string(n.id));
  }
  return txn.Commit();
}

StatusOr<std::vector<LlmNoteRecord>> RunStore::LoadLlmNotes() const {
  std::vector<LlmNoteRecord> out;
  if (metadata_.schema_version < 4) return out;
  ASSIGN_OR_RETURN(sqlite::Statement stmt,
                   impl_->db->Prepare("SELECT " CRUCIBLE_LLM_NOTE_COLUMNS
                                      " FROM llm_notes ORDER BY id"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(store_row::ReadLlmNote(stmt));
  }
  stmt.Reset();
  return out;
}

Status RunStore::BeginBatch() {
  RETURN_IF_ERROR(CheckWritable("begin a batch"));
  if (impl_->in_batch) return FailedPreconditionError("a batch is already open");
  impl_->in_batch = true;
  impl_->batch_begun = false;
  return Status::Ok();
}

Status RunStore::CommitBatch() {
  if (!impl_->in_batch) return FailedPreconditionError("no batch is open");
  impl_->in_batch = false;
  if (!impl_->batch_begun) return Status::Ok();
  impl_->batch_begun = false;
  Status committed = impl_->Run(kCommit, [](sqlite::Statement&) {});
  if (!committed.ok()) (void)impl_->Run(kRollback, [](sqlite::Statement&) {});
  return committed.WithContext("commit a batch");
}

Status RunStore::PutState(const std::string& key, const std::string& value) {
  RETURN_IF_ERROR(CheckWritable("put state " + key));
  // One statement: a transaction of its own.
  return impl_->PutStateEntries({{key, value}});
}

Status RunStore::AppendEvent(double unix_time, const std::string& kind, const std::string& json) {
  RETURN_IF_ERROR(CheckWritable("append event"));
  if (!store_json::IsJsonOrEmpty(json)) {
    return InvalidArgumentError("append event " + kind + ": json is not JSON");
  }
  return impl_->Run(kAppendEvent, [&](sqlite::Statement& s) {
    s.BindDouble(1, unix_time);
    s.BindText(2, kind);
    s.BindText(3, json);
  });
}

// --------------------------------------------------------------------- reads

StatusOr<std::optional<std::string>> RunStore::GetState(const std::string& key) const {
  ASSIGN_OR_RETURN(sqlite::Statement * stmt, impl_->Get(kGetState));
  ResetOnExit reset(*stmt);
  stmt->BindText(1, key);
  ASSIGN_OR_RETURN(bool has_row, stmt->Step());
  if (!has_row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->ColumnString(0));
}

StatusOr<std::vector<RunStore::Event>> RunStore::LoadEvents(int64_t after_seq, int limit) const {
  if (limit < 0) return InvalidArgumentError("load events: negative limit");
  ASSIGN_OR_RETURN(sqlite::Statement * stmt, impl_->Get(kLoadEvents));
  ResetOnExit reset(*stmt);
  stmt->BindInt64(1, after_seq);
  stmt->BindInt64(2, limit);
  std::vector<Event> events;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, stmt->Step());
    if (!has_row) break;
    events.push_back(Event{stmt->ColumnInt64(0), stmt->ColumnDouble(1), stmt->ColumnString(2),
                           stmt->ColumnString(3)});
  }
  return events;
}

StatusOr<std::vector<CandidateRow>> RunStore::LoadCandidates(
    std::optional<CandidateStatus> only) const {
  Sql sql = !only.has_value()                   ? kAllCandidates
            : *only == CandidateStatus::kPending ? kPendingCandidates
                                                 : kDoneCandidates;
  ASSIGN_OR_RETURN(std::vector<CandidateRow> rows,
                   impl_->Candidates(sql, /*skip_malformed=*/true, [](sqlite::Statement&) {}));
  RETURN_IF_ERROR(impl_->FillTuningEvaluations(metadata_.schema_version, rows));
  return rows;
}

StatusOr<std::optional<CandidateRow>> RunStore::LoadCandidate(CandidateId id) const {
  ASSIGN_OR_RETURN(std::vector<CandidateRow> rows,
                   impl_->Candidates(kOneCandidate, /*skip_malformed=*/false,
                                     [&](sqlite::Statement& s) {
                     s.BindInt64(1, id);
                   }));
  if (rows.empty()) return std::optional<CandidateRow>();
  RETURN_IF_ERROR(impl_->FillTuningEvaluations(metadata_.schema_version, rows));
  return std::optional<CandidateRow>(std::move(rows.front()));
}

StatusOr<std::vector<CandidateRow>> RunStore::TopByObjective(const Objective& objective, int k,
                                                             std::string_view final_stage) const {
  if (k < 0) return InvalidArgumentError("top candidates: negative k");
  // Spare ids, so that the next best stand in for malformed rows among the k.
  constexpr int kSpareRows = 16;
  std::vector<CandidateId> ids;
  {
    ASSIGN_OR_RETURN(sqlite::Statement s,
                     impl_->db->Prepare(store_sql::BestIdsSql(
                         objective, final_stage,
                         k <= std::numeric_limits<int>::max() - kSpareRows ? k + kSpareRows : k)));
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.ColumnInt64(0));
    }
  }
  std::vector<CandidateRow> out;
  for (CandidateId id : ids) {
    if (out.size() == static_cast<size_t>(k)) break;
    StatusOr<std::optional<CandidateRow>> row = LoadCandidate(id);
    if (!row.ok() && row.status().code() == StatusCode::kDataLoss) {
      // The next best stands in for a malformed row.
      store_row::ReportSkippedRow(impl_->options.on_skipped_row, row.status());
      continue;
    }
    if (!row.ok()) return row.status();
    if (*row) out.push_back(std::move(**row));
  }
  return out;
}

StatusOr<std::vector<OutcomeCount>> RunStore::CountOutcomes() const {
  ASSIGN_OR_RETURN(sqlite::Statement * stmt, impl_->Get(kCountOutcomes));
  ResetOnExit reset(*stmt);
  std::map<Outcome, int64_t> counts;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, stmt->Step());
    if (!has_row) break;
    std::optional<Outcome> outcome = ParseOutcome(stmt->ColumnText(0));
    if (!outcome.has_value()) {
      // Crafted or from a newer crucible: left out of the counts, said once.
      store_row::ReportSkippedRow(
          impl_->options.on_skipped_row,
          DataLossError(fmt::format("run database {}: {} candidate(s) with unknown outcome '{}'",
                                    path_, stmt->ColumnInt64(1), stmt->ColumnString(0))));
      continue;
    }
    counts[*outcome] = stmt->ColumnInt64(1);
  }
  std::vector<OutcomeCount> result;
  for (Outcome outcome : kAllOutcomes) {
    if (auto it = counts.find(outcome); it != counts.end()) result.push_back({outcome, it->second});
  }
  return result;
}

StatusOr<CandidateId> RunStore::MaxCandidateId() const { return impl_->Int(kMaxId, kNoCandidate); }

StatusOr<int64_t> RunStore::CountCandidates() const { return impl_->Int(kCountCandidates, 0); }

}  // namespace crucible
