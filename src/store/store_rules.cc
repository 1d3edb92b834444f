#include "store/store_rules.h"

#include <algorithm>
#include <string>

#include "core/ids.h"
#include "store/dependency_rules.h"

namespace taskexec::store_rules {

namespace {

std::string StatusName(TaskStatus s) { return std::string(ToString(s)); }

Status VersionConflict(const Task& t, int64_t expected_version) {
  return Status::Conflict("task " + t.id + " changed: version " + std::to_string(t.version) +
                          ", expected " + std::to_string(expected_version));
}

}  // namespace

// ---- Tasks -----------------------------------------------------------------

bool IsBlank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

Status HeldConflict(const Task& t) {
  return Status::Conflict("task " + t.id + " is running (" + StatusName(t.status) +
                          "); cancel it first");
}

void Requeue(Task* t) {
  t->status = TaskStatus::kPending;
  t->retry_count = 0;
  t->next_attempt_at = 0;
  t->error_type = ErrorType::kNone;
  t->error_message.clear();
  t->completed_at = 0;
  t->cancel_requested = false;
}

Status BuildTask(const NewTask& in, TimeMs now, Task* out) {
  if (IsBlank(in.title)) return Status::InvalidArgument("title is required");
  if (IsHeld(in.status) || in.status == TaskStatus::kRetrying) {
    return Status::InvalidArgument("a new task cannot start as " + StatusName(in.status) +
                                   "; expected pending, a held board state or a final state");
  }
  Task t;
  t.id = in.id.empty() ? NewId("task") : in.id;
  t.title = in.title;
  t.description = in.description;
  t.type = in.type;
  t.priority = in.priority;
  t.assigned_to = in.assigned_to;
  t.status = in.status;
  t.source = in.source.empty() ? "cli" : in.source;
  t.notion_page_id = in.notion_page_id;
  t.notion_url = in.notion_url;
  t.context_json = in.context_json.empty() ? "{}" : in.context_json;
  t.max_retries = in.max_retries;
  t.routed_agent = in.routed_agent;
  t.limits = in.limits;
  t.created_at = now;
  t.updated_at = now;
  t.completed_at = IsTerminal(in.status) ? now : 0;
  t.version = 1;
  *out = std::move(t);
  return Status::OK();
}

Status TaskExists(const std::string& id) {
  return Status::Conflict("task " + id + " already exists");
}

Status NotionPageTaken(const std::string& page_id, const std::string& owner) {
  return Status::Conflict("notion page " + page_id + " already has task " + owner);
}

Status CheckPatch(const TaskPatch& patch) {
  if (patch.title && IsBlank(*patch.title)) return Status::InvalidArgument("title is required");
  return Status::OK();
}

Status CheckEditable(const Task& t, int64_t expected_version) {
  if (IsHeld(t.status)) return HeldConflict(t);
  if (expected_version >= 0 && t.version != expected_version) {
    return VersionConflict(t, expected_version);
  }
  return Status::OK();
}

void ApplyPatch(const TaskPatch& patch, Task* t) {
  // The route was computed from these: the engine routes the task again.
  if (patch.title || patch.description || patch.type || patch.assigned_to) t->routed_agent.clear();
  if (patch.title) t->title = *patch.title;
  if (patch.description) t->description = *patch.description;
  if (patch.type) t->type = *patch.type;
  if (patch.priority) t->priority = *patch.priority;
  if (patch.assigned_to) t->assigned_to = *patch.assigned_to;
  if (patch.context_json) {
    t->context_json = patch.context_json->empty() ? "{}" : *patch.context_json;
  }
  if (patch.notion_url) t->notion_url = *patch.notion_url;
}

Status ApplyStatusChange(TaskStatus to, const std::string& reason, TimeMs now, Task* t,
                         bool* changed) {
  *changed = false;
  if (t->status == to) return Status::OK();  // idempotent: board syncs re-apply what they see
  if (IsHeld(t->status)) return HeldConflict(*t);
  if (!CanTransition(t->status, to)) {
    return Status::Conflict("cannot move task " + t->id + " from " + StatusName(t->status) +
                            " to " + StatusName(to));
  }
  if (to == TaskStatus::kPending) {
    Requeue(t);
  } else {
    t->status = to;
    // Only the runnable statuses carry an execution request.
    if (!IsRunnable(to)) DropExecutionRequest(t);
    if (IsTerminal(to)) t->completed_at = now;
    if (!reason.empty() &&
        (to == TaskStatus::kFailed || to == TaskStatus::kCancelled || to == TaskStatus::kBlocked)) {
      t->error_message = reason;
    }
  }
  *changed = true;
  return Status::OK();
}

Status ApplyReply(const std::string& message, Task* t) {
  if (IsBlank(message)) return Status::InvalidArgument("the reply is empty");
  if (t->status != TaskStatus::kNeedsInput) {
    return Status::Conflict("task " + t->id + " is " + StatusName(t->status) +
                            ", not waiting for an answer (needs_input)");
  }
  Requeue(t);
  t->reply = message;
  return Status::OK();
}

Status ApplyCancelRequest(const std::string& reason, TimeMs now, Task* t, bool* changed) {
  *changed = false;
  if (t->status == TaskStatus::kCancelled || (IsHeld(t->status) && t->cancel_requested)) {
    return Status::OK();  // already cancelled or cancelling
  }
  if (IsTerminal(t->status)) {
    return Status::Conflict("task " + t->id + " is " + StatusName(t->status));
  }
  if (IsHeld(t->status)) {
    // The lease owner stops the session and records the outcome.
    t->cancel_requested = true;
  } else {
    t->status = TaskStatus::kCancelled;
    t->completed_at = now;
    t->error_type = ErrorType::kCancelled;
    t->error_message = reason.empty() ? "cancelled" : reason;
    DropExecutionRequest(t);
  }
  *changed = true;
  return Status::OK();
}

Status CheckExecutionRequest(const std::string& execution_id) {
  if (execution_id.empty()) return Status::InvalidArgument("execution id is required");
  return Status::OK();
}

Status CheckCanRequestExecution(const Task& t) {
  if (IsHeld(t.status)) return HeldConflict(t);
  if (!t.requested_execution_id.empty()) {
    return Status::Conflict("task " + t.id + " already has an execution request (" +
                            t.requested_execution_id + ")");
  }
  return CheckDependenciesMet(t);
}

void ApplyExecutionRequest(const std::string& execution_id, const std::string& agent, bool force,
                           Task* t) {
  if (!IsRunnable(t->status)) Requeue(t);
  t->cancel_requested = false;
  t->requested_execution_id = execution_id;
  t->requested_agent = agent;
  t->requested_force = force;
}

void DropExecutionRequest(Task* t) {
  t->requested_execution_id.clear();
  t->requested_agent.clear();
  t->requested_force = false;
}

Status ApplyFailQueued(int64_t expected_version, ErrorType error_type, const std::string& message,
                       TimeMs now, Task* t) {
  if (!IsRunnable(t->status)) {
    return Status::Conflict("task " + t->id + " is not queued (" + StatusName(t->status) + ")");
  }
  if (t->version != expected_version) return VersionConflict(*t, expected_version);
  if (!CanTransition(t->status, TaskStatus::kFailed)) {
    return Status::Conflict("cannot move task " + t->id + " from " + StatusName(t->status) +
                            " to failed");
  }
  t->status = TaskStatus::kFailed;
  t->error_type = error_type;
  t->error_message = message;
  t->completed_at = now;
  t->next_attempt_at = 0;
  t->cancel_requested = false;
  DropExecutionRequest(t);
  return Status::OK();
}

Status ExecutionExists(const std::string& execution_id) {
  return Status::Conflict("execution " + execution_id + " already exists");
}

// ---- Attempts --------------------------------------------------------------

Status CheckClaimRequest(const ClaimRequest& req) {
  if (req.task_id.empty() || req.executor_id.empty() || req.execution_id.empty() ||
      req.agent.empty()) {
    return Status::InvalidArgument("claim needs task_id, executor_id, execution_id and agent");
  }
  return Status::OK();
}

Status CheckClaimable(const Task& t, const ClaimRequest& req) {
  if (IsHeld(t.status)) {
    return Status::Conflict(
        "task " + t.id + " is held by " +
        (t.lease_owner.empty() ? std::string("another executor") : t.lease_owner));
  }
  if (t.version != req.expected_version) return VersionConflict(t, req.expected_version);
  if (!IsRunnable(t.status)) {
    return Status::Conflict("task " + t.id + " is not runnable (" + StatusName(t.status) + ")");
  }
  if (t.cancel_requested) return Status::Conflict("task " + t.id + " has a cancel request");
  if (Status s = CheckDependenciesMet(t); !s.ok()) return s;
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

Status ClaimRefusal(const Task& t, const ClaimRequest& req) {
  if (Status s = CheckClaimable(t, req); !s.ok()) return s;
  if (!t.requested_execution_id.empty()) {
    return Status::Conflict("task " + t.id + " is reserved for requested execution " +
                            t.requested_execution_id);
  }
  return Status::Conflict("task " + t.id + " is not due yet");
}

Status CheckExecutorId(const std::string& executor_id) {
  if (executor_id.empty()) return Status::InvalidArgument("executor id is required");
  return Status::OK();
}

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

Status ApplyStarted(int64_t pid, TimeMs now, Task* t, SessionExecution* e, bool* task_moved) {
  *task_moved = false;
  if (e->task_id != t->id) {
    return Status::InvalidArgument("execution " + e->id + " belongs to task " + e->task_id);
  }
  if (e->status != ExecutionStatus::kActive) {
    return Status::Conflict("execution " + e->id + " already ended");
  }
  e->pid = pid;
  if (t->status != TaskStatus::kInProgress) {
    t->status = TaskStatus::kInProgress;
    t->started_at = now;
    *task_moved = true;
  }
  return Status::OK();
}

void SettleCancel(const Task& t, AttemptOutcome* o) {
  if (!t.cancel_requested || o->task_status == TaskStatus::kCompleted ||
      o->task_status == TaskStatus::kCancelled) {
    return;
  }
  const bool lost = o->execution_status == ExecutionStatus::kLost;
  if (!lost) o->execution_status = ExecutionStatus::kCancelled;
  o->task_status = TaskStatus::kCancelled;
  o->retry_count = t.retry_count;
  o->next_attempt_at = 0;
  o->error_type = ErrorType::kCancelled;
  o->error_message = lost ? "cancelled on request (" + o->error_message + ")"
                          : std::string("cancelled on request");
}

Status CheckFinish(const Task& t, const AttemptOutcome& o) {
  if (Status s = CheckLease(t, o.executor_id); !s.ok()) return s;
  if (o.require_expired_lease && t.lease_expires_at >= o.now) {
    return Status::Conflict("lease on task " + t.id + " has not expired");
  }
  if (!CanTransition(t.status, o.task_status)) {
    return Status::InvalidArgument("an attempt cannot move task " + t.id + " from " +
                                   StatusName(t.status) + " to " + StatusName(o.task_status));
  }
  return Status::OK();
}

Status CheckOutcomeExecution(const SessionExecution& e, const AttemptOutcome& o) {
  if (e.task_id != o.task_id) {
    return Status::InvalidArgument("execution " + o.execution_id + " belongs to task " + e.task_id +
                                   ", not " + o.task_id);
  }
  // The lease fences executors, this fences attempts: an executor that was
  // frozen past its lease may hold the task again with a later attempt by
  // the time its old attempt's end reaches the store.
  if (e.status != ExecutionStatus::kActive) {
    return Status::Conflict("execution " + o.execution_id + " of task " + o.task_id +
                            " already ended (" + std::string(ToString(e.status)) +
                            "): its outcome is not recorded again");
  }
  return Status::OK();
}

void FillArtifactDefaults(const AttemptOutcome& o, Artifact* a) {
  if (a->id.empty()) a->id = NewId("art");
  if (a->task_id.empty()) a->task_id = o.task_id;
  if (a->execution_id.empty()) a->execution_id = o.execution_id;
  if (a->created_at == 0) a->created_at = o.now;
}

Status ArtifactExists(const std::string& artifact_id) {
  return Status::Conflict("artifact " + artifact_id + " already exists");
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
  e->usage = o.usage;
  e->last_output_at = std::max(e->last_output_at, o.last_output_at);
  if (!o.last_output_line.empty()) e->last_output_line = o.last_output_line;
  if (e->pid == 0) e->pid = o.pid;
  // An attempt that asked keeps its question: the task's is replaced by the
  // next one.
  if (o.execution_status == ExecutionStatus::kNeedsInput && !o.question.empty()) {
    e->summary = o.question;
  }
}

void AddRunTime(const SessionExecution& closed, Task* t) {
  if (closed.started_at > 0 && closed.ended_at > closed.started_at) {
    t->run_ms += closed.ended_at - closed.started_at;
  }
}

void ApplyClaim(const ClaimRequest& req, Task* t) {
  t->status = TaskStatus::kInProgress;
  t->started_at = req.now;
  t->claimed_by = req.agent;
  t->lease_owner = req.executor_id;
  t->lease_expires_at = req.lease_expires_at;
  t->attempts++;
  DropExecutionRequest(t);
}

void ApplyOutcome(const AttemptOutcome& o, Task* t) {
  t->status = o.task_status;
  t->retry_count = o.retry_count;
  t->next_attempt_at = o.next_attempt_at;
  if (o.task_status == TaskStatus::kCompleted) {
    t->error_type = ErrorType::kNone;
    t->error_message.clear();
  } else if (o.task_error_type != ErrorType::kNone) {
    t->error_type = o.task_error_type;
    t->error_message = o.task_error_message;
  } else {
    t->error_type = o.error_type;
    t->error_message = o.error_message;
  }
  if (!o.summary.empty()) t->output_summary = o.summary;
  t->usage.Add(o.usage);
  if (!o.session_id.empty()) t->session_id = o.session_id;
  // A session the agent refused is never offered again.
  if (o.error_type == ErrorType::kSessionNotFound) t->session_id.clear();
  if (o.task_status == TaskStatus::kNeedsInput) {
    t->question = o.question;
    t->reply.clear();
  } else if (IsTerminal(o.task_status)) {
    // The exchange served the attempts that needed it; a re-run starts clean.
    t->question.clear();
    t->reply.clear();
  }
  t->completed_at = IsTerminal(o.task_status) ? o.now : 0;
  if (o.task_status == TaskStatus::kRetrying) t->last_retry_at = o.now;
  t->lease_owner.clear();
  t->lease_expires_at = 0;
  t->cancel_requested = false;
}

}  // namespace taskexec::store_rules
