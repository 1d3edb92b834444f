#include "runner/agent_launcher.h"

#include "runner/error_classifier.h"

namespace taskexec {

AgentResult FailedToStart(const Status& status) {
  AgentResult r;
  r.status = ExecutionStatus::kFailed;
  if (status.IsInvalidArgument()) {
    r.error_type = "invalid_command";
  } else if (status.IsIOError() || status.IsUnavailable()) {
    r.error_type = "resource_error";
  } else {
    r.error_type = "spawn_error";
  }
  r.retryable = IsRetryableErrorType(r.error_type);
  r.error = SanitizeText(status.message(), kMaxErrorChars);
  return r;
}

}  // namespace taskexec
