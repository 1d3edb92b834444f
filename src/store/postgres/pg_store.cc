// PgStore: PostgreSQL under SqlStore -- the pool, SERIALIZABLE
// transactions, the dialect, and opening (server check, migrations).
#include "store/postgres/pg_store.h"

#include "store/postgres/pg_count_folder.h"
#include "store/postgres/pg_schema.h"
#include "store/store_factory.h"

namespace taskexec {

namespace {

// PostgreSQL 13 brought pg_current_xact_id and pg_xact_status, which
// resolve a COMMIT that got no answer (pg_db.h).
constexpr int kMinServerVersion = 130000;

const sql::Dialect& PgDialect() {
  static const sql::Dialect dialect{
      [](const char*) { return std::string(); },
      // Columns are COLLATE "C": lower() folds ASCII letters only.
      [](const std::string& haystack, const std::string& needle) {
        return "strpos(lower(" + haystack + "), " + needle + ") > 0";
      },
      [](const std::string& column) { return "lower(" + column + ")"; },
      [](const std::string& param) {
        return "SELECT json_array_elements_text(CAST(" + param + " AS json))";
      },
  };
  return dialect;
}

std::string VersionText(int v) {
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

}  // namespace

class PgStore::Database final : public sql::Database {
 public:
  explicit Database(const PgStoreOptions& o)
      : pool_(o.connect, static_cast<size_t>(std::max(1, o.pool_size))),
        retry_budget_ms_(o.retry_budget_ms),
        folder_(pool_, o.fold_interval_ms) {}

  Status Write(const std::function<Status(sql::Connection&)>& fn) override {
    Status s = pg::WriteTxn(pool_, retry_budget_ms_, [&](pg::Connection& c) { return fn(c); });
    if (s.ok()) folder_.Wrote();
    return s;
  }
  Status Read(const std::function<Status(sql::Connection&)>& fn) override {
    return pg::ReadTxn(pool_, retry_budget_ms_, [&](pg::Connection& c) { return fn(c); });
  }
  const sql::Dialect& dialect() const override { return PgDialect(); }

  pg::ConnectionPool& pool() { return pool_; }
  pg::CountFolder& folder() { return folder_; }

 private:
  pg::ConnectionPool pool_;
  const int64_t retry_budget_ms_;
  pg::CountFolder folder_;  // after pool_: stopped before the pool closes
};

PgStore::PgStore(std::unique_ptr<Database> db, Database* raw, const pg::ConnectParams& connect)
    : SqlStore(std::move(db)),
      db_(*raw),
      listener_(connect, [this](int pid) { return db_.pool().OwnsBackend(pid); }) {}

PgStore::~PgStore() = default;

Status PgStore::Open(const PgStoreOptions& options, std::unique_ptr<PgStore>* out) {
  if (options.connect.conninfo.empty()) return Status::InvalidArgument("postgres.url is empty");
  auto db = std::make_unique<Database>(options);
  Database* raw = db.get();
  std::unique_ptr<PgStore> store(new PgStore(std::move(db), raw, options.connect));
  Status s = raw->pool().With([](pg::Connection& c) -> Status {
    if (c.ServerVersion() < kMinServerVersion) {
      return Status::InvalidArgument("PostgreSQL " + VersionText(c.ServerVersion()) +
                                     " is too old: taskexec needs 13 or later");
    }
    return pg::ApplyMigrations(c);
  });
  if (!s.ok()) return s;
  *out = std::move(store);
  return Status::OK();
}

Status PgStore::ChangeCounter(int64_t* out) {
  if (Status s = listener_.Start(); !s.ok()) return s;
  return listener_.Counter(out);
}

std::unique_ptr<ChangeSubscription> PgStore::SubscribeToChanges(std::function<void()> on_change) {
  // Subscribed even when the first connection failed: the listener keeps
  // trying, and calls on_change once it hears again.
  (void)listener_.Start();
  return listener_.Subscribe(std::move(on_change));
}

Status PgStore::FoldCounts(int64_t* rows_folded) { return db_.folder().FoldNow(rows_folded); }

Status PgStore::SchemaVersion(int* out) {
  return db_.pool().With([&](pg::Connection& c) { return pg::ReadSchemaVersion(c, out); });
}

Status PgStore::ServerVersion(std::string* out) {
  return db_.pool().With([&](pg::Connection& c) -> Status {
    *out = VersionText(c.ServerVersion());
    return Status::OK();
  });
}

PgStoreOptions PgStore::OptionsFrom(const Config& cfg) {
  PgStoreOptions o;
  o.connect.conninfo = cfg.postgres.url;
  o.connect.password = cfg.postgres.password;
  o.connect.connect_timeout_s = cfg.postgres.connect_timeout_seconds;
  o.pool_size = cfg.postgres.pool_size;
  o.retry_budget_ms = int64_t{cfg.postgres.retry_seconds} * 1000;
  return o;
}

namespace {

Status OpenPostgresStore(const Config& cfg, std::unique_ptr<TaskStore>* out) {
  std::unique_ptr<PgStore> store;
  if (Status s = PgStore::Open(PgStore::OptionsFrom(cfg), &store); !s.ok()) return s;
  *out = std::move(store);
  return Status::OK();
}

}  // namespace

void RegisterPostgresStore() { SetPostgresStoreOpener(&OpenPostgresStore); }

}  // namespace taskexec
