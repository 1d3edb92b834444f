#include "engine/resume_policy.h"

namespace taskexec {

namespace {

// Failures that cut a session short through no fault of its content.
bool InterruptedSession(ErrorType type) {
  return type == ErrorType::kTimeoutError || type == ErrorType::kTimeout ||
         type == ErrorType::kStalled || type == ErrorType::kCrash || type == ErrorType::kLost;
}

}  // namespace

Status ParseResumeMode(const std::string& text, ResumeMode* mode) {
  if (text == "never") {
    *mode = ResumeMode::kNever;
  } else if (text == "on_reply") {
    *mode = ResumeMode::kOnReply;
  } else if (text == "on_retry") {
    *mode = ResumeMode::kOnRetry;
  } else if (text == "always") {
    *mode = ResumeMode::kAlways;
  } else {
    return Status::InvalidArgument("agent.resume: \"" + text +
                                   "\" is not allowed; expected never, on_reply, on_retry or "
                                   "always");
  }
  return Status::OK();
}

std::string SessionToResume(const Task& task, ResumeMode mode, bool can_resume) {
  if (!can_resume || task.session_id.empty()) return "";
  if (task.error_type == ErrorType::kSessionNotFound) return "";
  const bool retry = task.status == TaskStatus::kRetrying;
  // The first attempt after a person answered: re-queued with the reply and
  // no error yet.
  const bool answered = task.status == TaskStatus::kPending && !task.reply.empty() &&
                        task.error_type == ErrorType::kNone;
  switch (mode) {
    case ResumeMode::kNever:
      return "";
    case ResumeMode::kOnReply:
      return answered || (retry && InterruptedSession(task.error_type)) ? task.session_id : "";
    case ResumeMode::kOnRetry:
      return answered || retry ? task.session_id : "";
    case ResumeMode::kAlways:
      return task.session_id;
  }
  return "";
}

}  // namespace taskexec
