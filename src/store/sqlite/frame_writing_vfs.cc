#include "store/sqlite/frame_writing_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <vector>

namespace taskexec::sqlite {
namespace {

constexpr const char* kName = "taskexec-frames";
// A frame header is 24 bytes, the log's own header 32: only writes this
// short are held, and a held run grows to at most this.
constexpr int kMaxHeld = 64;

// A file of this VFS: the default VFS's file lives right after it.
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool holds_writes;  // a write-ahead log
};

constexpr int kRealOffset = static_cast<int>((sizeof(ShimFile) + 7) / 8 * 8);

ShimFile* Shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Shim(f)->real; }
const sqlite3_io_methods* RealMethods(sqlite3_file* f) { return Real(f)->pMethods; }

// The short write this thread holds, if any, and an error a call that
// cannot report one met while writing it (reported by the next call that
// can).
struct Held {
  ShimFile* file = nullptr;
  sqlite3_int64 offset = 0;
  int size = 0;
  unsigned char bytes[kMaxHeld];
  int deferred_error = SQLITE_OK;
};
thread_local Held held;
thread_local std::vector<unsigned char> joined;
std::atomic<long long> joined_writes{0};

int WriteHeld() {
  if (held.file == nullptr) return SQLITE_OK;
  sqlite3_file* real = held.file->real;
  held.file = nullptr;
  return real->pMethods->xWrite(real, held.bytes, held.size, held.offset);
}

// Before every call: what is held is written; an error it met earlier is
// reported now.
int Settle() {
  if (held.deferred_error != SQLITE_OK) {
    const int rc = held.deferred_error;
    held.deferred_error = SQLITE_OK;
    held.file = nullptr;
    return rc;
  }
  return WriteHeld();
}

// The same, for calls whose result is not an error code.
void SettleQuietly() {
  const int rc = WriteHeld();
  if (rc != SQLITE_OK && held.deferred_error == SQLITE_OK) held.deferred_error = rc;
}

int Close(sqlite3_file* f) {
  const int settled = Settle();
  const int rc = RealMethods(f)->xClose(Real(f));
  return settled != SQLITE_OK ? settled : rc;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xRead(Real(f), out, amount, offset);
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  ShimFile* file = Shim(f);
  if (held.deferred_error != SQLITE_OK) return Settle();
  if (held.file == file && offset == held.offset + held.size) {
    if (held.size + amount <= kMaxHeld) {  // the log's header, then a frame's
      std::memcpy(held.bytes + held.size, data, static_cast<size_t>(amount));
      held.size += amount;
      return SQLITE_OK;
    }
    // A header and its page: one write.
    const size_t total = static_cast<size_t>(held.size) + static_cast<size_t>(amount);
    if (joined.size() < total) joined.resize(total);
    std::memcpy(joined.data(), held.bytes, static_cast<size_t>(held.size));
    std::memcpy(joined.data() + held.size, data, static_cast<size_t>(amount));
    const sqlite3_int64 at = held.offset;
    held.file = nullptr;
    joined_writes.fetch_add(1, std::memory_order_relaxed);
    return RealMethods(f)->xWrite(Real(f), joined.data(), static_cast<int>(total), at);
  }
  if (int rc = WriteHeld(); rc != SQLITE_OK) return rc;
  if (file->holds_writes && amount > 0 && amount <= kMaxHeld) {
    std::memcpy(held.bytes, data, static_cast<size_t>(amount));
    held.file = file;
    held.offset = offset;
    held.size = amount;
    return SQLITE_OK;
  }
  return RealMethods(f)->xWrite(Real(f), data, amount, offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xTruncate(Real(f), size);
}

int Sync(sqlite3_file* f, int flags) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xSync(Real(f), flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xFileSize(Real(f), size);
}

int Lock(sqlite3_file* f, int level) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xLock(Real(f), level);
}

int Unlock(sqlite3_file* f, int level) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xUnlock(Real(f), level);
}

int CheckReservedLock(sqlite3_file* f, int* out) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xCheckReservedLock(Real(f), out);
}

int FileControl(sqlite3_file* f, int op, void* arg) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xFileControl(Real(f), op, arg);
}

int SectorSize(sqlite3_file* f) {
  SettleQuietly();
  return RealMethods(f)->xSectorSize(Real(f));
}

