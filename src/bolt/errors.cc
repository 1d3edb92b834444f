#include "bolt/errors.h"

namespace taskexec::bolt {
namespace {
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

Status FailureToStatus(const ServerError& e) {
  std::string text = e.code + ": " + e.message;
  if (StartsWith(e.code, "Neo.TransientError.")) return Status::Unavailable(std::move(text));
  if (e.code == "Neo.ClientError.Schema.ConstraintValidationFailed") {
    return Status::Conflict(std::move(text));
  }
  if (e.code == "Neo.ClientError.Cluster.NotALeader" ||
      e.code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase") {
    return Status::Unavailable(std::move(text));
  }
  if (StartsWith(e.code, "Neo.ClientError.")) return Status::InvalidArgument(std::move(text));
  return Status::Internal(std::move(text));
}

std::string_view NeoCode(const Status& s) {
  std::string_view m = s.message();
  if (!StartsWith(m, "Neo.")) return {};
  size_t colon = m.find(':');
  return colon == std::string_view::npos ? m : m.substr(0, colon);
}

bool IsRetryable(const Status& s) {
  if (s.ok()) return false;
  std::string_view code = NeoCode(s);
  if (code.empty()) return s.IsUnavailable();  // connection lost or refused
  if (code == "Neo.TransientError.Transaction.Terminated" ||
      code == "Neo.TransientError.Transaction.LockClientStopped") {
    return false;
  }
  return StartsWith(code, "Neo.TransientError.") || IsNotWriter(s);
}

bool IsNotWriter(const Status& s) {
  std::string_view code = NeoCode(s);
  return code == "Neo.ClientError.Cluster.NotALeader" ||
         code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase";
}

}  // namespace taskexec::bolt
