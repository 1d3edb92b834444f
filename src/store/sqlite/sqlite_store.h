// SqliteStore: the embedded TaskStore backend, one SQLite file in WAL mode:
// SqlStore (store/sql) over SQLite.
//
// Several processes (each with its own SqliteStore) and several threads may
// share one database file. Every read-modify-write runs in a BEGIN IMMEDIATE
// transaction: SQLite grants its single write lock before the transaction
// reads anything, so the checks (version, status, lease owner) and the write
// that follows see the latest committed state and no other writer, in any
// process, can slip in between. SQLITE_BUSY is absorbed by the busy timeout
// plus a bounded retry of the whole transaction; it surfaces (as
// Unavailable) only when the database stays locked for many busy-timeout
// periods. Counts come from task_counts, kept by triggers (schema v5).
//
// Thread-safety: all methods are safe from any thread. Operations borrow a
// connection from a small mutex-protected pool (one connection per
// concurrent operation); ChangeCounter uses its own dedicated connection.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/mutex.h"
#include "store/sql/sql_store.h"
#include "store/sqlite/sqlite_db.h"

namespace taskexec {

// How SQLite spells what the two SQL engines spell differently (for the
// store, and for tests that ask SQLite how it plans the store's statements).
const sql::Dialect& SqliteDialect();

class SqliteStore final : public SqlStore {
 public:
  // Opens (creating if needed) the database at `path`, switches it to WAL and
  // applies pending schema migrations. cfg.busy_timeout_ms bounds each wait
  // for another writer; cfg.db_path is ignored in favour of `path`.
  static Status Open(const std::string& path, const StoreConfig& cfg,
                     std::unique_ptr<SqliteStore>* out);
  ~SqliteStore() override;

  // PRAGMA data_version of a connection that never writes: it changes
  // whenever any connection, in this process or another, commits.
  Status ChangeCounter(int64_t* out) override;

  // The schema version of the open database (for diagnostics and tests).
  Status SchemaVersion(int* out);

 private:
  class Database;
  SqliteStore(std::unique_ptr<Database> db, sqlite::ConnectionPool* pool);

  sqlite::ConnectionPool& pool_;  // owned by the Database
  Mutex watch_mu_;
  std::unique_ptr<sqlite::Connection> watch_ GUARDED_BY(watch_mu_);
};

}  // namespace taskexec
