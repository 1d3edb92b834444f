#include "core/task_status.h"

#include <array>
#include <utility>

namespace taskexec {
namespace {

using S = TaskStatus;

constexpr std::array<std::pair<S, std::string_view>, 12> kTaskNames{{
    {S::kPending, "pending"},
    {S::kAssigned, "assigned"},
    {S::kClaimed, "claimed"},
    {S::kInProgress, "in_progress"},
    {S::kRetrying, "retrying"},
    {S::kCompleted, "completed"},
    {S::kFailed, "failed"},
    {S::kCancelled, "cancelled"},
    {S::kSuspended, "suspended"},
    {S::kPendingReview, "pending_review"},
    {S::kReview, "review"},
    {S::kBlocked, "blocked"},
}};

using E = ExecutionStatus;
constexpr std::array<std::pair<E, std::string_view>, 6> kExecNames{{
    {E::kActive, "active"},
    {E::kCompleted, "completed"},
    {E::kFailed, "failed"},
    {E::kTimedOut, "timed_out"},
    {E::kCancelled, "cancelled"},
    {E::kLost, "lost"},
}};

struct Edge {
  S from;
  S to;
  const char* why;
};

// The whole state machine. A person (CLI, API, Notion) may re-queue or hold a
// task; the engine drives the claim -> run -> outcome path.
constexpr Edge kEdges[] = {
    // Claiming and running.
    {S::kPending, S::kAssigned, "claimed by an executor"},
    {S::kRetrying, S::kAssigned, "retry claimed"},
    {S::kAssigned, S::kInProgress, "session spawned"},
    {S::kClaimed, S::kInProgress, "legacy claim spawned"},
    // Outcomes of an attempt (spawn failures end an assigned task directly).
    {S::kInProgress, S::kCompleted, "agent reported success"},
    {S::kInProgress, S::kRetrying, "retryable failure, retries left"},
    {S::kInProgress, S::kFailed, "non-retryable failure or retries exhausted"},
    {S::kAssigned, S::kRetrying, "spawn failed or executor lost, retries left"},
    {S::kAssigned, S::kFailed, "spawn failed, not retryable"},
    {S::kClaimed, S::kRetrying, "executor lost, retries left"},
    {S::kClaimed, S::kFailed, "executor lost, retries exhausted"},
    // Release at shutdown: back to the queue without spending a retry.
    {S::kAssigned, S::kPending, "released at shutdown"},
    {S::kClaimed, S::kPending, "released at shutdown"},
    {S::kInProgress, S::kPending, "released at shutdown, or moved back to To Do"},
    // Cancellation from any non-terminal state.
    {S::kPending, S::kCancelled, "cancelled"},
    {S::kRetrying, S::kCancelled, "cancelled"},
    {S::kAssigned, S::kCancelled, "cancelled"},
    {S::kClaimed, S::kCancelled, "cancelled"},
    {S::kInProgress, S::kCancelled, "cancelled"},
    {S::kSuspended, S::kCancelled, "cancelled"},
    {S::kPendingReview, S::kCancelled, "cancelled"},
    {S::kReview, S::kCancelled, "cancelled"},
    {S::kBlocked, S::kCancelled, "cancelled"},
    // Re-queue by a person.
    {S::kFailed, S::kPending, "re-queued"},
    {S::kCancelled, S::kPending, "re-queued"},
    {S::kCompleted, S::kPending, "re-opened"},
    {S::kRetrying, S::kPending, "retry now"},
    {S::kSuspended, S::kPending, "moved to To Do"},
    {S::kPendingReview, S::kPending, "approved"},
    {S::kReview, S::kPending, "sent back"},
    {S::kBlocked, S::kPending, "unblocked"},
    // Holding a waiting task on the board.
    {S::kPending, S::kSuspended, "moved to Backlog"},
    {S::kPending, S::kPendingReview, "moved to Pending Review"},
    {S::kPending, S::kBlocked, "moved to Blocked"},
    {S::kPending, S::kReview, "moved to Review"},
    {S::kRetrying, S::kSuspended, "moved to Backlog"},
    {S::kRetrying, S::kBlocked, "moved to Blocked"},
    {S::kFailed, S::kBlocked, "failure shown as Blocked"},
    {S::kFailed, S::kSuspended, "moved to Backlog"},
    {S::kCancelled, S::kSuspended, "moved to Backlog"},
    {S::kSuspended, S::kBlocked, "moved to Blocked"},
    {S::kBlocked, S::kSuspended, "moved to Backlog"},
    {S::kCompleted, S::kReview, "moved to Review"},
    {S::kReview, S::kCompleted, "review passed"},
    {S::kPendingReview, S::kSuspended, "moved to Backlog"},
    {S::kSuspended, S::kPendingReview, "moved to Pending Review"},
    // Done by a person.
    {S::kPending, S::kCompleted, "marked Done by a person"},
    {S::kSuspended, S::kCompleted, "marked Done by a person"},
    {S::kBlocked, S::kCompleted, "marked Done by a person"},
    {S::kFailed, S::kCompleted, "marked Done by a person"},
    {S::kPendingReview, S::kCompleted, "marked Done by a person"},
};

}  // namespace

std::string_view ToString(TaskStatus s) {
  for (const auto& [v, n] : kTaskNames)
    if (v == s) return n;
  return "unknown";
}

std::string_view ToString(ExecutionStatus s) {
  for (const auto& [v, n] : kExecNames)
    if (v == s) return n;
  return "unknown";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  for (const auto& [v, n] : kTaskNames)
    if (n == text) return v;
  return std::nullopt;
}

std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view text) {
  for (const auto& [v, n] : kExecNames)
    if (n == text) return v;
  return std::nullopt;
}

const std::vector<TaskStatus>& AllTaskStatuses() {
  static const std::vector<TaskStatus> all = [] {
    std::vector<TaskStatus> v;
    for (const auto& [s, n] : kTaskNames) v.push_back(s);
    return v;
  }();
  return all;
}

bool IsTerminal(TaskStatus s) {
  return s == S::kCompleted || s == S::kFailed || s == S::kCancelled;
}

bool IsHeld(TaskStatus s) { return s == S::kAssigned || s == S::kClaimed || s == S::kInProgress; }

bool IsRunnable(TaskStatus s) { return s == S::kPending || s == S::kRetrying; }

bool CanTransition(TaskStatus from, TaskStatus to) {
  for (const Edge& e : kEdges)
    if (e.from == from && e.to == to) return true;
  return false;
}

}  // namespace taskexec
