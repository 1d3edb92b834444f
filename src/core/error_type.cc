#include "core/error_type.h"

namespace taskexec {

const std::vector<ErrorTypeInfo>& ErrorTypeTable() {
  using E = ErrorType;
  static const std::vector<ErrorTypeInfo> table = {
      {E::kTimeoutError, "timeout_error", true,
       "a timeout: ours (the per-task deadline) or reported by the agent"},
      {E::kConnectionError, "connection_error", true, "network or gateway connection failed"},
      {E::kApiError, "api_error", true, "the model/API provider failed (5xx, overloaded)"},
      {E::kRateLimit, "rate_limit", true, "the provider throttled us"},
      {E::kCrash, "crash", true, "the agent was killed by a signal taskexec did not send"},
      {E::kLost, "lost", true, "the executor running the attempt died (lease expired)"},
      {E::kTimeout, "timeout", true, "alias of timeout_error kept for other tools"},
      {E::kSyntaxError, "syntax_error", false, "the agent hit a syntax error"},
      {E::kTypeError, "type_error", false, "the agent hit a type error"},
      {E::kImportError, "import_error", false, "a module or dependency is missing"},
      {E::kPermissionError, "permission_error", false, "permission or credential problem"},
      {E::kResourceError, "resource_error", true,
       "the agent could not be started for lack of resources (processes, descriptors, disk)"},
      {E::kSpawnError, "spawn_error", false, "the agent program is missing"},
      {E::kInvalidCommand, "invalid_command", false,
       "the agent command template or its expansion is invalid, or the program is not executable"},
      {E::kExecutionError, "execution_error", false,
       "TASK_FAILED, or a non-zero exit with no better clue"},
      {E::kCancelled, "cancelled", false, "cancelled on request"},
      {E::kReleased, "released", false,
       "the executor stopped before the session ended; the task went back to the queue"},
      {E::kStalled, "stalled", true,
       "the agent wrote nothing to stdout or stderr for agent.stall_seconds; its process group "
       "was stopped"},
      {E::kSessionNotFound, "session_not_found", true,
       "the agent does not know the session the attempt resumed; the next attempt starts fresh"},
      {E::kApprovalRequired, "approval_required", false,
       "the agent wanted to do something that needs a person's approval and was refused "
       "(agent.approvals)"},
      {E::kBudgetExhausted, "budget_exhausted", false,
       "the task reached one of its limits (budget.*, or its own): nothing starts it again until "
       "the limit is raised or `execute --force` runs it"},
      {E::kUsageLimit, "usage_limit", true,
       "the provider's usage or quota limit: the agent is paused until the limit resets (or "
       "agent.usage_limit_pause_seconds) and the task waits in pending, its retries untouched"},
      {E::kWorkspaceError, "workspace_error", true,
       "the attempt's workspace could not be made or prepared: git, or a failing "
       "workspace.after_create or workspace.before_run hook"},
      {E::kVerificationFailed, "verification_failed", true,
       "the agent reported completion but agent.verify failed, or agent.require_changes found "
       "nothing changed in the workspace; the next attempt's prompt says why"},
      {E::kDependencyFailed, "dependency_failed", false,
       "a task this one depends on (blocked_by) ended failed or cancelled; the task is blocked "
       "until that task is re-run and completes, or the dependency is dropped"},
      {E::kUnknown, "unknown", false, "anything else"},
  };
  return table;
}

std::string_view ToString(ErrorType type) {
  for (const ErrorTypeInfo& info : ErrorTypeTable())
    if (info.type == type) return info.name;
  return "";
}

std::optional<ErrorType> ParseErrorType(std::string_view name) {
  if (name.empty()) return ErrorType::kNone;
  for (const ErrorTypeInfo& info : ErrorTypeTable())
    if (info.name == name) return info.type;
  return std::nullopt;
}

ErrorType ErrorTypeOrUnknown(std::string_view name) {
  return ParseErrorType(name).value_or(ErrorType::kUnknown);
}

bool IsRetryable(ErrorType type) {
  for (const ErrorTypeInfo& info : ErrorTypeTable())
    if (info.type == type) return info.retryable;
  return false;
}

}  // namespace taskexec
