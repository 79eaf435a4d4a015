#include "store/sqlite.h"

#include <sqlite3.h>

#include <utility>

#include "store/wal_buffer.h"

namespace crucible::sqlite {
namespace {

// How long a statement waits for a lock another connection holds.
constexpr int kBusyTimeoutMs = 5000;

// Enough of a statement's SQL to recognise it in an error message.
std::string SqlExcerpt(sqlite3_stmt* stmt) {
  const char* sql = sqlite3_sql(stmt);
  if (sql == nullptr) return "statement";
  std::string_view view(sql);
  constexpr size_t kMax = 48;
  if (view.size() <= kMax) return std::string(view);
  return std::string(view.substr(0, kMax)) + "...";
}

}  // namespace

StatusCode SqliteCodeToStatusCode(int code) {
  switch (code & 0xff) {  // the primary code of an extended result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_FULL:
      return StatusCode::kResourceExhausted;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StatusCode::kFailedPrecondition;
    case SQLITE_CONSTRAINT:
      return StatusCode::kAlreadyExists;
    default:
      return StatusCode::kInternal;
  }
}

// ---------------------------------------------------------------- Statement

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

// Bind results are not checked: the indexes are constants of this component
// and the only other failure (SQLITE_NOMEM) resurfaces at Step().
void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }
void Statement::BindInt64(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::BindDouble(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Statement::BindText(int index, std::string_view value) {
  // A non-null pointer even for "", so that the value is '' and not NULL.
  sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                      SQLITE_TRANSIENT, SQLITE_UTF8);
}
void Statement::BindOptionalDouble(int index, std::optional<double> value) {
  if (value.has_value()) {
    BindDouble(index, *value);
  } else {
    BindNull(index);
  }
}

StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status error = db_->Error(rc, SqlExcerpt(stmt_));
  // Leaves the statement reusable; its error code was reported above.
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::Run() {
  StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  // A statement run for its effect may still yield rows (e.g. a PRAGMA that
  // echoes its value); they are not wanted.
  while (*row) {
    row = Step();
    if (!row.ok()) return row.status();
  }
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
std::string_view Statement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  // column_bytes after column_text: the length of the UTF-8 form just fetched.
  int size = sqlite3_column_bytes(stmt_, col);
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

// ----------------------------------------------------------------- Database

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, OpenMode mode,
                                                   const std::string& uri_suffix) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  std::string name = path;
  if (!uri_suffix.empty()) {
    flags |= SQLITE_OPEN_URI;
    // The characters that are special in a URI path are escaped.
    name = "file:";
    for (char ch : path) {
      if (ch == '?' || ch == '#' || ch == '%') {
        static constexpr char kHex[] = "0123456789ABCDEF";
        name += '%';
        name += kHex[static_cast<unsigned char>(ch) >> 4];
        name += kHex[static_cast<unsigned char>(ch) & 0xf];
      } else {
        name += ch;
      }
    }
    name += "?" + uri_suffix;
  }
  sqlite3* raw = nullptr;
  // Writers combine each commit's WAL writes into one system call
  // (store/wal_buffer.h); readers never write the WAL.
  const char* vfs = mode == OpenMode::kReadWrite ? WalBufferVfsName() : nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, vfs);
  // sqlite3_open_v2 hands back a connection even on failure (for its message).
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) return db->Error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  // Before the first read: a connection's first statement may find another
  // one recovering the WAL or checkpointing, and must wait for it rather than
  // fail at once with "database is locked" (a resume beside `crucible
  // serve`). Setting it touches no file, so it is safe on a foreign one.
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

Database::~Database() {
  // Statements are owned by the caller and finalised before this; close_v2
  // defers the close if one was leaked rather than failing.
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql, std::string_view operation) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, operation);
  return Status::Ok();
}

StatusOr<Statement> Database::Prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "prepare " + std::string(sql.substr(0, 48)));
  }
  return Statement(stmt, this);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

void Database::SetCommitHook(std::function<void(int)> hook) {
  commit_hook_ = std::move(hook);
  if (!commit_hook_) {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    return;
  }
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Database*>(self)->commit_hook_(frames);
        return SQLITE_OK;  // the commit itself has already succeeded
      },
      this);
}

Status Database::Checkpoint() {
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "checkpoint");
  return Status::Ok();
}

Status Database::Error(int code, std::string_view operation) const {
  std::string message = "run database " + path_ + ": " + std::string(operation) + ": ";
  // sqlite3_errmsg describes the most recent failure on this connection; when
  // the connection could not be allocated at all only the code is known.
  const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  message += detail != nullptr ? detail : "unknown error";
  message += " (";
  message += sqlite3_errstr(code);
  message += ")";
  return Status(SqliteCodeToStatusCode(code), std::move(message));
}

// -------------------------------------------------------------- Transaction

Transaction::Transaction(Transaction&& other) noexcept
    : begin_(other.begin_),
      commit_(other.commit_),
      rollback_(other.rollback_),
      open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  if (!open_) return;
  // Nothing useful can be done if the rollback itself fails: the connection
  // then rolls back when it is closed, and the caller already has the error
  // that led here.
  (void)rollback_->Run();
  rollback_->Reset();
}

Status Transaction::Begin() {
  Status status = begin_->Run();
  begin_->Reset();
  if (status.ok()) open_ = true;
  return status;
}

Status Transaction::Commit() {
  Status status = commit_->Run();
  commit_->Reset();
  // A failed COMMIT leaves the transaction open; the destructor rolls it back.
  if (status.ok()) open_ = false;
  return status;
}

}  // namespace crucible::sqlite
