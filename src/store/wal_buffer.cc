#include "store/wal_buffer.h"

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace crucible::sqlite {
namespace {

constexpr char kVfsName[] = "crucible-walbuf";
// Flushed when it would grow past this (a commit of many pages). The unix VFS
// writes at most 128 KiB per call (it masks the length to 17 bits and takes a
// short write for a full disk), so one flush must stay below that.
constexpr size_t kMaxBuffered = 64 * 1024;
constexpr int kFrameHeaderBytes = 24;  // WAL frame header (SQLite file format)

sqlite3_vfs g_vfs;  // filled once by Register()

sqlite3_vfs* Base() { return static_cast<sqlite3_vfs*>(g_vfs.pAppData); }

// A wrapped WAL file: this struct, then the base VFS's file object.
struct WalFile {
  sqlite3_file base;  // pMethods = &kWalMethods
  sqlite3_file* real;
  std::vector<unsigned char>* buffer;  // pending appends
  sqlite3_int64 buffer_offset;         // file offset of buffer[0]
  sqlite3_int64 commit_end;            // flush once the buffer reaches this offset; -1 none
};

WalFile* AsWal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

int Flush(WalFile* w) {
  if (w->buffer->empty()) return SQLITE_OK;
  const int rc = w->real->pMethods->xWrite(w->real, w->buffer->data(),
                                           static_cast<int>(w->buffer->size()), w->buffer_offset);
  w->buffer->clear();
  return rc;
}

int Close(sqlite3_file* f) {
  WalFile* w = AsWal(f);
  int rc = Flush(w);
  const int closed = w->real->pMethods ? w->real->pMethods->xClose(w->real) : SQLITE_OK;
  delete w->buffer;
  w->buffer = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xRead(w->real, out, amount, offset);
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  WalFile* w = AsWal(f);
  std::vector<unsigned char>& buf = *w->buffer;
  const sqlite3_int64 end = w->buffer_offset + static_cast<sqlite3_int64>(buf.size());
  if (!buf.empty() && (offset != end || buf.size() + static_cast<size_t>(amount) > kMaxBuffered)) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  if (buf.empty()) w->buffer_offset = offset;
  const auto* bytes = static_cast<const unsigned char*>(data);
  buf.insert(buf.end(), bytes, bytes + amount);
  // A frame header whose bytes 4..7 (database size after commit) are not
  // zero starts a commit frame: the transaction is complete once its page,
  // which follows, is written.
  if (amount == kFrameHeaderBytes && w->commit_end < 0 &&
      (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0) {
    w->commit_end = -2;  // the next write is the commit frame's page
  } else if (w->commit_end == -2) {
    w->commit_end = offset + amount;
  }
  if (w->commit_end >= 0 &&
      w->buffer_offset + static_cast<sqlite3_int64>(buf.size()) >= w->commit_end) {
    w->commit_end = -1;
    return Flush(w);
  }
  return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xTruncate(w->real, size);
}

int Sync(sqlite3_file* f, int flags) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileSize(w->real, size);
}

int Lock(sqlite3_file* f, int level) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xLock(w->real, level);
}

int Unlock(sqlite3_file* f, int level) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xUnlock(w->real, level);
}

int CheckReservedLock(sqlite3_file* f, int* out) {
  WalFile* w = AsWal(f);
  return w->real->pMethods->xCheckReservedLock(w->real, out);
}

int FileControl(sqlite3_file* f, int op, void* arg) {
  WalFile* w = AsWal(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileControl(w->real, op, arg);
}

int SectorSize(sqlite3_file* f) {
  WalFile* w = AsWal(f);
  return w->real->pMethods->xSectorSize(w->real);
}

int DeviceCharacteristics(sqlite3_file* f) {
  WalFile* w = AsWal(f);
  return w->real->pMethods->xDeviceCharacteristics(w->real);
}

// A WAL file is never memory-mapped nor used for shared memory by SQLite;
// these are version-1 methods only.
const sqlite3_io_methods kWalMethods = {
    1,        Close,          Read,     Write,      Truncate, Sync, FileSize, Lock, Unlock,
    CheckReservedLock, FileControl, SectorSize, DeviceCharacteristics,
    nullptr,  nullptr,        nullptr,  nullptr,    nullptr,  nullptr,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a WAL: the base VFS's own file object, in place.
    return Base()->xOpen(Base(), name, file, flags, out_flags);
  }
  WalFile* w = AsWal(file);
  w->base.pMethods = nullptr;
  w->real = reinterpret_cast<sqlite3_file*>(w + 1);
  w->real->pMethods = nullptr;
  w->buffer = nullptr;
  w->buffer_offset = 0;
  w->commit_end = -1;
  const int rc = Base()->xOpen(Base(), name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite calls xClose only when pMethods is set; close what the base opened.
    if (w->real->pMethods != nullptr) w->real->pMethods->xClose(w->real);
    return rc;
  }
  w->buffer = new (std::nothrow) std::vector<unsigned char>();
  if (w->buffer == nullptr) {
    w->real->pMethods->xClose(w->real);
    return SQLITE_NOMEM;
  }
  w->buffer->reserve(kMaxBuffered);
  w->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// The rest of the VFS forwards to the base.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return Base()->xDelete(Base(), name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return Base()->xAccess(Base(), name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return Base()->xFullPathname(Base(), name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return Base()->xDlOpen(Base(), name); }
void DlError(sqlite3_vfs*, int n, char* out) { Base()->xDlError(Base(), n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return Base()->xDlSym(Base(), handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { Base()->xDlClose(Base(), handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return Base()->xRandomness(Base(), n, out); }
int Sleep(sqlite3_vfs*, int us) { return Base()->xSleep(Base(), us); }
int CurrentTime(sqlite3_vfs*, double* out) { return Base()->xCurrentTime(Base(), out); }
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return Base()->xGetLastError ? Base()->xGetLastError(Base(), n, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return Base()->xCurrentTimeInt64(Base(), out);
}

bool Register() {
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr || base->iVersion < 2) return false;
  std::memset(&g_vfs, 0, sizeof g_vfs);
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + base->szOsFile;
  if (g_vfs.szOsFile < base->szOsFile) return false;
  g_vfs.mxPathname = base->mxPathname;
  g_vfs.zName = kVfsName;
  g_vfs.pAppData = base;
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  return sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) == SQLITE_OK;
}

}  // namespace

const char* WalBufferVfsName() {
  static const bool registered = Register();
  return registered ? kVfsName : nullptr;
}

}  // namespace crucible::sqlite
