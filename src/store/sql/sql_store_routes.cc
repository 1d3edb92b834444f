// SqlStore: dispatch by routed agent (TaskStore::ListRunnableFor and the
// route bookkeeping). Every listing walks the tasks_agent_queue index: an
// equality on the status expression and on routed_agent, then queue order,
// so a listing reads about `limit` index entries whatever the length of the
// queue (the statements: queue_statements.h).
#include <string>

#include <nlohmann/json.hpp>

#include "store/sql/queue_statements.h"
#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"

namespace taskexec {

using sql::Connection;
using sql::Stmt;

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
  static const std::string kSql = sql::UnroutedStatement();
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
  static const std::string kSql = sql::QueuedAgentsStatement();
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
