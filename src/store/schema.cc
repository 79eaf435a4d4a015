#include "store/schema.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include "store/candidate_json.h"

namespace crucible::store_schema {
namespace {

// Version 1. Column types are declared TEXT for JSON and for the uint64 seed
// so that SQLite's type affinity never turns a value into a number.
//
// A candidate is stored in two rows: its sources (large, written once) apart
// from its record (small, updated when the result arrives), because SQLite
// rewrites a whole row, overflow pages included, on every UPDATE. Readers use
// the `candidates` view, which joins them back into the documented shape.
//
// The status and outcome indexes are partial, leaving out the rows that no
// query looks up through them (done rows by status, pending rows by outcome):
// each commit then touches one index page fewer, which is measurable in the
// per-candidate budget (docs).
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE candidate_records (
  id              INTEGER PRIMARY KEY,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'done')),
  parent_id       INTEGER,
  inspiration_ids TEXT NOT NULL,
  island          INTEGER NOT NULL,
  generation      INTEGER NOT NULL,
  seed            TEXT NOT NULL,
  source_hash     TEXT NOT NULL,
  proposer        TEXT NOT NULL,
  operators       TEXT NOT NULL,
  proposal_detail TEXT NOT NULL,
  propose_seconds REAL NOT NULL,
  outcome         TEXT,
  score           REAL,
  metrics         TEXT,
  features        TEXT,
  feedback        TEXT,
  artifacts       TEXT,
  stage           TEXT,
  eval_seconds    REAL,
  duplicate_of    INTEGER,
  created_unix    REAL NOT NULL,
  completed_unix  REAL
);
CREATE TABLE candidate_sources (
  id      INTEGER PRIMARY KEY,
  program TEXT NOT NULL,
  patch   TEXT NOT NULL
);
CREATE INDEX candidates_status ON candidate_records (status) WHERE status = 'pending';
CREATE INDEX candidates_outcome_score ON candidate_records (outcome, score)
  WHERE outcome IS NOT NULL;
CREATE VIEW candidates AS
  SELECT r.id, r.status, r.parent_id, r.inspiration_ids, r.island, r.generation, r.seed,
         r.source_hash, s.program, s.patch, r.proposer, r.operators, r.proposal_detail,
         r.propose_seconds, r.outcome, r.score, r.metrics, r.features, r.feedback, r.artifacts,
         r.stage, r.eval_seconds, r.duplicate_of, r.created_unix, r.completed_unix
  FROM candidate_records AS r JOIN candidate_sources AS s ON s.id = r.id;
CREATE TABLE state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  unix_time REAL NOT NULL,
  kind      TEXT NOT NULL,
  json      TEXT NOT NULL
);
)sql";

// Version 2 adds the record of language-model calls (docs/run-database.md).
constexpr char kSchemaV2Additions[] = R"sql(
CREATE TABLE llm_calls (
  id                INTEGER PRIMARY KEY,
  candidate_id      INTEGER,
  attempt           INTEGER NOT NULL,
  model             TEXT NOT NULL,
  mode              TEXT NOT NULL,
  prompt            TEXT NOT NULL,
  response          TEXT NOT NULL,
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  cost              REAL,
  latency_seconds   REAL NOT NULL,
  outcome           TEXT NOT NULL,
  error             TEXT NOT NULL DEFAULT '',
  created_unix      REAL NOT NULL
);
CREATE INDEX llm_calls_candidate ON llm_calls (candidate_id);
)sql";

// Version 3 dropped two indexes no query used (candidates_parent on
// parent_id, candidates_source_hash on source_hash): each cost every commit a
// random index-page write (about a third of the engine's per-candidate cost
// at 60,000 candidates, bench/engine_bench).
constexpr char kSchemaV3Changes[] = R"sql(
DROP INDEX IF EXISTS candidates_parent;
DROP INDEX IF EXISTS candidates_source_hash;
)sql";

// Version 4 adds the LLM proposer's meta-scratchpad, every version of it.
constexpr char kSchemaV4Additions[] = R"sql(
CREATE TABLE IF NOT EXISTS llm_notes (
  id           INTEGER PRIMARY KEY,
  evaluated    INTEGER NOT NULL,
  model        TEXT NOT NULL,
  call_id      INTEGER NOT NULL,
  note         TEXT NOT NULL,
  created_unix REAL NOT NULL
);
)sql";

// Version 5 adds what each constant tuning cost: the samples it evaluated
// before its child (candidate_id, proposer 'tune') was recorded. They are
// not candidates; the engine counts them against the evaluation budget.
constexpr char kSchemaV5Additions[] = R"sql(
CREATE TABLE IF NOT EXISTS tunings (
  candidate_id INTEGER PRIMARY KEY,
  tuned_from   INTEGER NOT NULL,
  evaluations  INTEGER NOT NULL
);
)sql";

