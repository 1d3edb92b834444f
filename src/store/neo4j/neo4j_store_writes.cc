// Neo4jStore: writes made on a person's behalf (create, edit, status change,
// execution and cancel requests). Each is one managed write transaction that
// locks the task node first, so the checks below read the latest committed
// state and stay true until the write commits. The rules themselves are
// store/store_rules.h.
#include <functional>
#include <string>

#include "store/neo4j/cypher.h"
#include "store/neo4j/dependencies.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"
#include "store/store_rules.h"

namespace taskexec {

using bolt::Map;
using bolt::QueryResult;
using bolt::Transaction;
using namespace neo4j;

namespace {

// A person's change to task `id` in one write transaction: locks and loads the
// task, lets `apply` check and change it (setting *changed when there is
// something to write), saves it if so, and returns the task as it ends up.
Status ChangeTask(bolt::Driver& driver, const std::string& id, TimeMs now, Task* out,
                  const std::function<Status(Transaction&, Task*, bool*)>& apply) {
  Task result;
  Status s = driver.ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status st = LoadTask(tx, id, true, &t); !st.ok()) return st;
    const TaskStatus before = t.status;
    bool changed = false;
    if (Status st = apply(tx, &t, &changed); !st.ok()) return st;
    if (changed) {
      if (Status st = SaveTaskAndDependents(tx, &t, before, now); !st.ok()) return st;
    }
    result = std::move(t);
    return Status::OK();
  });
  if (s.ok() && out != nullptr) *out = std::move(result);
  return s;
}

}  // namespace

Status Neo4jStore::AddTask(const NewTask& in, TimeMs now, Task* out) {
  Task t;
  if (Status s = store_rules::BuildTask(in, now, &t); !s.ok()) return s;
  Task added;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Map p;
    p.Set("id", t.id);
    p.Set("page_id", t.notion_page_id.empty() ? bolt::Value() : bolt::Value(t.notion_page_id));
    QueryResult r;
    if (Status st = RunQuery(tx, cypher::kTaskExists, p, 2, &r); !st.ok()) return st;
    if (!r.records.empty()) {
      if (!r.records[0][0].is_null()) return store_rules::TaskExists(t.id);
      if (!r.records[0][1].is_null()) {
        return store_rules::NotionPageTaken(t.notion_page_id, r.records[0][1].StringOr(""));
      }
    }
    added = t;  // the transaction may be retried
    DependencyTxn deps(tx);
    if (!in.blocked_by.empty()) {
      if (Status st = store_rules::SetDependencies(deps, in.blocked_by, &added); !st.ok()) {
        return st;
      }
    }
    // A concurrent AddTask of the same id or page loses on the unique
    // constraints (ConstraintValidationFailed -> Conflict).
    Map create;
    TaskParams(added, &create);
    if (Status st = RunQuery(tx, cypher::kCreateTask, create, 1, &r); !st.ok()) return st;
    if (added.blocked_by.empty()) return Status::OK();
    return deps.SetEdges(added.id, added.blocked_by);
  });
  if (s.ok() && out != nullptr) *out = added;
  return s;
}

Status Neo4jStore::UpdateTask(const std::string& id, const TaskPatch& patch,
                              int64_t expected_version, TimeMs now, Task* out) {
  if (Status s = store_rules::CheckPatch(patch); !s.ok()) return s;
  return ChangeTask(*driver_, id, now, out, [&](Transaction& tx, Task* t, bool* changed) -> Status {
    if (Status st = store_rules::CheckEditable(*t, expected_version); !st.ok()) return st;
    store_rules::ApplyPatch(patch, t);
    if (patch.blocked_by) {
      DependencyTxn deps(tx);
      if (Status st = store_rules::SetDependencies(deps, *patch.blocked_by, t); !st.ok()) return st;
      if (Status st = deps.SetEdges(t->id, t->blocked_by); !st.ok()) return st;
    }
    *changed = true;
    return Status::OK();
  });
}

Status Neo4jStore::SetStatus(const std::string& id, TaskStatus to, const std::string& reason,
                             TimeMs now, Task* out) {
  return ChangeTask(*driver_, id, now, out, [&](Transaction& tx, Task* t, bool* changed) {
    Status s = store_rules::ApplyStatusChange(to, reason, now, t, changed);
    if (!s.ok() || !*changed) return s;
    // A person's move the dependencies would undo at once is refused.
    DependencyTxn deps(tx);
    Task after = *t;
    bool moved = false;
    s = store_rules::RefreshDependencies(deps, &after, &moved);
    if (s.ok()) s = store_rules::CheckStatusKept(*t, after);
    if (s.ok()) *t = std::move(after);
    return s;
  });
}

Status Neo4jStore::FailQueued(const std::string& id, int64_t expected_version, ErrorType error_type,
                              const std::string& message, TimeMs now, Task* out) {
  return ChangeTask(*driver_, id, now, out, [&](Transaction&, Task* t, bool* changed) {
    Status s = store_rules::ApplyFailQueued(expected_version, error_type, message, now, t);
    *changed = s.ok();
    return s;
  });
}

Status Neo4jStore::RequestExecution(const std::string& id, const std::string& execution_id,
                                    const std::string& agent, bool force, TimeMs now, Task* out) {
  if (Status s = store_rules::CheckExecutionRequest(execution_id); !s.ok()) return s;
  return ChangeTask(*driver_, id, now, out, [&](Transaction& tx, Task* t, bool* changed) -> Status {
    if (Status st = store_rules::CheckCanRequestExecution(*t); !st.ok()) return st;
    SessionExecution existing;
    Status st = LoadExecution(tx, execution_id, &existing);
    if (st.ok()) return store_rules::ExecutionExists(execution_id);
    if (!st.IsNotFound()) return st;
    store_rules::ApplyExecutionRequest(execution_id, agent, force, t);
    *changed = true;
    return Status::OK();
  });
}

Status Neo4jStore::Reply(const std::string& id, const std::string& message, TimeMs now, Task* out) {
  return ChangeTask(*driver_, id, now, out, [&](Transaction&, Task* t, bool* changed) {
    Status s = store_rules::ApplyReply(message, t);
    *changed = s.ok();
    return s;
  });
}

Status Neo4jStore::RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                                 Task* out) {
  return ChangeTask(*driver_, id, now, out, [&](Transaction&, Task* t, bool* changed) {
    return store_rules::ApplyCancelRequest(reason, now, t, changed);
  });
}

}  // namespace taskexec
