// SqliteStore: opening, and the read-only queries. Reads run in a (deferred)
// read transaction so that a rare SQLITE_BUSY is retried like a write's. The writes live in
// sqlite_store_tasks.cc (people's edits) and sqlite_store_attempts.cc (the
// executor's claim -> run -> finish path).
#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_rows.h"

namespace taskexec {

using sqlite::Connection;
using sqlite::ReadTxn;
using sqlite::Stmt;
using sqlite::WriteTxn;

namespace {

// Enough for the engine's dispatcher, lease renewer, HTTP workers and sync to
// proceed in parallel; further callers wait for a free connection.
constexpr size_t kPoolSize = 8;

using sqlite::kStatusExpr;

// ListRunnable's statement (?1 now, ?2 only_requested, ?3 limit). The engine
// asks after every finished attempt, so it must not sort the queue: each
// branch walks one index range (tasks_requested, or tasks_dispatch with an
// equality on the status expression, whose order is the queue order) and
// stops after `limit` rows; only those few rows are merged. A task with an
// execution request is due regardless of next_attempt_at. The expressions
// match the index's text on purpose: SQLite matches expression indexes by it.
std::string RunnableSql() {
  auto queued = [](const std::string& status) {
    return "SELECT * FROM (SELECT rowid AS rid, 0 AS req, * FROM tasks WHERE " +
           std::string(kStatusExpr) + " = '" + status +
           "' AND open_dependencies = 0 AND ?2 = 0 AND COALESCE(requested_execution_id, '') = '' "
           "AND COALESCE(cancel_requested, 0) = 0 AND COALESCE(next_attempt_at, 0) <= ?1 "
           "ORDER BY COALESCE(priority_weight, 2) DESC, created_at, rowid LIMIT ?3)";
  };
  return sqlite::SelectTaskColumns() +
         "FROM (SELECT rowid AS rid, 1 AS req, * FROM tasks INDEXED BY tasks_requested " +
         "WHERE requested_execution_id <> '' AND " + kStatusExpr +
         " IN ('pending', 'retrying') AND open_dependencies = 0 "
         "AND COALESCE(cancel_requested, 0) = 0 UNION ALL " +
         queued("pending") + " UNION ALL " + queued("retrying") +
         ") ORDER BY req DESC, COALESCE(priority_weight, 2) DESC, created_at, rid LIMIT ?3";
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, const StoreConfig& cfg)
    : pool_(path, cfg.busy_timeout_ms, kPoolSize) {}

SqliteStore::~SqliteStore() = default;

Status SqliteStore::Open(const std::string& path, const StoreConfig& cfg,
                         std::unique_ptr<SqliteStore>* out) {
  if (path.empty()) return Status::InvalidArgument("store.db_path is empty");
  if (cfg.busy_timeout_ms < 0) return Status::InvalidArgument("store.busy_timeout_ms < 0");
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, cfg));
  Status s = WriteTxn(store->pool_, [](Connection& c) { return sqlite::ApplyMigrations(c); });
  if (!s.ok()) return s;
  {
    MutexLock lock(&store->watch_mu_);
    s = Connection::Open(path, cfg.busy_timeout_ms, &store->watch_);
  }
  if (!s.ok()) return s;
  *out = std::move(store);
  return Status::OK();
}

Status SqliteStore::SchemaVersion(int* out) {
  return pool_.With([&](Connection& c) { return sqlite::ReadSchemaVersion(c, out); });
}

Status SqliteStore::ChangeCounter(int64_t* out) {
  MutexLock lock(&watch_mu_);
  Stmt q(*watch_, "PRAGMA data_version");
  bool row = false;
  Status s = q.Step(&row);
  if (!s.ok()) return s;
  if (!row) return Status::Internal("PRAGMA data_version returned no row");
  *out = q.Int(0);
  return Status::OK();
}

