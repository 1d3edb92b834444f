// SqliteStore: writes made on a person's behalf (create, edit, status change,
// execution and cancel requests). Each is one BEGIN IMMEDIATE transaction.
#include <string>

#include "core/ids.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec {

using sqlite::Connection;
using sqlite::Stmt;
using sqlite::WriteTxn;

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

Status NotionPageTaken(Connection& c, const std::string& page_id, bool* taken, std::string* owner) {
  *taken = false;
  if (page_id.empty()) return Status::OK();
  Stmt q(c, "SELECT id FROM tasks WHERE notion_page_id = ? LIMIT 1");
  q.BindAll(page_id);
  bool row = false;
  Status s = q.Step(&row);
  if (!s.ok()) return s;
  if (row) {
    *taken = true;
    *owner = q.Text(0);
  }
  return Status::OK();
}

}  // namespace

Status SqliteStore::AddTask(const NewTask& in, TimeMs now, Task* out) {
  if (IsBlank(in.title)) return Status::InvalidArgument("title is required");
  const std::string priority = in.priority.empty() ? "normal" : in.priority;
  Status s = CheckPriority(priority);
  if (!s.ok()) return s;
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
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task existing;
    Status st = sqlite::LoadTask(c, t.id, &existing);
    if (st.ok()) return Status::Conflict("task " + t.id + " already exists");
    if (!st.IsNotFound()) return st;
    bool taken = false;
    std::string owner;
    st = NotionPageTaken(c, t.notion_page_id, &taken, &owner);
    if (!st.ok()) return st;
    if (taken) {
      return Status::Conflict("notion page " + t.notion_page_id + " already has task " + owner);
    }
    st = sqlite::InsertTask(c, t);
    if (st.ok() && out != nullptr) *out = t;
    return st;
  });
}

Status SqliteStore::UpdateTask(const std::string& id, const TaskPatch& patch,
                               int64_t expected_version, TimeMs now, Task* out) {
  if (patch.title && IsBlank(*patch.title)) return Status::InvalidArgument("title is required");
  if (patch.priority) {
    Status s = CheckPriority(*patch.priority);
    if (!s.ok()) return s;
  }
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, id, &t);
    if (!s.ok()) return s;
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
    s = sqlite::SaveTask(c, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqliteStore::SetStatus(const std::string& id, TaskStatus to, const std::string& reason,
                              TimeMs now, Task* out) {
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    if (t.status == to) {  // idempotent: board syncs re-apply what they see
      if (out != nullptr) *out = t;
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
      // Only the runnable statuses carry an execution request.
      if (!IsRunnable(to)) {
        t.requested_execution_id.clear();
        t.requested_agent.clear();
      }
      if (IsTerminal(to)) t.completed_at = now;
      if (!reason.empty() && (to == TaskStatus::kFailed || to == TaskStatus::kCancelled ||
                              to == TaskStatus::kBlocked)) {
        t.error_message = reason;
      }
    }
    s = sqlite::SaveTask(c, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqliteStore::RequestExecution(const std::string& id, const std::string& execution_id,
                                     const std::string& agent, TimeMs now, Task* out) {
  if (execution_id.empty()) return Status::InvalidArgument("execution id is required");
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    if (IsHeld(t.status)) return HeldConflict(t);
    if (!t.requested_execution_id.empty()) {
      return Status::Conflict("task " + id + " already has an execution request (" +
                              t.requested_execution_id + ")");
    }
    SessionExecution existing;
    s = sqlite::LoadExecution(c, execution_id, &existing);
    if (s.ok()) return Status::Conflict("execution " + execution_id + " already exists");
    if (!s.IsNotFound()) return s;
    if (!IsRunnable(t.status)) Requeue(&t);
    t.cancel_requested = false;
    t.requested_execution_id = execution_id;
    t.requested_agent = agent;
    s = sqlite::SaveTask(c, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqliteStore::RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                                  Task* out) {
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    if (t.status == TaskStatus::kCancelled || (IsHeld(t.status) && t.cancel_requested)) {
      if (out != nullptr) *out = t;  // already cancelled or cancelling
      return Status::OK();
    }
    if (IsTerminal(t.status)) {
      return Status::Conflict("task " + id + " is " + std::string(ToString(t.status)));
    }
    if (IsHeld(t.status)) {
      // The lease owner stops the session and records the outcome.
      t.cancel_requested = true;
    } else {
      t.status = TaskStatus::kCancelled;
      t.completed_at = now;
      t.error_type = "cancelled";
      t.error_message = reason.empty() ? "cancelled" : reason;
      t.requested_execution_id.clear();
      t.requested_agent.clear();
    }
    s = sqlite::SaveTask(c, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

}  // namespace taskexec
