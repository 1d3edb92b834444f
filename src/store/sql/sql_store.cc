// SqlStore: construction, and the read-only queries. Reads run in a read
// transaction so that one the engine asks to retry is retried like a
// write. The writes live in sql_store_tasks.cc (people's edits) and
// sql_store_attempts.cc (the executor's claim -> run -> finish path).
#include "store/sql/sql_store.h"

#include <limits>

#include "store/sql/queue_statements.h"
#include "store/sql/sql_rows.h"

namespace taskexec {

using sql::Connection;
using sql::Stmt;

SqlStore::SqlStore(std::unique_ptr<sql::Database> db)
    : db_(std::move(db)),
      runnable_sql_(sql::RunnableStatement(db_->dialect())),
      runnable_for_sql_(sql::RunnableForStatement(db_->dialect())) {}

SqlStore::~SqlStore() = default;

Status SqlStore::GetTask(const std::string& id, Task* out) {
  return db_->Read([&](Connection& c) { return sql::LoadTask(c, id, out); });
}

Status SqlStore::FindByNotionPage(const std::string& page_id, Task* out) {
  if (page_id.empty()) return Status::NotFound("empty notion page id");
  return db_->Read([&](Connection& c) -> Status {
    Stmt q(c, sql::SelectTask() + "WHERE notion_page_id = ? LIMIT 1");
    q.BindAll(page_id);
    bool row = false;
    Status s = q.Step(&row);
    if (!s.ok()) return s;
    if (!row) return Status::NotFound("no task for notion page " + page_id);
    return sql::ReadTask(q, out);
  });
}

Status SqlStore::ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) {
  static const std::string kSql = sql::SelectTask() +
                                  "WHERE (updated_at, id) > (?1, ?2) "
                                  "ORDER BY updated_at, id LIMIT ?3";
  if (limit <= 0) return Status::InvalidArgument("change feed: limit must be positive");
  return db_->Read([&](Connection& c) -> Status {
    Stmt q(c, kSql);
    q.BindAll(after.updated_at, after.id, int64_t{limit});
    return sql::CollectTasks(q, out);
  });
}

Status SqlStore::RunnableIn(Connection& c, TimeMs now, int64_t limit, bool only_requested,
                            std::vector<Task>* out) const {
  Stmt q(c, runnable_sql_);
  q.BindAll(now, only_requested, limit);
  return sql::CollectTasks(q, out);
}

Status SqlStore::ListRunnable(TimeMs now, int limit, bool only_requested, std::vector<Task>* out) {
  const int64_t lim = limit > 0 ? limit : std::numeric_limits<int64_t>::max();
  return db_->Read([&](Connection& c) { return RunnableIn(c, now, lim, only_requested, out); });
}

Status SqlStore::ListExpiredLeases(TimeMs now, std::vector<Task>* out) {
  return db_->Read([&](Connection& c) {
    // The status expression, so an index of it (tasks_status_created) finds
    // the held tasks.
    Stmt q(c, sql::SelectTask() + "WHERE " + sql::kStatusExpr +
                  " IN ('assigned', 'claimed', 'in_progress') "
                  "AND COALESCE(lease_expires_at, 0) < ? ORDER BY lease_expires_at, rowid");
    q.BindAll(now);
    return sql::CollectTasks(q, out);
  });
}

Status SqlStore::ListCancelRequests(const std::string& executor_id,
                                    std::vector<std::string>* task_ids) {
  return db_->Read([&](Connection& c) -> Status {
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

Status SqlStore::GetExecution(const std::string& id, SessionExecution* out) {
  return db_->Read([&](Connection& c) { return sql::LoadExecution(c, id, out); });
}

Status SqlStore::ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) {
  return db_->Read([&](Connection& c) {
    Stmt q(c, sql::SelectExecution() + "WHERE task_id = ? ORDER BY attempt, started_at, rowid");
    q.BindAll(task_id);
    return sql::CollectExecutions(q, out);
  });
}

Status SqlStore::ListActiveExecutions(std::vector<SessionExecution>* out) {
  return db_->Read([&](Connection& c) {
    Stmt q(c, sql::SelectExecution() + "WHERE " + sql::kExecutionIsActive +
                  " ORDER BY started_at, rowid");
    return sql::CollectExecutions(q, out);
  });
}

Status SqlStore::ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) {
  return db_->Read([&](Connection& c) {
    Stmt q(c, sql::SelectArtifact() + "WHERE task_id = ? ORDER BY created_at, rowid");
    q.BindAll(task_id);
    return sql::CollectArtifacts(q, out);
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

Status SqlStore::GetStats(StoreStats* out) {
  // One read transaction, so the three counts describe the same moment.
  return db_->Read([&](Connection& c) -> Status {
    // task_counts, kept by triggers on both engines (one row per group on
    // SQLite, deltas to sum on PostgreSQL): no scan of the tasks.
    Status s = CountGroups(
        c, "SELECT status, SUM(n) FROM task_counts GROUP BY 1 HAVING SUM(n) <> 0", &out->by_status);
    if (!s.ok()) return s;
    s = CountGroups(c, "SELECT agent, SUM(n) FROM task_counts GROUP BY 1 HAVING SUM(n) <> 0",
                    &out->by_agent);
    if (!s.ok()) return s;
    Stmt q(c, std::string("SELECT COUNT(*) FROM executions WHERE ") + sql::kExecutionIsActive);
    bool row = false;
    s = q.Step(&row);
    if (!s.ok()) return s;
    out->active_executions = row ? q.Int(0) : 0;
    return Status::OK();
  });
}

Status SqlStore::CostByAgentSince(TimeMs since, std::map<std::string, double>* out) {
  return db_->Read([&](Connection& c) -> Status {
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

Status SqlStore::GetMeta(const std::string& key, std::string* value) {
  return db_->Read([&](Connection& c) { return ReadMetaRow(c, key, value); });
}

Status SqlStore::SetMeta(const std::string& key, const std::string& value) {
  return db_->Write([&](Connection& c) { return WriteMetaRow(c, key, value); });
}

Status SqlStore::UpdateMeta(const std::string& key, const MetaUpdate& update, std::string* value) {
  // One write transaction: no other process or thread updates the key
  // between the read and the write.
  return db_->Write([&](Connection& c) -> Status {
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