Status SqliteStore::GetTask(const std::string& id, Task* out) {
  return ReadTxn(pool_, [&](Connection& c) { return sqlite::LoadTask(c, id, out); });
}

Status SqliteStore::FindByNotionPage(const std::string& page_id, Task* out) {
  if (page_id.empty()) return Status::NotFound("empty notion page id");
  return ReadTxn(pool_, [&](Connection& c) -> Status {
    Stmt q(c, sqlite::SelectTask() + "WHERE notion_page_id = ? LIMIT 1");
    q.BindAll(page_id);
    bool row = false;
    Status s = q.Step(&row);
    if (!s.ok()) return s;
    if (!row) return Status::NotFound("no task for notion page " + page_id);
    return sqlite::ReadTask(q, out);
  });
}

Status SqliteStore::ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) {
  static const std::string kSql = sqlite::SelectTask() +
                                  "WHERE (updated_at, id) > (?1, ?2) "
                                  "ORDER BY updated_at, id LIMIT ?3";
  if (limit <= 0) return Status::InvalidArgument("change feed: limit must be positive");
  return ReadTxn(pool_, [&](Connection& c) -> Status {
    Stmt q(c, kSql);
    q.BindAll(after.updated_at, after.id, int64_t{limit});
    return sqlite::CollectTasks(q, out);
  });
}

Status SqliteStore::ListRunnable(TimeMs now, int limit, bool only_requested,
                                 std::vector<Task>* out) {
  static const std::string kSql = RunnableSql();
  const int64_t lim = limit > 0 ? limit : -1;
  return ReadTxn(pool_, [&](Connection& c) {
    Stmt q(c, kSql);
    q.BindAll(now, only_requested, lim);
    return sqlite::CollectTasks(q, out);
  });
}

Status SqliteStore::ListExpiredLeases(TimeMs now, std::vector<Task>* out) {
  return ReadTxn(pool_, [&](Connection& c) {
    Stmt q(c, sqlite::SelectTask() +
                  "WHERE status IN ('assigned', 'claimed', 'in_progress') "
                  "AND COALESCE(lease_expires_at, 0) < ? ORDER BY lease_expires_at, rowid");
    q.BindAll(now);
    return sqlite::CollectTasks(q, out);
  });
}

Status SqliteStore::ListCancelRequests(const std::string& executor_id,
                                       std::vector<std::string>* task_ids) {
  return ReadTxn(pool_, [&](Connection& c) -> Status {
    Stmt q(c,
           "SELECT id FROM tasks WHERE lease_owner = ? AND cancel_requested <> 0 "
           "AND status IN ('assigned', 'claimed', 'in_progress') ORDER BY rowid");
    q.BindAll(executor_id);
    task_ids->clear();
    for (;;) {
      bool row = false;
      Status s = q.Step(&row);
      if (!s.ok() || !row) return s;
      task_ids->push_back(q.Text(0));
    }
  });
}

Status SqliteStore::GetExecution(const std::string& id, SessionExecution* out) {
  return ReadTxn(pool_, [&](Connection& c) { return sqlite::LoadExecution(c, id, out); });
}

Status SqliteStore::ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) {
  return ReadTxn(pool_, [&](Connection& c) {
    Stmt q(c, sqlite::SelectExecution() + "WHERE task_id = ? ORDER BY attempt, started_at, rowid");
    q.BindAll(task_id);
    return sqlite::CollectExecutions(q, out);
  });
}

Status SqliteStore::ListActiveExecutions(std::vector<SessionExecution>* out) {
  return ReadTxn(pool_, [&](Connection& c) {
    Stmt q(c, sqlite::SelectExecution() + "WHERE " + sqlite::kExecutionIsActive +
                  " ORDER BY started_at, rowid");
    return sqlite::CollectExecutions(q, out);
  });
}

