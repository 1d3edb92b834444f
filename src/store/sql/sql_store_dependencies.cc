// SqlStore: the dependency rules' side, and the
// dependents listing.
#include <string>
#include <vector>

#include "store/sql/sql_dependencies.h"
#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"

namespace taskexec {
namespace sql {

Status DependencyTxn::Load(const std::string& id, Task* out) { return LoadTask(c_, id, out); }

Status DependencyTxn::ListDependents(const std::string& id, std::vector<std::string>* out) {
  out->clear();
  Stmt q(c_, "SELECT task_id FROM task_dependencies WHERE depends_on = ? ORDER BY task_id");
  q.BindAll(id);
  for (;;) {
    bool row = false;
    if (Status s = q.Step(&row); !s.ok()) return s;
    if (!row) return Status::OK();
    out->push_back(q.Text(0));
  }
}

Status DependencyTxn::SaveDependent(Task* t, TimeMs now) { return SaveTask(c_, t, now); }

Status DependencyTxn::SetEdges(const std::string& task_id,
                               const std::vector<std::string>& depends_on) {
  Stmt drop(c_, "DELETE FROM task_dependencies WHERE task_id = ?");
  drop.BindAll(task_id);
  if (Status s = drop.Run(); !s.ok()) return s;
  for (const std::string& dep : depends_on) {
    Stmt add(c_,
             "INSERT INTO task_dependencies(depends_on, task_id) VALUES (?, ?) "
             "ON CONFLICT DO NOTHING");
    add.BindAll(dep, task_id);
    if (Status s = add.Run(); !s.ok()) return s;
  }
  return Status::OK();
}

Status SaveTaskAndDependents(Connection& c, const Task& stored, Task* t, TimeMs now) {
  if (Status s = SaveTask(c, stored, t, now); !s.ok()) return s;
  if (t->status == stored.status) return Status::OK();
  DependencyTxn txn(c);
  return store_rules::SettleDependents(txn, *t, now);
}

Status DeleteDependencyEdges(Connection& c, const std::string& id) {
  Stmt q(c, "DELETE FROM task_dependencies WHERE task_id = ?1 OR depends_on = ?1");
  q.BindAll(id);
  return q.Run();
}

}  // namespace sql

Status SqlStore::ListDependents(const std::string& id, std::vector<Task>* out) {
  return db_->Read([&](sql::Connection& c) {
    sql::Stmt q(c, sql::SelectTask() +
                       "WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on = ?) "
                       "ORDER BY created_at, rowid");
    q.BindAll(id);
    return sql::CollectTasks(q, out);
  });
}

}  // namespace taskexec
