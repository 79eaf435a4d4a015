// A thin RAII layer over the SQLite C API, private to the store component.
//
// Ownership: a Database owns one sqlite3 connection; a Statement owns one
// prepared statement and must be destroyed before its Database (RunStore
// declares its statement cache after its Database for that reason).
// Thread safety: none. A connection and its statements are used by one thread
// at a time (the connection is opened with SQLITE_OPEN_NOMUTEX).
//
// Errors: every failing call becomes a Status whose message names the database
// path, the operation and SQLite's own message; SqliteCodeToStatusCode says
// which StatusCode each SQLite result code maps to.
#ifndef CRUCIBLE_STORE_SQLITE_H_
#define CRUCIBLE_STORE_SQLITE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace crucible::sqlite {

// SQLITE_BUSY/LOCKED -> kUnavailable, CORRUPT/NOTADB -> kDataLoss,
// FULL -> kResourceExhausted, READONLY/CANTOPEN/PERM/AUTH -> kFailedPrecondition,
// CONSTRAINT -> kAlreadyExists, anything else -> kInternal.
StatusCode SqliteCodeToStatusCode(int code);

class Database;

// One prepared statement. Bind* use 1-based parameter indexes (SQLite's own
// convention); Column* use 0-based column indexes. Text is bound by copy
// (SQLITE_TRANSIENT) so arguments may be temporaries.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  explicit operator bool() const { return stmt_ != nullptr; }

  void BindNull(int index);
  void BindInt64(int index, int64_t value);
  void BindDouble(int index, double value);  // NaN is stored as NULL (SQLite's rule)
  void BindText(int index, std::string_view value);
  void BindOptionalDouble(int index, std::optional<double> value);

  // Advances the statement. Returns true when a row is available, false when
  // the statement has finished; an error status otherwise.
  [[nodiscard]] StatusOr<bool> Step();
  // Steps a statement that returns no rows to completion.
  [[nodiscard]] Status Run();
  // Clears bindings and rewinds, ready for reuse; cheap.
  void Reset();

  bool ColumnIsNull(int col) const;
  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  // A view valid until the next Step/Reset; "" for NULL.
  std::string_view ColumnText(int col) const;
  std::string ColumnString(int col) const { return std::string(ColumnText(col)); }

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, const Database* db) : stmt_(stmt), db_(db) {}

  sqlite3_stmt* stmt_ = nullptr;
  const Database* db_ = nullptr;
};

enum class OpenMode { kReadWrite, kReadOnly };

class Database {
 public:
  // Opens an existing database file (never creates one). `uri_suffix`, when
  // not empty, opens `file:PATH?URI_SUFFIX` (e.g. "immutable=1").
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path, OpenMode mode,
                                                  const std::string& uri_suffix = "");
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // Runs one or more SQL statements that return no rows of interest.
  [[nodiscard]] Status Exec(std::string_view sql, std::string_view operation);
  // Prepares `sql` for repeated use (SQLITE_PREPARE_PERSISTENT).
  [[nodiscard]] StatusOr<Statement> Prepare(std::string_view sql) const;
  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int64_t Changes() const;

  // Calls `hook(frames_in_wal)` after each commit of this connection. This
  // replaces SQLite's automatic checkpoints: the hook decides when to
  // checkpoint. An empty function removes the hook.
  void SetCommitHook(std::function<void(int)> hook);
  // A passive checkpoint: copies WAL frames into the database file without
  // waiting for readers or writers. kUnavailable if another checkpoint runs.
  [[nodiscard]] Status Checkpoint();

  // The error status for result `code` of the last call on this connection:
  // "run database PATH: OPERATION: <sqlite message>".
  Status Error(int code, std::string_view operation) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_ = nullptr;
  std::string path_;
  std::function<void(int)> commit_hook_;
};

// A write transaction (BEGIN IMMEDIATE, so that a competing writer is
// detected before any work is done). Rolls back on destruction unless
// Commit() succeeded. The BEGIN/COMMIT/ROLLBACK statements are passed in so
// the caller can keep them prepared.
class Transaction {
 public:
  Transaction(Statement& begin, Statement& commit, Statement& rollback)
      : begin_(&begin), commit_(&commit), rollback_(&rollback) {}
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  [[nodiscard]] Status Begin();
  [[nodiscard]] Status Commit();

 private:
  Statement* begin_;
  Statement* commit_;
  Statement* rollback_;
  bool open_ = false;
};

}  // namespace crucible::sqlite

#endif  // CRUCIBLE_STORE_SQLITE_H_