Status SqliteStore::ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) {
  return ReadTxn(pool_, [&](Connection& c) {
    Stmt q(c, sqlite::SelectArtifact() + "WHERE task_id = ? ORDER BY created_at, rowid");
    q.BindAll(task_id);
    return sqlite::CollectArtifacts(q, out);
  });
}

namespace {

Status CountGroups(Connection& c, const std::string& sql, std::map<std::string, int64_t>* out) {
  Stmt q(c, sql);
  out->clear();
  for (;;) {
    bool row = false;
    Status s = q.Step(&row);
    if (!s.ok() || !row) return s;
    (*out)[q.Text(0)] = q.Int(1);
  }
}

}  // namespace

Status SqliteStore::GetStats(StoreStats* out) {
  // One read transaction, so the three counts describe the same moment.
  return ReadTxn(pool_, [&](Connection& c) -> Status {
    // task_counts is kept by triggers (schema v5): no scan of the tasks.
    Status s = CountGroups(
        c, "SELECT status, SUM(n) FROM task_counts GROUP BY 1 HAVING SUM(n) <> 0", &out->by_status);
    if (!s.ok()) return s;
    s = CountGroups(c, "SELECT agent, SUM(n) FROM task_counts GROUP BY 1 HAVING SUM(n) <> 0",
                    &out->by_agent);
    if (!s.ok()) return s;
    Stmt q(c, std::string("SELECT COUNT(*) FROM executions WHERE ") + sqlite::kExecutionIsActive);
    bool row = false;
    s = q.Step(&row);
    if (!s.ok()) return s;
    out->active_executions = row ? q.Int(0) : 0;
    return Status::OK();
  });
}

Status SqliteStore::CostByAgentSince(TimeMs since, std::map<std::string, double>* out) {
  return ReadTxn(pool_, [&](Connection& c) -> Status {
    // executions_ended (schema v13): the day's attempts, not every one.
    Stmt q(c,
           "SELECT agent, SUM(cost_usd) FROM executions "
           "WHERE ended_at >= ? AND ended_at > 0 AND cost_usd IS NOT NULL GROUP BY agent");
    q.BindAll(since);
    out->clear();
    for (;;) {
      bool row = false;
      Status s = q.Step(&row);
      if (!s.ok() || !row) return s;
      (*out)[q.Text(0)] = q.Real(1);
    }
  });
}

namespace {

// The meta row of `key` inside the caller's transaction; NotFound if unset.
Status ReadMetaRow(Connection& c, const std::string& key, std::string* value) {
  Stmt q(c, "SELECT value FROM meta WHERE key = ?");
  q.BindAll(key);
  bool row = false;
  Status s = q.Step(&row);
  if (!s.ok()) return s;
  if (!row) return Status::NotFound("meta key " + key + " not set");
  *value = q.Text(0);
  return Status::OK();
}

Status WriteMetaRow(Connection& c, const std::string& key, const std::string& value) {
  Stmt q(c,
         "INSERT INTO meta (key, value) VALUES (?, ?) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  q.BindAll(key, value);
  return q.Run();
}

}  // namespace

Status SqliteStore::GetMeta(const std::string& key, std::string* value) {
  return ReadTxn(pool_, [&](Connection& c) { return ReadMetaRow(c, key, value); });
}

Status SqliteStore::SetMeta(const std::string& key, const std::string& value) {
  return WriteTxn(pool_, [&](Connection& c) { return WriteMetaRow(c, key, value); });
}

Status SqliteStore::UpdateMeta(const std::string& key, const MetaUpdate& update,
                               std::string* value) {
  // BEGIN IMMEDIATE: the read and the write hold the database's write lock,
  // so no other process or thread updates the key in between.
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    std::string old;
    Status s = ReadMetaRow(c, key, &old);
    if (!s.ok() && !s.IsNotFound()) return s;
    const std::string next = update(s.ok() ? &old : nullptr);
    s = WriteMetaRow(c, key, next);
    if (s.ok()) *value = next;
    return s;
  });
}

}  // namespace taskexec
