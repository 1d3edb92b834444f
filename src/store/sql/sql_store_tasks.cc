// SqlStore: writes made on a person's behalf (create, edit, status change,
// execution and cancel requests). Each is one Database::Write transaction; the
// rules themselves are store/store_rules.h.
#include <string>

#include "store/sql/sql_dependencies.h"
#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"
#include "store/store_rules.h"

namespace taskexec {

using sql::Connection;
using sql::Stmt;

namespace {

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

// Inserts one new task inside the caller's transaction, with its
// dependencies (checked against the tasks already there). `refused` tells a
// task the rules refuse (the transaction goes on) from a store failure.
Status InsertNew(Connection& c, Task* t, const std::vector<std::string>& blocked_by,
                 bool* refused) {
  *refused = true;
  Task existing;
  Status st = sql::LoadTask(c, t->id, &existing);
  if (st.ok()) return store_rules::TaskExists(t->id);
  *refused = false;
  if (!st.IsNotFound()) return st;
  bool taken = false;
  std::string owner;
  st = NotionPageTaken(c, t->notion_page_id, &taken, &owner);
  if (!st.ok()) return st;
  if (taken) {
    *refused = true;
    return store_rules::NotionPageTaken(t->notion_page_id, owner);
  }
  sql::DependencyTxn deps(c);
  if (!blocked_by.empty()) {
    st = store_rules::SetDependencies(deps, blocked_by, t);
    if (!st.ok()) {
      *refused = st.IsInvalidArgument();
      return st;
    }
  }
  st = sql::InsertTask(c, *t);
  if (!st.ok() || t->blocked_by.empty()) return st;
  return deps.SetEdges(t->id, t->blocked_by);
}

}  // namespace

Status SqlStore::AddTask(const NewTask& in, TimeMs now, Task* out) {
  Task t;
  Status s = store_rules::BuildTask(in, now, &t);
  if (!s.ok()) return s;
  return db_->Write([&](Connection& c) -> Status {
    bool refused = false;
    Task added = t;  // the transaction may be retried
    Status st = InsertNew(c, &added, in.blocked_by, &refused);
    if (st.ok() && out != nullptr) *out = added;
    return st;
  });
}

Status SqlStore::AddTasks(const std::vector<NewTask>& tasks, TimeMs now,
                          std::vector<Status>* results) {
  std::vector<Task> built(tasks.size());
  std::vector<Status> out(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i)
    out[i] = store_rules::BuildTask(tasks[i], now, &built[i]);
  Status s = db_->Write([&](Connection& c) -> Status {
    for (size_t i = 0; i < built.size(); ++i) {
      if (!out[i].ok()) continue;
      bool refused = false;
      Task added = built[i];
      out[i] = InsertNew(c, &added, tasks[i].blocked_by, &refused);
      if (!out[i].ok() && !refused) return out[i];  // the store failed: roll all back
    }
    return Status::OK();
  });
  if (s.ok()) *results = std::move(out);
  return s;
}

Status SqlStore::UpdateTask(const std::string& id, const TaskPatch& patch, int64_t expected_version,
                            TimeMs now, Task* out) {
  if (Status s = store_rules::CheckPatch(patch); !s.ok()) return s;
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    const Task stored = t;
    s = store_rules::CheckEditable(t, expected_version);
    if (!s.ok()) return s;
    store_rules::ApplyPatch(patch, &t);
    if (patch.blocked_by) {
      sql::DependencyTxn deps(c);
      s = store_rules::SetDependencies(deps, *patch.blocked_by, &t);
      if (s.ok()) s = deps.SetEdges(t.id, t.blocked_by);
      if (!s.ok()) return s;
    }
    s = sql::SaveTaskAndDependents(c, stored, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqlStore::SetStatus(const std::string& id, TaskStatus to, const std::string& reason,
                           TimeMs now, Task* out) {
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    const Task stored = t;
    bool changed = false;
    s = store_rules::ApplyStatusChange(to, reason, now, &t, &changed);
    if (!s.ok() || !changed) {
      if (s.ok() && out != nullptr) *out = t;
      return s;
    }
    // A person's move the dependencies would undo at once is refused.
    sql::DependencyTxn deps(c);
    Task after = t;
    bool moved = false;
    s = store_rules::RefreshDependencies(deps, &after, &moved);
    if (s.ok()) s = store_rules::CheckStatusKept(t, after);
    if (!s.ok()) return s;
    t = std::move(after);
    s = sql::SaveTaskAndDependents(c, stored, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqlStore::FailQueued(const std::string& id, int64_t expected_version, ErrorType error_type,
                            const std::string& message, TimeMs now, Task* out) {
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    const Task stored = t;
    s = store_rules::ApplyFailQueued(expected_version, error_type, message, now, &t);
    if (!s.ok()) return s;
    s = sql::SaveTaskAndDependents(c, stored, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqlStore::RequestExecution(const std::string& id, const std::string& execution_id,
                                  const std::string& agent, bool force, TimeMs now, Task* out) {
  if (Status s = store_rules::CheckExecutionRequest(execution_id); !s.ok()) return s;
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    const Task stored = t;
    s = store_rules::CheckCanRequestExecution(t);
    if (!s.ok()) return s;
    SessionExecution existing;
    s = sql::LoadExecution(c, execution_id, &existing);
    if (s.ok()) return store_rules::ExecutionExists(execution_id);
    if (!s.IsNotFound()) return s;
    store_rules::ApplyExecutionRequest(execution_id, agent, force, &t);
    s = sql::SaveTaskAndDependents(c, stored, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqlStore::Reply(const std::string& id, const std::string& message, TimeMs now, Task* out) {
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    const Task stored = t;
    s = store_rules::ApplyReply(message, &t);
    if (!s.ok()) return s;
    s = sql::SaveTaskAndDependents(c, stored, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

Status SqlStore::RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                               Task* out) {
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, id, &t);
    if (!s.ok()) return s;
    const Task stored = t;
    bool changed = false;
    s = store_rules::ApplyCancelRequest(reason, now, &t, &changed);
    if (!s.ok()) return s;
    if (changed) s = sql::SaveTaskAndDependents(c, stored, &t, now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

}  // namespace taskexec
