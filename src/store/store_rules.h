// store_rules: the rules every TaskStore backend applies in its transactions,
// so the backends differ only in how they read and write.
//
// A backend's write loads the task (and execution) it needs inside its
// transaction, asks these functions whether the change is allowed and what it
// does to the records, then writes the result back. The checks return the
// Status the TaskStore method returns (InvalidArgument for a bad request,
// Conflict for a state that forbids it); the messages are part of the
// contract the conformance suite (tests/store) pins, so every backend reports
// the same thing.
//
// Thread-safety: pure functions of their arguments (BuildTask and
// FillArtifactDefaults also draw fresh ids from core/ids.h, which is
// thread-safe); safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/domain.h"
#include "core/status.h"
#include "store/task_store.h"

namespace taskexec::store_rules {

// ---- Tasks -----------------------------------------------------------------

// True when `s` has nothing but whitespace.
bool IsBlank(const std::string& s);

// The Conflict a person's write gets on a task an executor holds.
Status HeldConflict(const Task& t);

// Back to the queue as a person's fresh start: pending, no retries spent, no
// error, no completion time, no cancel request.
void Requeue(Task* t);

// AddTask: validates `in` (non-blank title, a start status other than held or retrying) and builds
// the new task (generated id when empty, version 1, completed_at = now when it starts terminal).
Status BuildTask(const NewTask& in, TimeMs now, Task* out);
// AddTask's Conflicts on an existing id or a Notion page that has a task.
Status TaskExists(const std::string& id);
Status NotionPageTaken(const std::string& page_id, const std::string& owner);

// UpdateTask: validates the patch itself (non-blank title).
Status CheckPatch(const TaskPatch& patch);
// UpdateTask: Conflict if `t` is held or its version is not
// `expected_version` (< 0 skips the version check).
Status CheckEditable(const Task& t, int64_t expected_version);
// UpdateTask: copies the set fields of `patch` (an empty context_json is "{}").
// A patch of any routing input (title, description, type, assigned_to)
// clears routed_agent.
void ApplyPatch(const TaskPatch& patch, Task* t);

// SetStatus: moves `t` to `to`. Setting the current status is OK with
// *changed = false (nothing to write); a held task or a transition
// CanTransition refuses is Conflict. Moving to pending requeues; leaving the
// runnable statuses drops the execution request; a reason is kept as
// error_message for failed, cancelled and blocked.
Status ApplyStatusChange(TaskStatus to, const std::string& reason, TimeMs now, Task* t,
                         bool* changed);

// Reply: a person's answer to a needs_input task (TaskStore::Reply):
// re-queued with the answer kept; Conflict for any other status,
// InvalidArgument on a blank message.
Status ApplyReply(const std::string& message, Task* t);

// RequestCancel: an already cancelled (or cancelling) task is OK with
// *changed = false; a completed or failed one is Conflict; a held task gets
// cancel_requested (its lease owner stops the session); any other is
// cancelled now (error_type "cancelled", error_message = reason or
// "cancelled").
Status ApplyCancelRequest(const std::string& reason, TimeMs now, Task* t, bool* changed);

// RequestExecution: InvalidArgument on an empty execution id.
Status CheckExecutionRequest(const std::string& execution_id);
// RequestExecution: Conflict if `t` is held or already has a request.
Status CheckCanRequestExecution(const Task& t);
// RequestExecution: records the request (requeueing a task that is not
// runnable and dropping any cancel request).
void ApplyExecutionRequest(const std::string& execution_id, const std::string& agent, bool force,
                           Task* t);
// Drops a task's execution request (claimed, or the task left the queue).
void DropExecutionRequest(Task* t);

// FailQueued: Conflict unless `t` is queued (pending or retrying) at
// `expected_version`; then failed with the error, completed_at = now, its
// execution request dropped.
Status ApplyFailQueued(int64_t expected_version, ErrorType error_type, const std::string& message,
                       TimeMs now, Task* t);

// The Conflict for an execution id that is already taken.
Status ExecutionExists(const std::string& execution_id);

// ---- Attempts --------------------------------------------------------------

// Claim: InvalidArgument unless the request names the task, executor,
// execution and agent.
Status CheckClaimRequest(const ClaimRequest& req);
// Claim: why `req` may not claim `t`, or OK. A task with an execution request
// is claimable only by the manual claim of that execution; one without only
// by a non-manual claim once next_attempt_at has passed.
Status CheckClaimable(const Task& t, const ClaimRequest& req);
// Claim: the Conflict explaining why a backend's conditional claim matched
// nothing. Like CheckClaimable, but never OK: a task CheckClaimable would
// accept is reported as reserved (when it has a request) or not due yet.
Status ClaimRefusal(const Task& t, const ClaimRequest& req);

// RenewLeases: InvalidArgument on an empty executor id.
Status CheckExecutorId(const std::string& executor_id);

// The fence of every write made on behalf of a running attempt: Conflict
// unless `t` is held and its lease belongs to `executor_id`.
Status CheckLease(const Task& t, const std::string& executor_id);

// MarkStarted (after CheckLease): checks that `e` is an active execution of
// `t`, records the pid on it and moves `t` to in_progress (started_at = now)
// unless it already is (a task claimed by an earlier version, or by another
// tool, is `assigned` or `claimed` until then).
// *task_moved says whether `t` changed and must be written; a pid alone is
// the execution's (the task's version and place in ListChanged stay).
Status ApplyStarted(int64_t pid, TimeMs now, Task* t, SessionExecution* e, bool* task_moved);

// FinishAttempt, first: a cancel request on the task wins over any outcome
// but completion. Settling it inside the outcome's own transaction means a
// cancel that lands while the attempt ends is never lost to a retry.
void SettleCancel(const Task& t, AttemptOutcome* o);
// FinishAttempt: the lease fence (expired, with require_expired_lease) and
// CanTransition to the outcome's task status (InvalidArgument).
Status CheckFinish(const Task& t, const AttemptOutcome& o);
// FinishAttempt: InvalidArgument if the named execution `e` is not the
// outcome's task's; Conflict if it already ended (recorded lost by a
// recovery, say), whoever holds the task now.
Status CheckOutcomeExecution(const SessionExecution& e, const AttemptOutcome& o);
// FinishAttempt: an artifact's id, task, execution and creation time default
// to a fresh id and the outcome's.
void FillArtifactDefaults(const AttemptOutcome& o, Artifact* a);
// The Conflict for an artifact id that is already taken.
Status ArtifactExists(const std::string& artifact_id);

// FinishAttempt: ends an execution with the outcome.
void ApplyOutcome(const AttemptOutcome& o, SessionExecution* e);
// FinishAttempt: adds the run time of an execution the outcome closed
// (after ApplyOutcome on it) to the task's run_ms.
void AddRunTime(const SessionExecution& closed, Task* t);
// Claim: the task's side of a claim (in_progress from `req.now` for
// `req`'s agent and executor, one more attempt, the execution request
// taken). The claim starts the attempt: the engine makes its files and
// process right after, and a start that fails is the attempt's outcome.
void ApplyClaim(const ClaimRequest& req, Task* t);
// FinishAttempt: moves the task to the outcome's status and releases its
// lease. An empty summary keeps the previous output_summary.
void ApplyOutcome(const AttemptOutcome& o, Task* t);

}  // namespace taskexec::store_rules
