// SqliteStore: the dependency rules' side of the SQLite backend, and the
// dependents listing.
#include <string>
#include <vector>

#include "store/sqlite/sqlite_dependencies.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec {
namespace sqlite {

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
    Stmt add(c_, "INSERT OR IGNORE INTO task_dependencies(depends_on, task_id) VALUES (?, ?)");
    add.BindAll(dep, task_id);
    if (Status s = add.Run(); !s.ok()) return s;
  }
  return Status::OK();
}

Status SaveTaskAndDependents(Connection& c, Task* t, TaskStatus before, TimeMs now) {
  if (Status s = SaveTask(c, t, now); !s.ok()) return s;
  if (t->status == before) return Status::OK();
  DependencyTxn txn(c);
  return store_rules::SettleDependents(txn, *t, now);
}

Status DeleteDependencyEdges(Connection& c, const std::string& id) {
  Stmt q(c, "DELETE FROM task_dependencies WHERE task_id = ?1 OR depends_on = ?1");
  q.BindAll(id);
  return q.Run();
}

}  // namespace sqlite

Status SqliteStore::ListDependents(const std::string& id, std::vector<Task>* out) {
  return sqlite::ReadTxn(pool_, [&](sqlite::Connection& c) {
    sqlite::Stmt q(c,
                   sqlite::SelectTask() +
                       "WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on = ?) "
                       "ORDER BY created_at, rowid");
    q.BindAll(id);
    return sqlite::CollectTasks(q, out);
  });
}

}  // namespace taskexec
