// A SQLite VFS that combines the writes of one WAL commit into one system
// call. SQLite appends each WAL frame with two pwrite calls (its 24-byte
// header, then the page), so a commit touching six pages costs twelve
// system calls; on a paravirtualised VM each costs a few microseconds, which
// is most of the engine's per-candidate overhead (docs/run-database.md).
//
// The VFS wraps the default one. Only files opened as a WAL are wrapped: their
// contiguous appends are kept in memory and written with one pwrite when
//  * a frame whose header marks it as a commit frame (a non-zero "database
//    size after commit", WAL format) has been completely written — before
//    SQLite publishes the commit in the shared wal-index, so another
//    connection never reads a frame that is not in the file yet;
//  * anything else touches the file (read, sync, truncate, size, lock, file
//    control, close), a write is not contiguous, or the buffer is full.
// A crash before the flush loses only frames of a transaction that has not
// committed yet, which recovery discards anyway: durability is unchanged. A
// failed flush is reported by the call that triggered it (for a commit, the
// write of its last frame, so the COMMIT fails).
#ifndef CRUCIBLE_STORE_WAL_BUFFER_H_
#define CRUCIBLE_STORE_WAL_BUFFER_H_

namespace crucible::sqlite {

// The name of the VFS, registered (once, thread-safely) by the first call.
// Returns nullptr if registration failed (callers then use the default VFS).
const char* WalBufferVfsName();

}  // namespace crucible::sqlite

#endif  // CRUCIBLE_STORE_WAL_BUFFER_H_
