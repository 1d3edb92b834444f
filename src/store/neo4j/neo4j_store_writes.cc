// Neo4jStore: writes made on a person's behalf (create, edit, status change,
// execution and cancel requests). Each is one managed write transaction that
// locks the task node first, so the checks below read the latest committed
// state and stay true until the write commits.
#include <string>

#include "core/ids.h"
#include "store/neo4j/cypher.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"

namespace taskexec {

using bolt::Map;
using bolt::QueryResult;
using bolt::Transaction;
using namespace neo4j;

namespace {

bool IsBlank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

Status CheckPriority(const std::string& p) {
  if (IsKnownPriority(p)) return Status::OK();
  return Status::InvalidArgument("unknown priority \"" + p +
                                 "\"; expected one of critical, high, normal, low");
}

Status HeldConflict(const Task& t) {
  return Status::Conflict("task " + t.id + " is running (" + std::string(ToString(t.status)) +
                          "); cancel it first");
}

// Back to the queue as a person's fresh start: no retries spent, no error.
void Requeue(Task* t) {
  t->status = TaskStatus::kPending;
  t->retry_count = 0;
  t->next_attempt_at = 0;
  t->error_type.clear();
  t->error_message.clear();
  t->completed_at = 0;
  t->cancel_requested = false;
}

}  // namespace

Status Neo4jStore::AddTask(const NewTask& in, TimeMs now, Task* out) {
  if (IsBlank(in.title)) return Status::InvalidArgument("title is required");
  const std::string priority = in.priority.empty() ? "normal" : in.priority;
  if (Status s = CheckPriority(priority); !s.ok()) return s;
  if (IsHeld(in.status) || in.status == TaskStatus::kRetrying) {
    return Status::InvalidArgument("a new task cannot start as " +
                                   std::string(ToString(in.status)) +
                                   "; expected pending, a held board state or a final state");
  }
  Task t;
  t.id = in.id.empty() ? NewId("task") : in.id;
  t.title = in.title;
  t.description = in.description;
  t.type = in.type;
  t.priority = priority;
  t.assigned_to = in.assigned_to;
  t.status = in.status;
  t.source = in.source.empty() ? "cli" : in.source;
  t.notion_page_id = in.notion_page_id;
  t.notion_url = in.notion_url;
  t.context_json = in.context_json.empty() ? "{}" : in.context_json;
  t.max_retries = in.max_retries;
  t.created_at = now;
  t.updated_at = now;
  t.completed_at = IsTerminal(in.status) ? now : 0;
  t.version = 1;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Map p;
    p.Set("id", t.id);
    p.Set("page_id", t.notion_page_id.empty() ? bolt::Value() : bolt::Value(t.notion_page_id));
    QueryResult r;
    if (Status st = RunQuery(tx, cypher::kTaskExists, p, 2, &r); !st.ok()) return st;
    if (!r.records.empty()) {
      if (!r.records[0][0].is_null()) return Status::Conflict("task " + t.id + " already exists");
      if (!r.records[0][1].is_null()) {
        return Status::Conflict("notion page " + t.notion_page_id + " already has task " +
                                r.records[0][1].StringOr(""));
      }
    }
    // A concurrent AddTask of the same id or page loses on the unique
    // constraints (ConstraintValidationFailed -> Conflict).
    Map create;
    TaskParams(t, &create);
    return RunQuery(tx, cypher::kCreateTask, create, 1, &r);
  });
  if (s.ok() && out != nullptr) *out = t;
  return s;
}

Status Neo4jStore::UpdateTask(const std::string& id, const TaskPatch& patch,
                              int64_t expected_version, TimeMs now, Task* out) {
  if (patch.title && IsBlank(*patch.title)) return Status::InvalidArgument("title is required");
  if (patch.priority) {
    if (Status s = CheckPriority(*patch.priority); !s.ok()) return s;
  }
  Task result;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status st = LoadTask(tx, id, true, &t); !st.ok()) return st;
    if (IsHeld(t.status)) return HeldConflict(t);
    if (expected_version >= 0 && t.version != expected_version) {
      return Status::Conflict("task " + id + " changed: version " + std::to_string(t.version) +
                              ", expected " + std::to_string(expected_version));
    }
    if (patch.title) t.title = *patch.title;
    if (patch.description) t.description = *patch.description;
    if (patch.type) t.type = *patch.type;
    if (patch.priority) t.priority = *patch.priority;
    if (patch.assigned_to) t.assigned_to = *patch.assigned_to;
    if (patch.context_json)
      t.context_json = patch.context_json->empty() ? "{}" : *patch.context_json;
    if (patch.notion_url) t.notion_url = *patch.notion_url;
    if (Status st = SaveTask(tx, &t, now); !st.ok()) return st;
    result = std::move(t);
    return Status::OK();
  });
  if (s.ok() && out != nullptr) *out = std::move(result);
  return s;
}

