// The run database schema (docs/run-database.md): creating it, recognising a
// crucible database, and reading and checking its metadata. Private to the
// store component.
#ifndef CRUCIBLE_STORE_SCHEMA_H_
#define CRUCIBLE_STORE_SCHEMA_H_

#include <cstdint>

#include "core/status.h"
#include "store/run_store.h"
#include "store/sqlite.h"

namespace crucible::store_schema {

// PRAGMA application_id of every run database: "cruc" in ASCII. A file
// without it is not ours.
inline constexpr int32_t kApplicationId = 0x63727563;

// Connection settings: busy timeout always, WAL and synchronous=NORMAL for
// writers. kFailedPrecondition if the file system cannot do WAL.
Status ConfigureConnection(sqlite::Database& db, RunStore::Mode mode);

// Read-only connections need the -wal and -shm files of WAL mode and create
// them when missing. Where that is impossible (a directory we cannot write,
// e.g. another user's run) and there is no -wal file, the database file holds
// every committed transaction and no writer is active, so it is opened as
// immutable: a snapshot, without locking (docs/run-database.md).
bool NeedsImmutableOpen(const std::string& path);

// Writes application_id, the tables, the indexes and `metadata` (which must
// carry kRunSchemaVersion) in one transaction into an empty database.
Status CreateSchema(sqlite::Database& db, const RunMetadata& metadata);

// Reads the metadata of an existing database. kDataLoss if it is not a
// crucible run database; kFailedPrecondition if its schema version is newer
// than kRunSchemaVersion.
StatusOr<RunMetadata> ReadMetadata(const sqlite::Database& db);

// Upgrades a database of an older schema version in place (one
// transaction) and updates `metadata.schema_version`. Writers only.
Status MigrateToCurrent(sqlite::Database& db, RunMetadata& metadata);

// Shortest decimal text that reads back as the same double.
std::string DoubleToText(double value);

}  // namespace crucible::store_schema

#endif  // CRUCIBLE_STORE_SCHEMA_H_
