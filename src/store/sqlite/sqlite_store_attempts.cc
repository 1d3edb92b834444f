// SqliteStore: the executor's path through an attempt -- claim, start, lease
// renewal, finish. Every write here is one BEGIN IMMEDIATE transaction whose
// checks (version, status, lease owner) read the latest committed row, which
// is what makes the claim a compare-and-set and the lease a fence.
#include <string>

#include "core/ids.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec {

using sqlite::Connection;
using sqlite::Stmt;
using sqlite::WriteTxn;

namespace {

std::string StatusName(TaskStatus s) { return std::string(ToString(s)); }

// Why `req` may not claim `t`, or OK.
Status CheckClaimable(const Task& t, const ClaimRequest& req) {
  if (IsHeld(t.status)) {
    return Status::Conflict(
        "task " + t.id + " is held by " +
        (t.lease_owner.empty() ? std::string("another executor") : t.lease_owner));
  }
  if (t.version != req.expected_version) {
    return Status::Conflict("task " + t.id + " changed: version " + std::to_string(t.version) +
                            ", expected " + std::to_string(req.expected_version));
  }
  if (!IsRunnable(t.status)) {
    return Status::Conflict("task " + t.id + " is not runnable (" + StatusName(t.status) + ")");
  }
  if (t.cancel_requested) return Status::Conflict("task " + t.id + " has a cancel request");
  if (!t.requested_execution_id.empty()) {
    if (!req.manual || req.execution_id != t.requested_execution_id) {
      return Status::Conflict("task " + t.id + " is reserved for requested execution " +
                              t.requested_execution_id);
    }
    return Status::OK();
  }
  if (req.manual) return Status::Conflict("task " + t.id + " has no execution request");
  if (t.next_attempt_at > req.now) return Status::Conflict("task " + t.id + " is not due yet");
  return Status::OK();
}

// The fence of every write made on behalf of a running attempt.
Status CheckLease(const Task& t, const std::string& executor_id) {
  if (!IsHeld(t.status)) {
    return Status::Conflict("task " + t.id + " is not running (" + StatusName(t.status) + ")");
  }
  if (t.lease_owner != executor_id) {
    return Status::Conflict("lease on task " + t.id + " is held by " +
                            (t.lease_owner.empty() ? std::string("nobody") : t.lease_owner) +
                            ", not " + executor_id);
  }
  return Status::OK();
}

void ApplyOutcome(const AttemptOutcome& o, SessionExecution* e) {
  e->status = o.execution_status;
  e->ended_at = o.now;
  e->exit_code = o.exit_code;
  e->term_signal = o.term_signal;
  e->error_type = o.error_type;
  e->error = o.error_message;
  e->summary = o.summary;
  if (!o.session_id.empty()) e->session_id = o.session_id;
}

void ApplyOutcome(const AttemptOutcome& o, Task* t) {
  t->status = o.task_status;
  t->retry_count = o.retry_count;
  t->next_attempt_at = o.next_attempt_at;
  if (o.task_status == TaskStatus::kCompleted) {
    t->error_type.clear();
    t->error_message.clear();
  } else {
    t->error_type = o.error_type;
    t->error_message = o.error_message;
  }
  if (!o.summary.empty()) t->output_summary = o.summary;
  t->completed_at = IsTerminal(o.task_status) ? o.now : 0;
  if (o.task_status == TaskStatus::kRetrying) t->last_retry_at = o.now;
  t->lease_owner.clear();
  t->lease_expires_at = 0;
  t->cancel_requested = false;
}

// The executions an outcome closes: the named one, or every active one.
Status ExecutionsToClose(Connection& c, const AttemptOutcome& o,
                         std::vector<SessionExecution>* out) {
  if (!o.execution_id.empty()) {
    out->resize(1);
    Status s = sqlite::LoadExecution(c, o.execution_id, &(*out)[0]);
    if (!s.ok()) return s;
    if ((*out)[0].task_id != o.task_id) {
      return Status::InvalidArgument("execution " + o.execution_id + " belongs to task " +
                                     (*out)[0].task_id + ", not " + o.task_id);
    }
    return Status::OK();
  }
  Stmt q(c, std::string(sqlite::kSelectExecution) + "WHERE task_id = ? AND " +
                sqlite::kExecutionIsActive);
  q.BindAll(o.task_id);
  return sqlite::CollectExecutions(q, out);
}

}  // namespace

