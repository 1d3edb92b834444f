// SqlStore: pruning history (TaskStore::ListFinishedBefore, DeleteTasks).
// The listing walks tasks_finished (schema v6): per finished status an
// equality on the status expression and a range on completed_at, so a batch
// reads about `limit` index entries however much history there is.
#include <string>

#include "store/sql/sql_dependencies.h"
#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"

namespace taskexec {

using sql::Connection;
using sql::Stmt;

namespace {

// ?1 cutoff, ?2 limit, ?3 ?4 the cursor: one index range per finished
// status, each cut at the limit, merged in (completed_at, id) order.
std::string FinishedBeforeSql() {
  auto branch = [](const char* status) {
    return std::string("SELECT * FROM (SELECT * FROM tasks WHERE ") + sql::kStatusExpr + " = '" +
           status +
           "' AND completed_at > 0 AND completed_at < ?1 AND (completed_at, id) > (?3, ?4) "
           "ORDER BY completed_at, id LIMIT ?2) AS " +
           status;
  };
  return sql::SelectTaskColumns() + "FROM (" + branch("completed") + " UNION ALL " +
         branch("failed") + " UNION ALL " + branch("cancelled") +
         ") AS finished ORDER BY completed_at, id LIMIT ?2";
}

// Deletes one task and what hangs off it if it still has `version` and is
// still finished; *gone = whether it was deleted.
Status DeleteOne(Connection& c, const TaskDeletion& d, bool* gone) {
  Stmt task(c, std::string("DELETE FROM tasks WHERE id = ?1 AND version = ?2 AND ") +
                   sql::kStatusExpr + " IN ('completed', 'failed', 'cancelled')");
  task.BindAll(d.id, d.version);
  if (Status s = task.Run(); !s.ok()) return s;
  *gone = task.Changes() > 0;
  if (!*gone) return Status::OK();
  // Other tools' files may have foreign keys off: delete the children here
  // rather than rely on ON DELETE CASCADE.
  for (const char* sql :
       {"DELETE FROM executions WHERE task_id = ?", "DELETE FROM artifacts WHERE task_id = ?"}) {
    Stmt q(c, sql);
    q.BindAll(d.id);
    if (Status s = q.Run(); !s.ok()) return s;
  }
  if (Status s = sql::DeleteDependencyEdges(c, d.id); !s.ok()) return s;
  for (const std::string& key : d.meta_keys) {
    Stmt q(c, "DELETE FROM meta WHERE key = ?");
    q.BindAll(key);
    if (Status s = q.Run(); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Status SqlStore::ListFinishedBefore(TimeMs cutoff, const FinishedCursor& after, int limit,
                                    std::vector<Task>* out) {
  static const std::string kSql = FinishedBeforeSql();
  if (limit <= 0) return Status::InvalidArgument("ListFinishedBefore needs a limit > 0");
  return db_->Read([&](Connection& c) {
    Stmt q(c, kSql);
    q.BindAll(cutoff, int64_t{limit}, after.completed_at, after.id);
    return sql::CollectTasks(q, out);
  });
}

Status SqlStore::DeleteTasks(const std::vector<TaskDeletion>& tasks,
                             std::vector<std::string>* deleted) {
  std::vector<std::string> ids;
  Status s = db_->Write([&](Connection& c) -> Status {
    ids.clear();  // the transaction may be retried
    for (const TaskDeletion& d : tasks) {
      bool gone = false;
      if (Status st = DeleteOne(c, d, &gone); !st.ok()) return st;
      if (gone) ids.push_back(d.id);
    }
    return Status::OK();
  });
  if (s.ok() && deleted != nullptr) *deleted = std::move(ids);
  return s;
}

}  // namespace taskexec
