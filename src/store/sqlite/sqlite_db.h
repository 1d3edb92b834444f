// Thin RAII wrappers over the SQLite C API used by SqliteStore: a Connection
// (one sqlite3 handle, configured for WAL and a busy timeout), a Stmt (one
// prepared statement with typed binding), a ConnectionPool and the
// transaction helpers that retry on SQLITE_BUSY.
//
// Error mapping: SQLITE_BUSY/SQLITE_LOCKED -> Unavailable (retried by the
// transaction helpers), SQLITE_CONSTRAINT -> Conflict, SQLITE_CORRUPT/NOTADB
// -> Corruption, SQLITE_IOERR/CANTOPEN/FULL -> IOError, others -> Internal.
//
// Thread-safety: a Connection and its Stmts belong to one thread at a time
// (connections are opened with SQLITE_OPEN_NOMUTEX). ConnectionPool is safe
// from any thread: it hands each caller a connection nobody else uses.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "store/sql/sql_db.h"
#include "store/sqlite/wal_checkpointer.h"

namespace taskexec::sqlite {

// Maps an SQLite result code (and the connection's message) to a Status.
Status FromSqlite(int rc, sqlite3* db, std::string_view what);

class Connection final : public sql::Connection {
 public:
  // Opens (creating if needed) `path` and applies the per-connection pragmas:
  // WAL journal, synchronous=NORMAL, foreign_keys=ON, busy timeout.
  static Status Open(const std::string& path, int busy_timeout_ms,
                     std::unique_ptr<Connection>* out);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  // Runs parameterless SQL (may hold several statements).
  Status Exec(std::string_view sql) override;
  // A Stmt behind the engine-neutral interface (store/sql).
  std::unique_ptr<sql::StatementImpl> NewStatement(std::string_view sql) override;

  // Prepared statements are kept per connection and reused: parsing and
  // planning the same SQL again on every call was a large share of a task's
  // cost. Only one thread uses a connection at a time (see ConnectionPool),
  // so the cache needs no lock.
  sqlite3_stmt* TakeCached(const std::string& sql) const;
  void ReturnToCache(std::string sql, sqlite3_stmt* stmt) const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  static constexpr size_t kMaxCachedStatements = 64;
  mutable std::vector<std::pair<std::string, sqlite3_stmt*>> cache_;
};

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// One prepared statement. Binding is positional (1-based) and records the
// first error, returned by the next Step()/Run().
class Stmt {
 public:
  Stmt(const Connection& conn, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds each argument in order starting at parameter 1. Strings are bound
  // with their length, so any byte sequence (invalid UTF-8 included) round
  // trips; std::nullopt and nullptr bind NULL.
  template <typename... Args>
  Stmt& BindAll(const Args&... args) {
    int i = 1;
    (BindOne(i++, args), ...);
    return *this;
  }
  template <typename T>
  void BindOne(int i, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      Check(sqlite3_bind_int(stmt_, i, v ? 1 : 0));
    } else if constexpr (std::is_integral_v<T>) {
      Check(sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v)));
    } else if constexpr (std::is_floating_point_v<T>) {
      Check(sqlite3_bind_double(stmt_, i, static_cast<double>(v)));
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      Check(sqlite3_bind_null(stmt_, i));
    } else if constexpr (IsOptional<T>::value) {
      if (v) {
        BindOne(i, *v);
      } else {
        Check(sqlite3_bind_null(stmt_, i));
      }
    } else {
      BindText(i, std::string_view(v));
    }
  }

  // Advances; *row is true while a result row is available.
  Status Step(bool* row);
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Status Run();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;  // byte-exact, "" for NULL

 private:
  void BindText(int i, std::string_view s);
  void Check(int rc);
  const Connection& conn_;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
  std::string sql_;
};

// A bounded set of connections to one database file. Acquire() blocks while
// all `max_size` connections are in use. Connections are opened lazily.
class ConnectionPool {
 public:
  ConnectionPool(std::string path, int busy_timeout_ms, size_t max_size);
  ~ConnectionPool();

  // Runs fn with a connection no other thread uses for the duration.
  Status With(const std::function<Status(Connection&)>& fn);
  // Like With, and no other thread of this process is inside WithWriter
  // meanwhile. SQLite lets one writer at a time hold a database; a second
  // writer in the same process would otherwise wait in SQLite's busy
  // handler, which sleeps (1 ms, 2 ms, 5 ms ... 100 ms) instead of waking
  // when the lock is free: here it waits on a mutex and starts the moment
  // the first commits. Writers in other processes still meet the busy
  // timeout. fn must not call WithWriter again (it would wait for itself).
  Status WithWriter(const std::function<Status(Connection&)>& fn) EXCLUDES(write_mu_);

  int busy_timeout_ms() const { return busy_timeout_ms_; }
  const WalCheckpointer& checkpointer() const { return checkpointer_; }

 private:
  Status Acquire(std::unique_ptr<Connection>* out);
  void Release(std::unique_ptr<Connection> conn);

  const std::string path_;
  const int busy_timeout_ms_;
  const size_t max_size_;
  // Declared before the connections, so it outlives them: each reports its
  // commits to it.
  WalCheckpointer checkpointer_;
  Mutex write_mu_ ACQUIRED_BEFORE(mu_);  // held through one write transaction
  Mutex mu_;
  CondVar cv_;
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mu_);
  size_t open_ GUARDED_BY(mu_) = 0;  // connections in use or idle
};

// Runs fn inside BEGIN IMMEDIATE ... COMMIT, so the write lock is taken
// before anything is read and a read-modify-write cannot interleave with any
// other writer, in this process or another. fn returning non-OK rolls back
// and that status is returned. SQLITE_BUSY (after the busy timeout) retries
// the whole transaction, with a short random back-off, for up to
// max(4 x busy timeout, 10 s) before Unavailable is returned; fn must
// therefore only have effects through the database and its out parameters
// (which it must overwrite, not append to).
Status WriteTxn(ConnectionPool& pool, const std::function<Status(Connection&)>& fn);

// Like WriteTxn with a deferred (read) transaction: fn sees one consistent
// snapshot across several statements.
Status ReadTxn(ConnectionPool& pool, const std::function<Status(Connection&)>& fn);

}  // namespace taskexec::sqlite