Status SqliteStore::Claim(const ClaimRequest& req, taskexec::Claim* out) {
  if (req.task_id.empty() || req.executor_id.empty() || req.execution_id.empty() ||
      req.agent.empty()) {
    return Status::InvalidArgument("claim needs task_id, executor_id, execution_id and agent");
  }
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, req.task_id, &t);
    if (!s.ok()) return s;
    s = CheckClaimable(t, req);
    if (!s.ok()) return s;

    SessionExecution e;
    e.id = req.execution_id;
    e.task_id = t.id;
    e.agent = req.agent;
    e.attempt = t.retry_count + 1;
    e.status = ExecutionStatus::kActive;
    e.session_label = req.session_label;
    e.executor_id = req.executor_id;
    e.started_at = req.now;
    e.log_path = req.log_path;
    e.manual = req.manual;

    t.status = TaskStatus::kAssigned;
    t.claimed_by = req.agent;
    t.lease_owner = req.executor_id;
    t.lease_expires_at = req.lease_expires_at;
    t.requested_execution_id.clear();
    t.requested_agent.clear();
    s = sqlite::SaveTask(c, &t, req.now);
    if (!s.ok()) return s;
    s = sqlite::InsertExecution(c, e);
    if (s.IsConflict()) return Status::Conflict("execution " + e.id + " already exists");
    if (!s.ok()) return s;
    if (out != nullptr) {
      out->task = t;
      out->execution = e;
    }
    return Status::OK();
  });
}

Status SqliteStore::MarkStarted(const std::string& task_id, const std::string& execution_id,
                                const std::string& executor_id, int64_t pid, TimeMs now) {
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, task_id, &t);
    if (!s.ok()) return s;
    s = CheckLease(t, executor_id);
    if (!s.ok()) return s;
    SessionExecution e;
    s = sqlite::LoadExecution(c, execution_id, &e);
    if (!s.ok()) return s;
    if (e.task_id != task_id) {
      return Status::InvalidArgument("execution " + execution_id + " belongs to task " + e.task_id);
    }
    if (e.status != ExecutionStatus::kActive) {
      return Status::Conflict("execution " + execution_id + " already ended");
    }
    e.pid = pid;
    s = sqlite::SaveExecution(c, e);
    if (!s.ok()) return s;
    if (t.status != TaskStatus::kInProgress) {
      t.status = TaskStatus::kInProgress;
      t.started_at = now;
    }
    return sqlite::SaveTask(c, &t, now);
  });
}

Status SqliteStore::RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                                std::vector<std::string>* held) {
  if (executor_id.empty()) return Status::InvalidArgument("executor id is required");
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    std::vector<Task> tasks;
    Stmt q(c, std::string(sqlite::kSelectTask) +
                  "WHERE lease_owner = ? AND status IN ('assigned', 'claimed', 'in_progress') "
                  "ORDER BY rowid");
    q.BindAll(executor_id);
    Status s = sqlite::CollectTasks(q, &tasks);
    if (!s.ok()) return s;
    if (held != nullptr) held->clear();
    for (Task& t : tasks) {
      t.lease_expires_at = lease_expires_at;
      s = sqlite::SaveTask(c, &t, now);
      if (!s.ok()) return s;
      if (held != nullptr) held->push_back(t.id);
    }
    return Status::OK();
  });
}

Status SqliteStore::FinishAttempt(const AttemptOutcome& o) {
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, o.task_id, &t);
    if (!s.ok()) return s;
    s = CheckLease(t, o.executor_id);
    if (!s.ok()) return s;
    if (o.require_expired_lease && t.lease_expires_at >= o.now) {
      return Status::Conflict("lease on task " + t.id + " has not expired");
    }
    if (!CanTransition(t.status, o.task_status)) {
      return Status::InvalidArgument("an attempt cannot move task " + t.id + " from " +
                                     StatusName(t.status) + " to " + StatusName(o.task_status));
    }
    std::vector<SessionExecution> execs;
    s = ExecutionsToClose(c, o, &execs);
    if (!s.ok()) return s;
    for (SessionExecution& e : execs) {
      ApplyOutcome(o, &e);
      s = sqlite::SaveExecution(c, e);
      if (!s.ok()) return s;
    }
    for (Artifact a : o.artifacts) {
      if (a.id.empty()) a.id = NewId("art");
      if (a.task_id.empty()) a.task_id = o.task_id;
      if (a.execution_id.empty()) a.execution_id = o.execution_id;
      if (a.created_at == 0) a.created_at = o.now;
      s = sqlite::InsertArtifact(c, a);
      if (s.IsConflict()) return Status::Conflict("artifact " + a.id + " already exists");
      if (!s.ok()) return s;
    }
    ApplyOutcome(o, &t);
    return sqlite::SaveTask(c, &t, o.now);
  });
}

}  // namespace taskexec
