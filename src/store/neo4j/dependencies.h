// The dependency rules (store/dependency_rules.h) over a Neo4j write
// transaction: (t)-[:BLOCKED_BY]->(d) is the reverse lookup, the node keeps
// blocked_by and waiting_on.
//
// Thread-safety: functions over a caller-owned transaction.
#pragma once

#include <string>
#include <vector>

#include "bolt/driver.h"
#include "core/domain.h"
#include "core/status.h"
#include "store/dependency_rules.h"

namespace taskexec::neo4j {

class DependencyTxn final : public store_rules::DependencyTxn {
 public:
  explicit DependencyTxn(bolt::Transaction& tx) : tx_(tx) {}
  Status Load(const std::string& id, Task* out) override;
  Status ListDependents(const std::string& id, std::vector<std::string>* out) override;
  Status SaveDependent(Task* t, TimeMs now) override;
  Status SetEdges(const std::string& task_id, const std::vector<std::string>& depends_on) override;

 private:
  bolt::Transaction& tx_;
};

// The way a store method writes a task it read with status `before`:
// SaveTask, then, when the status moved, its dependents are settled in the
// same transaction.
Status SaveTaskAndDependents(bolt::Transaction& tx, Task* t, TaskStatus before, TimeMs now);

}  // namespace taskexec::neo4j
