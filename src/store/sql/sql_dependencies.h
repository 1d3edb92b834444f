// The dependency rules (store/dependency_rules.h) over a SqlStore write
// transaction: task_dependencies is the reverse lookup, the tasks row keeps
// blocked_by and waiting_on.
//
// Thread-safety: functions over a caller-owned Connection inside its write
// transaction.
#pragma once

#include <string>
#include <vector>

#include "core/domain.h"
#include "core/status.h"
#include "store/dependency_rules.h"
#include "store/sql/sql_db.h"

namespace taskexec::sql {

class DependencyTxn final : public store_rules::DependencyTxn {
 public:
  explicit DependencyTxn(Connection& c) : c_(c) {}
  Status Load(const std::string& id, Task* out) override;
  Status ListDependents(const std::string& id, std::vector<std::string>* out) override;
  Status SaveDependent(Task* t, TimeMs now) override;
  Status SetEdges(const std::string& task_id, const std::vector<std::string>& depends_on) override;

 private:
  Connection& c_;
};

// The way a store method writes a task it read as `stored` in this
// transaction: SaveTask (the changed columns), then, when the status moved,
// its dependents are settled in the same transaction.
Status SaveTaskAndDependents(Connection& c, const Task& stored, Task* t, TimeMs now);

// Drops every edge from or to `id` (the task is being deleted).
Status DeleteDependencyEdges(Connection& c, const std::string& id);

}  // namespace taskexec::sql
