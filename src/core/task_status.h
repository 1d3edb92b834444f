// Task and execution statuses and the one table of allowed task transitions.
// Names are the ones the shared graph uses, so existing Cypher queries keep
// working.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskexec {

enum class TaskStatus {
  kPending,     // waiting to be claimed
  kAssigned,    // claimed, session not yet started (claims of earlier versions)
  kClaimed,     // legacy state written by other tools; treated like kAssigned
  kInProgress,  // claimed and running (from the claim on: files, spawn, agent)
  kRetrying,    // failed with a retryable error; waits for next_attempt_at
  kCompleted,   // terminal: succeeded
  kFailed,      // terminal: out of retries or not retryable
  kCancelled,   // terminal: cancelled by a person
  // Held states from the Notion board: not run until moved back to pending.
  kSuspended,      // Backlog
  kPendingReview,  // Pending Review
  kReview,         // Review
  kBlocked,        // Blocked
  // The agent asked a question (TASK_NEEDS_INPUT); waits, holding no slot
  // and never retried on its own, until a person replies.
  kNeedsInput,
};

enum class ExecutionStatus {
  kActive,      // the agent process runs (or is being started)
  kCompleted,   // agent reported success
  kFailed,      // agent failed (exit status, TASK_FAILED, spawn error)
  kTimedOut,    // killed by the per-task timeout
  kCancelled,   // killed on request, or released at shutdown
  kLost,        // the executor holding it died (lease expired)
  kNeedsInput,  // ended with a question for a person (TASK_NEEDS_INPUT)
};

std::string_view ToString(TaskStatus s);
std::string_view ToString(ExecutionStatus s);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view text);
const std::vector<TaskStatus>& AllTaskStatuses();

// True for statuses no executor will move a task out of on its own.
bool IsTerminal(TaskStatus s);
// True while an executor holds the task (assigned, claimed, in_progress).
bool IsHeld(TaskStatus s);
// True for statuses the dispatcher may claim (pending, retrying).
bool IsRunnable(TaskStatus s);

// The transition table. Every status change in the engine, the stores and the
// sync goes through this check.
bool CanTransition(TaskStatus from, TaskStatus to);

// One allowed move and what makes it (docs/engine.md draws them all).
struct Transition {
  TaskStatus from;
  TaskStatus to;
  std::string_view who;  // "the engine", "a person", or both as it says
  std::string_view why;
};
const std::vector<Transition>& Transitions();

}  // namespace taskexec
