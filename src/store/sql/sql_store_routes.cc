// SqlStore: dispatch by routed agent (TaskStore::ListRunnableFor and the
// route bookkeeping). Every listing walks the tasks_agent_queue index
// (schema v4): an equality on the status expression and on routed_agent,
// then queue order, so a listing reads about `limit` index entries whatever
// the length of the queue. The expressions repeat the index's text on
// purpose: SQLite matches expression indexes by it.
#include <string>

#include <nlohmann/json.hpp>

#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"

namespace taskexec {

using sql::Connection;
using sql::Stmt;

namespace {

using sql::kStatusExpr;
constexpr const char* kQueueOrder = "COALESCE(priority_weight, 2) DESC, created_at";

// One index range per queued status (pending, retrying), each cut at
// `limit_param`, merged in queue order. `where` is appended to the equality
// on the status expression and must keep routed_agent and
// open_dependencies equalities.
std::string PerStatusSql(const std::string& where, const std::string& limit_param) {
  auto branch = [&](const char* status) {
    return std::string("SELECT * FROM (SELECT rowid AS rid, * FROM tasks WHERE ") + kStatusExpr +
           " = '" + status + "' AND " + where + " ORDER BY " + kQueueOrder + ", rowid LIMIT " +
           limit_param + ") AS " + status;
  };
  return sql::SelectTaskColumns() + "FROM (" + branch("pending") + " UNION ALL " +
         branch("retrying") + ") AS queue ORDER BY " + kQueueOrder + ", rid LIMIT " + limit_param;
}

// ?1 limit.
// Waiting tasks are routed once their dependencies are met.
std::string UnroutedSql() {
  return PerStatusSql("routed_agent = '' AND open_dependencies = 0", "?1");
}

// A skip scan: per queued status, the smallest routed agent above the last
// one found, each an index seek, so the cost grows with the number of
// agents, not of tasks.
std::string QueuedAgentsSql() {
  auto next = [](const std::string& status, const std::string& after) {
    return std::string("(SELECT MIN(routed_agent) FROM tasks WHERE ") + kStatusExpr + " = " +
           status + " AND routed_agent > " + after + ")";
  };
  // The literals are cast so PostgreSQL types the recursive columns as text.
  return "WITH RECURSIVE found(st, name) AS (SELECT CAST('pending' AS TEXT), " +
         next("'pending'", "''") + " UNION ALL SELECT CAST('retrying' AS TEXT), " +
         next("'retrying'", "''") + " UNION ALL SELECT st, " + next("found.st", "found.name") +
         " FROM found WHERE name IS NOT NULL) "
         "SELECT DISTINCT name FROM found WHERE name IS NOT NULL ORDER BY name";
}

}  // namespace

// ?1 agent, ?2 now, ?3 limit, ?4 the types to leave out (a JSON array,
// lower case). Execution requests are ListRunnable's.
std::string SqlStore::RunnableForSql(const sql::Dialect& dialect) {
  return PerStatusSql(
      "routed_agent = ?1 AND open_dependencies = 0 AND COALESCE(requested_execution_id, '') = '' "
      "AND COALESCE(cancel_requested, 0) = 0 AND COALESCE(next_attempt_at, 0) <= ?2 "
      "AND LOWER(COALESCE(type, '')) NOT IN (" +
          dialect.json_strings("?4") + ")",
      "?3");
}

Status SqlStore::ListRunnableFor(const std::string& agent, TimeMs now, int limit,
                                 const std::vector<std::string>& skip_types,
                                 std::vector<Task>* out) {
  if (limit <= 0) return Status::InvalidArgument("ListRunnableFor needs a limit > 0");
  const std::string skip = nlohmann::json(skip_types).dump();
  return db_->Read([&](Connection& c) { return RunnableForIn(c, agent, now, limit, skip, out); });
}

Status SqlStore::RunnableForIn(Connection& c, const std::string& agent, TimeMs now, int limit,
                               const std::string& skip_json, std::vector<Task>* out) const {
  Stmt q(c, runnable_for_sql_);
  q.BindAll(agent, now, int64_t{limit}, skip_json);
  return sql::CollectTasks(q, out);
}

Status SqlStore::ListForDispatch(TimeMs now, int requested_limit,
                                 const std::vector<std::pair<std::string, int>>& per_agent,
                                 const std::vector<std::string>& skip_types, DispatchListing* out) {
  for (const auto& [agent, limit] : per_agent) {
    if (limit <= 0) return Status::InvalidArgument("ListForDispatch needs limits > 0");
  }
  const std::string skip = nlohmann::json(skip_types).dump();
  return db_->Read([&](Connection& c) -> Status {
    out->requested.clear();
    out->by_agent.assign(per_agent.size(), {});
    if (requested_limit > 0) {
      Status s = RunnableIn(c, now, requested_limit, /*only_requested=*/true, &out->requested);
      if (!s.ok()) return s;
    }
    for (size_t i = 0; i < per_agent.size(); ++i) {
      const auto& [agent, limit] = per_agent[i];
      if (Status s = RunnableForIn(c, agent, now, limit, skip, &out->by_agent[i]); !s.ok()) {
        return s;
      }
    }
    return Status::OK();
  });
}

Status SqlStore::ListUnrouted(int limit, std::vector<Task>* out) {
  static const std::string kSql = UnroutedSql();
  if (limit <= 0) return Status::InvalidArgument("ListUnrouted needs a limit > 0");
  return db_->Read([&](Connection& c) {
    Stmt q(c, kSql);
    q.BindAll(int64_t{limit});
    return sql::CollectTasks(q, out);
  });
}

Status SqlStore::SetRoutes(const std::vector<TaskRoute>& routes, int* written) {
  int n = 0;
  Status s = db_->Write([&](Connection& c) -> Status {
    n = 0;
    for (const TaskRoute& r : routes) {
      if (r.agent.empty()) return Status::InvalidArgument("route of " + r.task.id + " is empty");
      // Only a task still without one: a route another engine recorded
      // meanwhile stands (the same rule made it), and leaving its row alone
      // keeps this write from conflicting with that engine's claims of it.
      Stmt q(c,
             "UPDATE tasks SET routed_agent = ? WHERE id = ? AND COALESCE(version, 1) = ? AND "
             "COALESCE(routed_agent, '') = ''");
      q.BindAll(r.agent, r.task.id, r.task.version);
      if (Status st = q.Run(); !st.ok()) return st;
      n += static_cast<int>(q.Changes());
    }
    return Status::OK();
  });
  if (s.ok() && written != nullptr) *written = n;
  return s;
}

Status SqlStore::ClearRoutes(int64_t* cleared) {
  int64_t n = 0;
  Status s = db_->Write([&](Connection& c) -> Status {
    Stmt q(c, "UPDATE tasks SET routed_agent = '' WHERE routed_agent <> ''");
    Status st = q.Run();
    n = st.ok() ? q.Changes() : 0;
    return st;
  });
  if (s.ok() && cleared != nullptr) *cleared = n;
  return s;
}

Status SqlStore::ListQueuedAgents(std::vector<std::string>* out) {
  static const std::string kSql = QueuedAgentsSql();
  return db_->Read([&](Connection& c) -> Status {
    Stmt q(c, kSql);
    out->clear();
    for (;;) {
      bool row = false;
      Status s = q.Step(&row);
      if (!s.ok() || !row) return s;
      out->push_back(q.Text(0));
    }
  });
}

}  // namespace taskexec
