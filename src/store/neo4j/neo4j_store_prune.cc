// Neo4jStore: pruning history (TaskStore::ListFinishedBefore, DeleteTasks).
// Statements: cypher::kListFinishedBefore (index taskexec_task_completed_at)
// and cypher::kDeleteTasks.
#include <string>
#include <utility>

#include "store/neo4j/cypher.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"

namespace taskexec {

using bolt::List;
using bolt::Map;
using bolt::Transaction;
using namespace neo4j;

Status Neo4jStore::ListFinishedBefore(TimeMs cutoff, const FinishedCursor& after, int limit,
                                      std::vector<Task>* out) {
  if (limit <= 0) return Status::InvalidArgument("ListFinishedBefore needs a limit > 0");
  Map p;
  p.Set("cutoff", cutoff);
  p.Set("limit", int64_t{limit});
  p.Set("after_completed", after.completed_at);
  p.Set("after_id", after.id);
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryTasks(tx, cypher::kListFinishedBefore, p, out); });
}

Status Neo4jStore::DeleteTasks(const std::vector<TaskDeletion>& tasks,
                               std::vector<std::string>* deleted) {
  List rows;
  rows.reserve(tasks.size());
  for (const TaskDeletion& d : tasks) {
    List keys;
    for (const std::string& k : d.meta_keys) keys.emplace_back(k);
    Map row;
    row.Set("id", d.id);
    row.Set("version", d.version);
    row.Set("meta_keys", std::move(keys));
    rows.emplace_back(std::move(row));
  }
  Map p;
  p.Set("rows", std::move(rows));
  std::vector<std::string> ids;
  Status s = driver_->ExecuteWrite(
      [&](Transaction& tx) { return QueryStrings(tx, cypher::kDeleteTasks, p, &ids); });
  if (s.ok() && deleted != nullptr) *deleted = std::move(ids);
  return s;
}

}  // namespace taskexec
