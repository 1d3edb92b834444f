// SqliteStore: SQLite under SqlStore -- the pool, BEGIN IMMEDIATE
// transactions, the dialect, opening and migrating the file, and the
// cross-process change counter.
#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/schema.h"

namespace taskexec {

namespace {

// Enough for the engine's dispatcher, lease renewer, HTTP workers and sync to
// proceed in parallel; further callers wait for a free connection.
constexpr size_t kPoolSize = 8;

}  // namespace

const sql::Dialect& SqliteDialect() {
  static const sql::Dialect dialect{
      [](const char* index) { return std::string(" INDEXED BY ") + index; },
      // lower() folds ASCII only in SQLite (without ICU).
      [](const std::string& haystack, const std::string& needle) {
        return "instr(lower(" + haystack + "), " + needle + ") > 0";
      },
      [](const std::string& column) { return column + " COLLATE NOCASE"; },
      [](const std::string& param) { return "SELECT value FROM json_each(" + param + ")"; },
  };
  return dialect;
}

class SqliteStore::Database final : public sql::Database {
 public:
  Database(const std::string& path, int busy_timeout_ms)
      : pool_(path, busy_timeout_ms, kPoolSize) {}

  Status Write(const std::function<Status(sql::Connection&)>& fn) override {
    return sqlite::WriteTxn(pool_, [&](sqlite::Connection& c) { return fn(c); });
  }
  Status Read(const std::function<Status(sql::Connection&)>& fn) override {
    return sqlite::ReadTxn(pool_, [&](sqlite::Connection& c) { return fn(c); });
  }
  const sql::Dialect& dialect() const override { return SqliteDialect(); }

  sqlite::ConnectionPool& pool() { return pool_; }

 private:
  sqlite::ConnectionPool pool_;
};

SqliteStore::SqliteStore(std::unique_ptr<Database> db, sqlite::ConnectionPool* pool)
    : SqlStore(std::move(db)), pool_(*pool) {}

SqliteStore::~SqliteStore() = default;

Status SqliteStore::Open(const std::string& path, const StoreConfig& cfg,
                         std::unique_ptr<SqliteStore>* out) {
  if (path.empty()) return Status::InvalidArgument("store.db_path is empty");
  if (cfg.busy_timeout_ms < 0) return Status::InvalidArgument("store.busy_timeout_ms < 0");
  auto db = std::make_unique<Database>(path, cfg.busy_timeout_ms);
  sqlite::ConnectionPool* pool = &db->pool();
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db), pool));
  Status s =
      sqlite::WriteTxn(*pool, [](sqlite::Connection& c) { return sqlite::ApplyMigrations(c); });
  if (!s.ok()) return s;
  {
    MutexLock lock(&store->watch_mu_);
    s = sqlite::Connection::Open(path, cfg.busy_timeout_ms, &store->watch_);
  }
  if (!s.ok()) return s;
  *out = std::move(store);
  return Status::OK();
}

Status SqliteStore::SchemaVersion(int* out) {
  return pool_.With([&](sqlite::Connection& c) { return sqlite::ReadSchemaVersion(c, out); });
}

Status SqliteStore::ChangeCounter(int64_t* out) {
  MutexLock lock(&watch_mu_);
  sqlite::Stmt q(*watch_, "PRAGMA data_version");
  bool row = false;
  Status s = q.Step(&row);
  if (!s.ok()) return s;
  if (!row) return Status::Internal("PRAGMA data_version returned no row");
  *out = q.Int(0);
  return Status::OK();
}

}  // namespace taskexec
