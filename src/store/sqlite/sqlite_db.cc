#include "store/sqlite/sqlite_db.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "store/sqlite/frame_writing_vfs.h"

namespace taskexec::sqlite {

namespace {

// Below this much room SQLite's next write (a WAL frame, a page of the
// shared-memory index) may not fit.
constexpr uint64_t kFullBelowBytes = 1 << 20;

// " (the file system holding F is full: N bytes free)" when it is, else
// empty. SQLite reports a full disk as SQLITE_FULL on a write but as a
// plain "disk I/O error" when it cannot grow its -shm index: the free
// space is what tells a person what to do.
std::string FullDiskNote(sqlite3* db) {
  if (db == nullptr) return "";
  const char* file = sqlite3_db_filename(db, "main");
  if (file == nullptr || *file == '\0') return "";  // in memory
  const std::string dir = std::filesystem::path(file).parent_path().string();
  struct statvfs fs {};
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return "";
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes >= kFullBelowBytes) return "";
  return " (the file system holding " + std::string(file) +
         " is full: " + std::to_string(free_bytes) + " bytes free)";
}

}  // namespace

Status FromSqlite(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return Status::OK();
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable("database is busy: " + msg);
    case SQLITE_CONSTRAINT:
      return Status::Conflict(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::IOError(msg + FullDiskNote(db));
    default:
      return Status::Internal(msg);
  }
}

// ---------------------------------------------------------------- Connection

Status Connection::Open(const std::string& path, int busy_timeout_ms,
                        std::unique_ptr<Connection>* out) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  // A log frame in one write instead of two (frame_writing_vfs.h); the
  // default VFS where it cannot be registered.
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, FrameWritingVfs());
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  // The busy timeout first, so that switching to WAL waits for a concurrent
  // opener instead of failing.
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // journal_mode=WAL is persistent in the file; asking again is a cheap no-op.
  // WAL lets readers proceed while one writer commits, which is what several
  // executors polling one file need.
  Status s = conn->Exec("PRAGMA journal_mode=WAL");
  if (!s.ok()) return s;
  // NORMAL is durable across application crashes in WAL mode; only a power
  // loss can lose the last commits, never corrupt the file.
  // temp_store=MEMORY: a write to tasks fires the task_counts triggers, so
  // SQLite keeps a statement journal for it; on disk that cost 18 page writes
  // to a temp file per inserted task. A 32 MiB page cache per connection
  // (the default is 2 MiB) keeps a million tasks' hot index pages in memory.
  s = conn->Exec(
      "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
      "PRAGMA cache_size=-32768");
  if (!s.ok()) return s;
  *out = std::move(conn);
  return Status::OK();
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Connection::TakeCached(const std::string& sql) const {
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first == sql) {
      sqlite3_stmt* stmt = it->second;
      cache_.erase(it);
      return stmt;
    }
  }
  return nullptr;
}

void Connection::ReturnToCache(std::string sql, sqlite3_stmt* stmt) const {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (cache_.size() >= kMaxCachedStatements) {
    sqlite3_finalize(cache_.front().second);
    cache_.erase(cache_.begin());
  }
  cache_.emplace_back(std::move(sql), stmt);
}

Status Connection::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  return FromSqlite(rc, db_, text.substr(0, 60));
}

// ---------------------------------------------------------------------- Stmt