int DeviceCharacteristics(sqlite3_file* f) {
  SettleQuietly();
  return RealMethods(f)->xDeviceCharacteristics(Real(f));
}

int ShmMap(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xShmMap(Real(f), page, page_size, extend, out);
}

int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xShmLock(Real(f), offset, n, flags);
}

// Frames become visible to readers after this barrier: they are written
// before it.
void ShmBarrier(sqlite3_file* f) {
  SettleQuietly();
  RealMethods(f)->xShmBarrier(Real(f));
}

int ShmUnmap(sqlite3_file* f, int delete_flag) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xShmUnmap(Real(f), delete_flag);
}

int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xFetch(Real(f), offset, amount, out);
}

int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return RealMethods(f)->xUnfetch(Real(f), offset, p);
}

// One table per version of the default VFS's files: SQLite calls the
// version 2 and 3 methods only when a file's table says it has them.
sqlite3_io_methods MethodsOfVersion(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xCheckReservedLock = CheckReservedLock;
  m.xFileControl = FileControl;
  m.xSectorSize = SectorSize;
  m.xDeviceCharacteristics = DeviceCharacteristics;
  if (version >= 2) {
    m.xShmMap = ShmMap;
    m.xShmLock = ShmLock;
    m.xShmBarrier = ShmBarrier;
    m.xShmUnmap = ShmUnmap;
  }
  if (version >= 3) {
    m.xFetch = Fetch;
    m.xUnfetch = Unfetch;
  }
  return m;
}

const sqlite3_io_methods kMethods[] = {MethodsOfVersion(1), MethodsOfVersion(2),
                                       MethodsOfVersion(3)};

sqlite3_vfs* Base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  ShimFile* file = Shim(f);
  file->base.pMethods = nullptr;  // SQLite calls no method of a file that did not open
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  file->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  file->real->pMethods = nullptr;
  file->holds_writes = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = Base(vfs)->xOpen(Base(vfs), name, file->real, flags, out_flags);
  const sqlite3_io_methods* real = file->real->pMethods;
  if (real != nullptr) {
    const int version = real->iVersion < 1 ? 1 : real->iVersion > 3 ? 3 : real->iVersion;
    file->base.pMethods = &kMethods[version - 1];
  }
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}

int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  if (int rc = Settle(); rc != SQLITE_OK) return rc;
  return Base(vfs)->xAccess(Base(vfs), name, flags, out);
}

int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, size, out);
}

void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Base(vfs)->xDlOpen(Base(vfs), name); }
void DlError(sqlite3_vfs* vfs, int size, char* out) { Base(vfs)->xDlError(Base(vfs), size, out); }
void (*DlSym(sqlite3_vfs* vfs, void* lib, const char* symbol))(void) {
  return Base(vfs)->xDlSym(Base(vfs), lib, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* lib) { Base(vfs)->xDlClose(Base(vfs), lib); }
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Base(vfs)->xSleep(Base(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Base(vfs)->xCurrentTime(Base(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xGetLastError(Base(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), out);
}
int SetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return Base(vfs)->xSetSystemCall(Base(vfs), name, call);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xGetSystemCall(Base(vfs), name);
}
const char* NextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xNextSystemCall(Base(vfs), name);
}

sqlite3_vfs vfs_over_default{};

bool Register() {
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr || base->iVersion < 2) return false;
  sqlite3_vfs& v = vfs_over_default;
  v.iVersion = base->iVersion >= 3 ? 3 : 2;
  v.szOsFile = kRealOffset + base->szOsFile;
  v.mxPathname = base->mxPathname;
  v.zName = kName;
  v.pAppData = base;
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (v.iVersion >= 3) {
    v.xSetSystemCall = SetSystemCall;
    v.xGetSystemCall = GetSystemCall;
    v.xNextSystemCall = NextSystemCall;
  }
  return sqlite3_vfs_register(&v, /*makeDflt=*/0) == SQLITE_OK;
}

}  // namespace

const char* FrameWritingVfs() {
  static const bool registered = Register();
  return registered ? kName : nullptr;
}

long long FrameWritingVfsJoinedWrites() { return joined_writes.load(std::memory_order_relaxed); }

}  // namespace taskexec::sqlite