Status NotOurs(const sqlite::Database& db, const std::string& why) {
  return DataLossError("run database " + db.path() + " is not a crucible run database (" + why +
                       ")");
}

StatusOr<int64_t> QueryInt(const sqlite::Database& db, std::string_view sql) {
  ASSIGN_OR_RETURN(sqlite::Statement stmt, db.Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError("run database " + db.path() + ": no result from " + std::string(sql));
  return stmt.ColumnInt64(0);
}

template <typename T>
bool ParseNumber(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && !text.empty();
}

StatusOr<std::map<std::string, std::string>> ReadMetaTable(const sqlite::Database& db) {
  ASSIGN_OR_RETURN(int64_t tables,
                   QueryInt(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'meta'"));
  if (tables == 0) return NotOurs(db, "no meta table");
  ASSIGN_OR_RETURN(sqlite::Statement stmt, db.Prepare("SELECT key, value FROM meta"));
  std::map<std::string, std::string> meta;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    meta[stmt.ColumnString(0)] = stmt.ColumnString(1);
  }
  return meta;
}

// Checks the version before anything else is interpreted: a newer database
// may have changed the meaning of the other keys.
Status CheckVersion(const sqlite::Database& db, const std::map<std::string, std::string>& meta,
                    int& version) {
  auto it = meta.find("schema_version");
  if (it == meta.end() || !ParseNumber(it->second, version) || version < 1) {
    return NotOurs(db, "no valid schema_version in meta");
  }
  if (version > kRunSchemaVersion) {
    return FailedPreconditionError(
        "run database " + db.path() + " has schema version " + std::to_string(version) +
        ", but this crucible reads schema versions up to " + std::to_string(kRunSchemaVersion) +
        "; use a newer crucible");
  }
  // Older versions are read as they are; a writer upgrades them first
  // (MigrateToCurrent, docs/run-database.md "Versions and migration").
  return Status::Ok();
}

// Every version's core tables: a file whose tables were dropped or renamed
// is damaged (DataLoss, exit 2), not a query error in the middle of a read.
Status CheckCoreTables(const sqlite::Database& db) {
  for (const char* table : {"candidate_records", "candidate_sources", "state", "events"}) {
    ASSIGN_OR_RETURN(int64_t n, QueryInt(db, std::string("SELECT count(*) FROM sqlite_schema WHERE "
                                                         "type = 'table' AND name = '") +
                                                 table + "'"));
    if (n == 0) {
      return DataLossError("run database " + db.path() + ": table " + table +
                           " is missing (a damaged or crafted file)");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string DoubleToText(double value) {
  char buffer[32];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 32 bytes hold any double's shortest form
  return std::string(buffer, ptr);
}

bool NeedsImmutableOpen(const std::string& path) {
  const std::string wal = path + "-wal";
  if (::access(wal.c_str(), F_OK) == 0) return false;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  return ::access(dir.c_str(), W_OK | X_OK) != 0;
}

Status ConfigureConnection(sqlite::Database& db, RunStore::Mode mode) {
  if (mode == RunStore::Mode::kReadOnly) return Status::Ok();
  ASSIGN_OR_RETURN(sqlite::Statement wal, db.Prepare("PRAGMA journal_mode = WAL"));
  ASSIGN_OR_RETURN(bool row, wal.Step());
  std::string journal_mode = row ? wal.ColumnString(0) : "";
  if (journal_mode != "wal") {
    return FailedPreconditionError("run database " + db.path() +
                                   ": the file system does not support WAL mode (journal_mode " +
                                   journal_mode + ")");
  }
  // NORMAL: a commit survives a crash of the process; only power loss or an
  // OS crash may lose the last transactions (docs/run-database.md).
  return db.Exec("PRAGMA synchronous = NORMAL", "set synchronous");
}

Status CreateSchema(sqlite::Database& db, const RunMetadata& metadata) {
  if (metadata.schema_version != kRunSchemaVersion) {
    return InvalidArgumentError("run metadata has schema_version " +
                                std::to_string(metadata.schema_version) +
                                "; this crucible writes version " +
                                std::to_string(kRunSchemaVersion));
  }
  if (!store_json::IsJsonOrEmpty(metadata.config_json)) {
    return InvalidArgumentError("run metadata config_json is not JSON");
  }
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", "begin create"));
  // Inside the transaction, so a file with our application_id always has the
  // whole schema.
  Status status = db.Exec("PRAGMA application_id = " + std::to_string(kApplicationId),
                          "set application_id");
  if (status.ok()) status = db.Exec(kSchemaV1, "create schema");
  if (status.ok()) status = db.Exec(kSchemaV2Additions, "create schema");
  if (status.ok()) status = db.Exec(kSchemaV4Additions, "create schema");
  if (status.ok()) status = db.Exec(kSchemaV5Additions, "create schema");
  const std::map<std::string, std::string> meta = {
      {"schema_version", std::to_string(kRunSchemaVersion)},
      {"crucible_version", metadata.crucible_version},
      {"problem_name", metadata.problem_name},
      {"problem_dir", metadata.problem_dir},
      {"config_json", metadata.config_json},
      {"seed", std::to_string(metadata.seed)},
      {"deterministic", metadata.deterministic ? "true" : "false"},
      {"created_unix", DoubleToText(metadata.created_unix)},
  };
  StatusOr<sqlite::Statement> insert = db.Prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  if (status.ok()) status = insert.status();
  for (auto it = meta.begin(); status.ok() && it != meta.end(); ++it) {
    insert->BindText(1, it->first);
    insert->BindText(2, it->second);
    status = insert->Run();
    insert->Reset();
  }
  if (status.ok()) return db.Exec("COMMIT", "commit create");
  (void)db.Exec("ROLLBACK", "rollback create");  // the caller deletes the file anyway
  return status;
}

// One migration step, in one transaction: `sql`, then schema_version = to and
// a schema_migrated event.
Status MigrateStep(sqlite::Database& db, int from, int to, const char* sql) {
  const std::string what = "migrate schema " + std::to_string(from) + " -> " + std::to_string(to);
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", what));
  Status status = db.Exec(sql, what);
  if (status.ok()) {
    status = db.Exec("UPDATE meta SET value = '" + std::to_string(to) +
                         "' WHERE key = 'schema_version'",
                     what);
  }
  if (status.ok()) {
    status = db.Exec(
        "INSERT INTO events (unix_time, kind, json) VALUES "
        "((julianday('now') - 2440587.5) * 86400.0, 'schema_migrated', '{\"from\": " +
            std::to_string(from) + ", \"to\": " + std::to_string(to) + "}')",
        what);
  }
  if (!status.ok()) {
    (void)db.Exec("ROLLBACK", "rollback migration");
    return status;
  }
  return db.Exec("COMMIT", "commit " + what);
}

Status MigrateToCurrent(sqlite::Database& db, RunMetadata& metadata) {
  if (metadata.schema_version < 2) {
    RETURN_IF_ERROR(MigrateStep(db, 1, 2, kSchemaV2Additions));
    metadata.schema_version = 2;
  }
  if (metadata.schema_version < 3) {
    RETURN_IF_ERROR(MigrateStep(db, 2, 3, kSchemaV3Changes));
    metadata.schema_version = 3;
  }
  if (metadata.schema_version < 4) {
    RETURN_IF_ERROR(MigrateStep(db, 3, 4, kSchemaV4Additions));
    metadata.schema_version = 4;
  }
  if (metadata.schema_version < 5) {
    RETURN_IF_ERROR(MigrateStep(db, 4, 5, kSchemaV5Additions));
    metadata.schema_version = 5;
  }
  return Status::Ok();
}

StatusOr<RunMetadata> ReadMetadata(const sqlite::Database& db) {
  // The first read of the file: a foreign or damaged file fails here with
  // SQLITE_NOTADB / SQLITE_CORRUPT, which map to kDataLoss.
  ASSIGN_OR_RETURN(int64_t application_id, QueryInt(db, "PRAGMA application_id"));
  if (application_id != kApplicationId) {
    return NotOurs(db, "application_id " + std::to_string(application_id));
  }
  ASSIGN_OR_RETURN(auto meta, ReadMetaTable(db));
  RunMetadata metadata;
  RETURN_IF_ERROR(CheckVersion(db, meta, metadata.schema_version));
  RETURN_IF_ERROR(CheckCoreTables(db));
  metadata.crucible_version = meta["crucible_version"];
  metadata.problem_name = meta["problem_name"];
  metadata.problem_dir = meta["problem_dir"];
  metadata.config_json = meta["config_json"];
  const std::string& deterministic = meta["deterministic"];
  if (!ParseNumber(meta["seed"], metadata.seed) || !ParseNumber(meta["created_unix"],
                                                                metadata.created_unix) ||
      (deterministic != "true" && deterministic != "false")) {
    return DataLossError("run database " + db.path() +
                         ": malformed meta (seed, created_unix or deterministic)");
  }
  metadata.deterministic = deterministic == "true";
  return metadata;
}

}  // namespace crucible::store_schema