Stmt::Stmt(const Connection& conn, std::string_view sql) : conn_(conn), db_(conn.db()), sql_(sql) {
  stmt_ = conn_.TakeCached(sql_);
  if (stmt_ != nullptr) return;
  int rc = sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) status_ = FromSqlite(rc, db_, "prepare " + sql_.substr(0, 60));
}

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  if (status_.ok()) {
    conn_.ReturnToCache(std::move(sql_), stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

void Stmt::Check(int rc) {
  if (rc != SQLITE_OK && status_.ok()) status_ = FromSqlite(rc, db_, "bind");
}

void Stmt::BindText(int i, std::string_view s) {
  if (stmt_ == nullptr) return;
  // An empty view may have a null data(); SQLite would bind NULL for that.
  const char* data = s.empty() ? "" : s.data();
  Check(sqlite3_bind_text64(stmt_, i, data, s.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

Status Stmt::Step(bool* row) {
  *row = false;
  if (!status_.ok()) return status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    *row = true;
    return Status::OK();
  }
  if (rc == SQLITE_DONE) return Status::OK();
  return FromSqlite(rc, db_, sql_.substr(0, 60));
}

Status Stmt::Run() {
  bool row = true;
  while (row) {
    Status s = Step(&row);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

double Stmt::Real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Stmt::Text(int col) const {
  // column_text before column_bytes, as SQLite documents, so the length is
  // that of the text form.
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

namespace {

// sqlite::Stmt behind sql::StatementImpl.
class SqliteStatement final : public sql::StatementImpl {
 public:
  SqliteStatement(const Connection& conn, std::string_view sql)
      : db_(conn.db()), stmt_(conn, sql) {}
  void BindInt(int i, int64_t v) override { stmt_.BindOne(i, v); }
  void BindReal(int i, double v) override { stmt_.BindOne(i, v); }
  void BindText(int i, std::string_view v) override { stmt_.BindOne(i, v); }
  void BindNull(int i) override { stmt_.BindOne(i, nullptr); }
  Status Step(bool* row) override { return stmt_.Step(row); }
  Status Run() override { return stmt_.Run(); }
  int64_t Changes() const override { return sqlite3_changes64(db_); }
  bool IsNull(int col) const override { return stmt_.IsNull(col); }
  int64_t Int(int col) const override { return stmt_.Int(col); }
  double Real(int col) const override { return stmt_.Real(col); }
  std::string Text(int col) const override { return stmt_.Text(col); }

 private:
  sqlite3* db_;
  Stmt stmt_;
};

}  // namespace

std::unique_ptr<sql::StatementImpl> Connection::NewStatement(std::string_view sql) {
  return std::make_unique<SqliteStatement>(*this, sql);
}

// ------------------------------------------------------------ ConnectionPool

ConnectionPool::ConnectionPool(std::string path, int busy_timeout_ms, size_t max_size)
    : path_(std::move(path)),
      busy_timeout_ms_(busy_timeout_ms),
      max_size_(max_size),
      checkpointer_(path_, busy_timeout_ms) {}

ConnectionPool::~ConnectionPool() = default;

Status ConnectionPool::Acquire(std::unique_ptr<Connection>* out) {
  {
    MutexLock lock(&mu_);
    cv_.Wait(&mu_, [&] {
      mu_.AssertHeld();
      return !idle_.empty() || open_ < max_size_;
    });
    if (!idle_.empty()) {
      *out = std::move(idle_.back());
      idle_.pop_back();
      return Status::OK();
    }
    ++open_;
  }
  // Opening happens outside the lock: it may wait on the busy timeout.
  Status s = Connection::Open(path_, busy_timeout_ms_, out);
  if (s.ok()) checkpointer_.Watch((*out)->db());
  if (!s.ok()) {
    MutexLock lock(&mu_);
    --open_;
    cv_.Signal();
  }
  return s;
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  MutexLock lock(&mu_);
  idle_.push_back(std::move(conn));
  cv_.Signal();
}

Status ConnectionPool::With(const std::function<Status(Connection&)>& fn) {
  std::unique_ptr<Connection> conn;
  Status s = Acquire(&conn);
  if (!s.ok()) return s;
  s = fn(*conn);
  Release(std::move(conn));
  return s;
}

Status ConnectionPool::WithWriter(const std::function<Status(Connection&)>& fn) {
  MutexLock lock(&write_mu_);
  return With(fn);
}

// -------------------------------------------------------------- transactions

namespace {

// How long a transaction keeps retrying SQLITE_BUSY: long enough that normal
// contention between a handful of processes never surfaces as an error, short
// enough that a database locked for good (a stuck process) is reported.
int64_t RetryBudgetMs(int busy_timeout_ms) {
  return std::max<int64_t>(int64_t{4} * busy_timeout_ms, 10'000);
}

void Backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  std::uniform_int_distribution<int> ms(1, std::min(2 + 4 * attempt, 50));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
}

Status RunTxn(ConnectionPool& pool, bool writes, const std::function<Status(Connection&)>& fn) {
  const char* begin = writes ? "BEGIN IMMEDIATE" : "BEGIN";
  const int64_t deadline = MonotonicMs() + RetryBudgetMs(pool.busy_timeout_ms());
  Status last;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    auto txn = [&](Connection& conn) -> Status {
      // Prepared once per connection (the statement cache), not parsed per
      // transaction as sqlite3_exec would.
      Status s = Stmt(conn, begin).Run();
      if (!s.ok()) return s;
      s = fn(conn);
      if (s.ok()) s = Stmt(conn, "COMMIT").Run();
      // A failed COMMIT may leave the transaction open; ROLLBACK is then
      // required before the connection is reused, and harmless otherwise.
      if (!s.ok() && !sqlite3_get_autocommit(conn.db())) (void)conn.Exec("ROLLBACK");
      return s;
    };
    last = writes ? pool.WithWriter(txn) : pool.With(txn);
    if (!last.IsUnavailable()) return last;
    // At least a few attempts even when one busy wait outlasted the budget.
    if (attempt >= 3 && MonotonicMs() > deadline) return last;
  }
}

}  // namespace

Status WriteTxn(ConnectionPool& pool, const std::function<Status(Connection&)>& fn) {
  return RunTxn(pool, /*writes=*/true, fn);
}

Status ReadTxn(ConnectionPool& pool, const std::function<Status(Connection&)>& fn) {
  return RunTxn(pool, /*writes=*/false, fn);
}

}  // namespace taskexec::sqlite
