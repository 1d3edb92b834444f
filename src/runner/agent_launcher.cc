#include "runner/agent_launcher.h"

#include "runner/error_classifier.h"

namespace taskexec {

AgentResult FailedToStart(const Status& status) {
  AgentResult r;
  r.status = ExecutionStatus::kFailed;
  if (status.IsInvalidArgument()) {
    r.error_type = ErrorType::kInvalidCommand;
  } else if (status.IsIOError() || status.IsUnavailable()) {
    r.error_type = ErrorType::kResourceError;
    r.service_fault = true;
  } else {
    r.error_type = ErrorType::kSpawnError;
  }
  r.retryable = IsRetryable(r.error_type);
  r.error = SanitizeText(status.message(), kMaxErrorChars);
  return r;
}

}  // namespace taskexec
