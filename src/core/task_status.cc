#include "core/task_status.h"

#include <array>
#include <utility>

namespace taskexec {
namespace {

using S = TaskStatus;

constexpr std::array<std::pair<S, std::string_view>, 13> kTaskNames{{
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
    {S::kNeedsInput, "needs_input"},
}};

using E = ExecutionStatus;
constexpr std::array<std::pair<E, std::string_view>, 7> kExecNames{{
    {E::kActive, "active"},
    {E::kCompleted, "completed"},
    {E::kFailed, "failed"},
    {E::kTimedOut, "timed_out"},
    {E::kCancelled, "cancelled"},
    {E::kLost, "lost"},
    {E::kNeedsInput, "needs_input"},
}};

struct Edge {
  S from;
  S to;
  const char* who;  // the engine, a person (CLI, API, dashboard, Notion), or either
  const char* why;
};

// The whole state machine. A person (CLI, API, Notion) may re-queue or hold a
// task; the engine drives the claim -> run -> outcome path.
constexpr Edge kEdges[] = {
    // Claiming and running. The engine's claim starts the attempt; assigned
    // and claimed are the two-step claims of earlier versions and other tools.
    {S::kPending, S::kInProgress, "the engine", "claimed and started by an executor"},
    {S::kRetrying, S::kInProgress, "the engine", "retry claimed and started"},
    {S::kPending, S::kAssigned, "the engine", "claimed by an executor (earlier versions)"},
    {S::kRetrying, S::kAssigned, "the engine", "retry claimed (earlier versions)"},
    {S::kAssigned, S::kInProgress, "the engine", "session spawned"},
    {S::kClaimed, S::kInProgress, "the engine", "legacy claim spawned"},
    // Outcomes of an attempt, a failed spawn's included.
    {S::kInProgress, S::kCompleted, "the engine", "agent reported success"},
    {S::kInProgress, S::kRetrying, "the engine", "retryable failure, retries left"},
    {S::kInProgress, S::kFailed, "the engine", "non-retryable failure or retries exhausted"},
    {S::kInProgress, S::kNeedsInput, "the engine", "the agent asked a person a question"},
    {S::kAssigned, S::kRetrying, "the engine", "spawn failed or executor lost, retries left"},
    {S::kAssigned, S::kFailed, "the engine", "spawn failed, not retryable"},
    {S::kClaimed, S::kRetrying, "the engine", "executor lost, retries left"},
    {S::kClaimed, S::kFailed, "the engine", "executor lost, retries exhausted"},
    // A queued task whose budget is spent is ended before it starts.
    {S::kPending, S::kFailed, "the engine", "budget spent, checked before a start"},
    {S::kRetrying, S::kFailed, "the engine", "budget spent, checked before a start"},
    // Release at shutdown: back to the queue without spending a retry.
    {S::kAssigned, S::kPending, "the engine", "released at shutdown"},
    {S::kClaimed, S::kPending, "the engine", "released at shutdown"},
    {S::kInProgress, S::kPending, "the engine or a person",
     "released at shutdown, the provider's usage limit, or moved back to To Do"},
    // Cancellation from any non-terminal state.
    {S::kPending, S::kCancelled, "a person", "cancelled"},
    {S::kRetrying, S::kCancelled, "a person", "cancelled"},
    {S::kAssigned, S::kCancelled, "a person, carried out by the engine", "cancelled"},
    {S::kClaimed, S::kCancelled, "a person, carried out by the engine", "cancelled"},
    {S::kInProgress, S::kCancelled, "a person, carried out by the engine", "cancelled"},
    {S::kSuspended, S::kCancelled, "a person", "cancelled"},
    {S::kPendingReview, S::kCancelled, "a person", "cancelled"},
    {S::kReview, S::kCancelled, "a person", "cancelled"},
    {S::kBlocked, S::kCancelled, "a person", "cancelled"},
    {S::kNeedsInput, S::kCancelled, "a person", "cancelled"},
    // Re-queue by a person.
    {S::kFailed, S::kPending, "a person", "re-queued"},
    {S::kCancelled, S::kPending, "a person", "re-queued"},
    {S::kCompleted, S::kPending, "a person", "re-opened"},
    {S::kRetrying, S::kPending, "a person", "retry now"},
    {S::kSuspended, S::kPending, "a person", "moved to To Do"},
    {S::kPendingReview, S::kPending, "a person", "approved"},
    {S::kReview, S::kPending, "a person", "sent back"},
    {S::kBlocked, S::kPending, "a person or the store",
     "unblocked, or no dependency failed or cancelled any more"},
    {S::kNeedsInput, S::kPending, "a person", "answered (task reply), or moved back to To Do"},
    // Holding a waiting task on the board.
    {S::kPending, S::kSuspended, "a person", "moved to Backlog"},
    {S::kPending, S::kPendingReview, "a person", "moved to Pending Review"},
    {S::kPending, S::kBlocked, "a person or the store",
     "moved to Blocked, or a dependency failed or was cancelled"},
    {S::kPending, S::kReview, "a person", "moved to Review"},
    {S::kRetrying, S::kSuspended, "a person", "moved to Backlog"},
    {S::kRetrying, S::kBlocked, "a person or the store",
     "moved to Blocked, or a dependency failed or was cancelled"},
    {S::kFailed, S::kBlocked, "a person", "failure shown as Blocked"},
    {S::kFailed, S::kSuspended, "a person", "moved to Backlog"},
    {S::kCancelled, S::kSuspended, "a person", "moved to Backlog"},
    {S::kSuspended, S::kBlocked, "a person", "moved to Blocked"},
    {S::kBlocked, S::kSuspended, "a person", "moved to Backlog"},
    {S::kCompleted, S::kReview, "a person", "moved to Review"},
    {S::kReview, S::kCompleted, "a person", "review passed"},
    {S::kPendingReview, S::kSuspended, "a person", "moved to Backlog"},
    {S::kSuspended, S::kPendingReview, "a person", "moved to Pending Review"},
    // Done by a person.
    {S::kPending, S::kCompleted, "a person", "marked Done by a person"},
    {S::kSuspended, S::kCompleted, "a person", "marked Done by a person"},
    {S::kBlocked, S::kCompleted, "a person", "marked Done by a person"},
    {S::kFailed, S::kCompleted, "a person", "marked Done by a person"},
    {S::kPendingReview, S::kCompleted, "a person", "marked Done by a person"},
    {S::kNeedsInput, S::kCompleted, "a person", "marked Done by a person"},
    {S::kNeedsInput, S::kSuspended, "a person", "moved to Backlog"},
    {S::kNeedsInput, S::kBlocked, "a person", "moved to Blocked"},
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

const std::vector<Transition>& Transitions() {
  static const std::vector<Transition> all = [] {
    std::vector<Transition> v;
    for (const Edge& e : kEdges) v.push_back(Transition{e.from, e.to, e.who, e.why});
    return v;
  }();
  return all;
}

bool CanTransition(TaskStatus from, TaskStatus to) {
  for (const Edge& e : kEdges)
    if (e.from == from && e.to == to) return true;
  return false;
}

}  // namespace taskexec
