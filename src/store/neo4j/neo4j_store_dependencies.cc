// Neo4jStore: the dependency rules' side of the Neo4j backend, and the
// dependents listing.
#include <string>
#include <vector>

#include "store/neo4j/cypher.h"
#include "store/neo4j/dependencies.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"

namespace taskexec {
namespace neo4j {

Status DependencyTxn::Load(const std::string& id, Task* out) {
  return LoadTask(tx_, id, /*lock=*/false, out);
}

Status DependencyTxn::ListDependents(const std::string& id, std::vector<std::string>* out) {
  bolt::Map p;
  p.Set("id", id);
  return QueryStrings(tx_, cypher::kListDependentIds, p, out);
}

Status DependencyTxn::SaveDependent(Task* t, TimeMs now) {
  // Like every task a write changes, the dependent is locked, then read
  // again: a change that landed since it was read is applied to.
  Task current;
  if (Status s = LoadTask(tx_, t->id, /*lock=*/true, &current); !s.ok()) return s;
  if (current.version != t->version) {
    bool changed = false;
    if (Status s = store_rules::RefreshDependencies(*this, &current, &changed); !s.ok()) return s;
    if (!changed) return Status::OK();
    *t = std::move(current);
  }
  return SaveTask(tx_, t, now);
}

Status DependencyTxn::SetEdges(const std::string& task_id,
                               const std::vector<std::string>& depends_on) {
  bolt::Map p;
  p.Set("id", task_id);
  bolt::List ids;
  for (const std::string& id : depends_on) ids.emplace_back(id);
  p.Set("depends_on", bolt::Value(std::move(ids)));
  bolt::QueryResult r;
  return RunQuery(tx_, cypher::kSetDependencyEdges, p, 1, &r);
}

Status SaveTaskAndDependents(bolt::Transaction& tx, Task* t, TaskStatus before, TimeMs now) {
  if (Status s = SaveTask(tx, t, now); !s.ok()) return s;
  if (t->status == before) return Status::OK();
  DependencyTxn txn(tx);
  return store_rules::SettleDependents(txn, *t, now);
}

}  // namespace neo4j

Status Neo4jStore::ListDependents(const std::string& id, std::vector<Task>* out) {
  bolt::Map p;
  p.Set("id", id);
  return driver_->ExecuteRead([&](bolt::Transaction& tx) {
    return neo4j::QueryTasks(tx, neo4j::cypher::kListDependents, p, out);
  });
}

}  // namespace taskexec