Status Neo4jStore::SetStatus(const std::string& id, TaskStatus to, const std::string& reason,
                             TimeMs now, Task* out) {
  Task result;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status st = LoadTask(tx, id, true, &t); !st.ok()) return st;
    if (t.status == to) {  // idempotent: board syncs re-apply what they see
      result = std::move(t);
      return Status::OK();
    }
    if (IsHeld(t.status)) return HeldConflict(t);
    if (!CanTransition(t.status, to)) {
      return Status::Conflict("cannot move task " + id + " from " +
                              std::string(ToString(t.status)) + " to " + std::string(ToString(to)));
    }
    if (to == TaskStatus::kPending) {
      Requeue(&t);
    } else {
      t.status = to;
      if (!IsRunnable(to)) {  // only runnable statuses carry an execution request
        t.requested_execution_id.clear();
        t.requested_agent.clear();
      }
      if (IsTerminal(to)) t.completed_at = now;
      if (!reason.empty() && (to == TaskStatus::kFailed || to == TaskStatus::kCancelled ||
                              to == TaskStatus::kBlocked)) {
        t.error_message = reason;
      }
    }
    if (Status st = SaveTask(tx, &t, now); !st.ok()) return st;
    result = std::move(t);
    return Status::OK();
  });
  if (s.ok() && out != nullptr) *out = std::move(result);
  return s;
}

Status Neo4jStore::RequestExecution(const std::string& id, const std::string& execution_id,
                                    const std::string& agent, TimeMs now, Task* out) {
  if (execution_id.empty()) return Status::InvalidArgument("execution id is required");
  Task result;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status st = LoadTask(tx, id, true, &t); !st.ok()) return st;
    if (IsHeld(t.status)) return HeldConflict(t);
    if (!t.requested_execution_id.empty()) {
      return Status::Conflict("task " + id + " already has an execution request (" +
                              t.requested_execution_id + ")");
    }
    SessionExecution existing;
    Status st = LoadExecution(tx, execution_id, &existing);
    if (st.ok()) return Status::Conflict("execution " + execution_id + " already exists");
    if (!st.IsNotFound()) return st;
    if (!IsRunnable(t.status)) Requeue(&t);
    t.cancel_requested = false;
    t.requested_execution_id = execution_id;
    t.requested_agent = agent;
    if (Status w = SaveTask(tx, &t, now); !w.ok()) return w;
    result = std::move(t);
    return Status::OK();
  });
  if (s.ok() && out != nullptr) *out = std::move(result);
  return s;
}

Status Neo4jStore::RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                                 Task* out) {
  Task result;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status st = LoadTask(tx, id, true, &t); !st.ok()) return st;
    if (t.status == TaskStatus::kCancelled || (IsHeld(t.status) && t.cancel_requested)) {
      result = std::move(t);  // already cancelled or cancelling
      return Status::OK();
    }
    if (IsTerminal(t.status)) {
      return Status::Conflict("task " + id + " is " + std::string(ToString(t.status)));
    }
    if (IsHeld(t.status)) {
      t.cancel_requested = true;  // the lease owner stops the session
    } else {
      t.status = TaskStatus::kCancelled;
      t.completed_at = now;
      t.error_type = "cancelled";
      t.error_message = reason.empty() ? "cancelled" : reason;
      t.requested_execution_id.clear();
      t.requested_agent.clear();
    }
    if (Status st = SaveTask(tx, &t, now); !st.ok()) return st;
    result = std::move(t);
    return Status::OK();
  });
  if (s.ok() && out != nullptr) *out = std::move(result);
  return s;
}

}  // namespace taskexec
