// Thin RAII wrappers over libpq used by the PostgreSQL store: a Connection
// (one PGconn, its prepared statements; statements on it are sql::Stmt,
// store/sql/sql_db.h), a ConnectionPool and the transaction helpers that
// retry what PostgreSQL asks to be retried.
//
// Statements are written with SQLite's placeholders, `?` and `?N`, and sent
// as $N; each distinct statement is prepared once per connection (PQprepare)
// and then only executed. Strings go through pg_text.h, so any byte string
// round trips.
//
// Error mapping (by SQLSTATE): serialization failure and deadlock (40001,
// 40P01), a lost or refused connection (class 08, 57P0x, 53300) ->
// Unavailable, which the transaction helpers retry; integrity violations
// (class 23) -> Conflict; data exceptions (class 22) -> InvalidArgument;
// insufficient resources (53100 disk full, ...) -> IOError; data
// corruption (XX001, XX002) -> Corruption; anything else -> Internal.
// Messages carry the server's message and never the connection string, so a
// password in it is never logged.
//
// Thread-safety: a Connection and its statements belong to one thread at a
// time.
// ConnectionPool and the transaction helpers are safe from any thread.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "store/sql/sql_db.h"

namespace taskexec::pg {

// The Status for a failed result (`res` may be null: the connection broke).
Status FromResult(const PGresult* res, PGconn* conn, std::string_view what);

// SQLite's `?` and `?N` placeholders as PostgreSQL's $N (a bare `?` is one
// more than the largest number so far, as in SQLite); quoted text and
// identifiers are left alone. *count gets the largest number.
std::string TranslatePlaceholders(std::string_view sql, int* count);

// Where and how to connect.
struct ConnectParams {
  // A postgresql:// URI or key=value pairs; every libpq option in it is
  // honoured.
  std::string conninfo;
  // When not empty, used instead of a password in conninfo (which then
  // need not carry one).
  std::string password;
  // Bounds each connection attempt unless conninfo sets connect_timeout.
  int connect_timeout_s = 5;
};

class Connection final : public sql::Connection {
 public:
  static Status Open(const ConnectParams& params, std::unique_ptr<Connection>* out);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() const { return conn_; }
  // Runs parameterless SQL (may hold several statements).
  Status Exec(std::string_view sql) override;
  // A statement on this connection, for sql::Stmt (store/sql).
  std::unique_ptr<sql::StatementImpl> NewStatement(std::string_view sql) override;
  // Like Exec; *value gets the first column of the last statement's first
  // row ("" when it returned none).
  Status ExecValue(std::string_view sql, std::string* value);
  // True once the server closed the connection or it failed: the pool then
  // drops it rather than hand it out again.
  bool Broken() const;
  // True while a transaction is open (or failed and not yet rolled back).
  bool InTransaction() const;
  // The server's version number (150004 for 15.4).
  int ServerVersion() const;

  // The name of `sql`'s prepared statement on this connection, preparing it
  // the first time.
  Status Prepare(const std::string& sql, std::string* name);

  // Opens a transaction with `begin` (a parameterless BEGIN ...) when the
  // first statement runs, in the same round trip (pipeline mode); with
  // `xid`, that round trip also reads the transaction's id into *xid. A
  // transaction that runs no statement never opens. Exec and ExecValue send
  // a deferred BEGIN on its own first.
  void DeferBegin(std::string begin, std::string* xid);
  // True while a deferred BEGIN has not been sent; Forget drops it.
  bool BeginDeferred() const { return !deferred_begin_.empty(); }
  void ForgetDeferredBegin();
  // Runs prepared statement `name` with `values`, preceded by the deferred
  // BEGIN (and id read) when there is one; *res gets the statement's result
  // when there is one (the caller PQclears it). Errors name `what`.
  Status ExecPrepared(const std::string& name, const std::vector<const char*>& values,
                      std::string_view what, PGresult** res);

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Status SendDeferredBegin();
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;
  std::string deferred_begin_;
  std::string* deferred_xid_ = nullptr;
};

// A bounded set of connections. Acquire() blocks while all `max_size` are in
// use; connections open lazily and one that broke is dropped, not reused.
class ConnectionPool {
 public:
  ConnectionPool(ConnectParams params, size_t max_size);
  ~ConnectionPool();

  // Runs fn with a connection no other thread uses for the duration.
  Status With(const std::function<Status(Connection&)>& fn) EXCLUDES(mu_);

  // True when `backend_pid` is the server process of one of this pool's
  // open connections (a notification this pool's own write sent).
  bool OwnsBackend(int backend_pid) const EXCLUDES(mu_);

 private:
  Status Acquire(std::unique_ptr<Connection>* out) EXCLUDES(mu_);
  void Release(std::unique_ptr<Connection> conn) EXCLUDES(mu_);

  const ConnectParams params_;
  const size_t max_size_;
  mutable Mutex mu_;
  CondVar cv_;
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mu_);
  std::multiset<int> backend_pids_ GUARDED_BY(mu_);  // of the open connections
  size_t open_ GUARDED_BY(mu_) = 0;                  // connections in use or idle
};

// Runs fn inside a SERIALIZABLE transaction: PostgreSQL then guarantees the
// result of running concurrent transactions one after the other, failing
// (40001) any transaction that would break that, so a read-modify-write
// in fn is exactly as safe as under SQLite's single writer. A serialization
// failure, a deadlock or a lost connection retries the whole transaction,
// with a short random back-off, for up to `retry_budget_ms`; fn must
// therefore only have effects through the database and its out parameters
// (which it must overwrite, not append to). A connection lost during COMMIT
// leaves the outcome unknown: the transaction's id, read when it began, is
// looked up on a new connection (pg_xact_status), and the transaction is
// retried only if it did not commit.
Status WriteTxn(ConnectionPool& pool, int64_t retry_budget_ms,
                const std::function<Status(Connection&)>& fn);

// fn sees one snapshot (REPEATABLE READ, READ ONLY) across its statements.
Status ReadTxn(ConnectionPool& pool, int64_t retry_budget_ms,
               const std::function<Status(Connection&)>& fn);

}  // namespace taskexec::pg
