// PgStore: the PostgreSQL TaskStore backend, for boards that many services
// on many hosts share: SqlStore (store/sql) over libpq.
//
// Every read-modify-write runs SERIALIZABLE (pg_db.h's WriteTxn): PostgreSQL
// guarantees the outcome of running the concurrent transactions one after
// the other, and fails (40001) the one that would break that, which is then
// run again from its first read. A claim is therefore the same
// compare-and-set on the task's version as on SQLite, whichever host makes
// it, and the lease fences every write made for an attempt. A dropped
// connection or a restarting server is retried (with back-off, within
// retry_budget_ms) on a new connection; a COMMIT that got no answer is
// looked up by its transaction id instead of being run twice.
//
// The schema (pg_schema.h) is migrated by Open under an advisory lock, so
// services starting together apply each migration once. Counts (GetStats,
// CountTasks) read task_counts, where triggers append each change's delta
// rather than update a shared counter row (which would make every
// concurrent write conflict); a CountFolder sums them back, so a read costs
// the number of groups, not of tasks.
//
// Thread-safety: all methods are safe from any thread; each operation
// borrows one of pool_size connections.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_listener.h"
#include "store/sql/sql_store.h"

namespace taskexec {

struct PgStoreOptions {
  // conninfo: every libpq option in it (sslmode, sslrootcert,
  // options=-csearch_path=..., ...) is honoured.
  pg::ConnectParams connect;
  int pool_size = 8;  // connections at most, opened on demand
  // How long a transaction keeps retrying serialization failures and lost
  // connections before it reports Unavailable.
  int64_t retry_budget_ms = 30'000;
  // How often, at most, the appended count deltas are folded
  // (pg_count_folder.h).
  int64_t fold_interval_ms = 1'000;
};

class PgStore final : public SqlStore {
 public:
  // The options config (postgres.*) describes.
  static PgStoreOptions OptionsFrom(const Config& cfg);
  // Connects, checks the server (PostgreSQL 13 or later: pg_xact_status on
  // xid8) and applies pending migrations.
  static Status Open(const PgStoreOptions& options, std::unique_ptr<PgStore>* out);
  ~PgStore() override;

  // Changes pushed by the server (LISTEN/NOTIFY, pg_listener.h): the
  // counter moves on every task write, this store's own included; the
  // subscribers hear of the writes of other processes and hosts (this
  // store's own writes its caller already knows of). The listener starts
  // with the first call of either, on a connection of its own.
  Status ChangeCounter(int64_t* out) override;
  std::unique_ptr<ChangeSubscription> SubscribeToChanges(std::function<void()> on_change) override;

  // Folds the count deltas now (the folder does it within a second of a
  // write); *rows_folded (may be null) gets how many rows it summed away.
  Status FoldCounts(int64_t* rows_folded = nullptr);

  // The applied schema version, and the server's version ("15.4").
  Status SchemaVersion(int* out);
  Status ServerVersion(std::string* out);

 private:
  class Database;
  PgStore(std::unique_ptr<Database> db, Database* raw, const pg::ConnectParams& connect);

  Database& db_;  // owned by SqlStore
  pg::ChangeListener listener_;
};

// Installs OpenStore's "postgres" backend (store/store_factory.h).
void RegisterPostgresStore();

}  // namespace taskexec
