// Which earlier agent session, if any, a task's next attempt continues
// (agent.resume). A pure rule of the task as read before its claim:
//
//   never     always a fresh session;
//   on_reply  after a person answered the agent's question, and on a retry
//             after the attempt ran out of time, crashed or was lost with
//             its executor: the work the session holds is worth keeping
//             (the default);
//   on_retry  on every retry;
//   always    whenever the task has a session, also for `execute` of a
//             finished task.
// Never when the task has no session, when the agent refused that session
// (session_not_found: the next attempt starts fresh), or when the command
// has no resume arguments.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/domain.h"
#include "core/status.h"

namespace taskexec {

enum class ResumeMode { kNever, kOnReply, kOnRetry, kAlways };

// "never", "on_reply", "on_retry", "always"; InvalidArgument otherwise.
Status ParseResumeMode(const std::string& text, ResumeMode* mode);

// The session to continue, or "" for a fresh one. `can_resume`: the
// configured command has resume arguments.
std::string SessionToResume(const Task& task, ResumeMode mode, bool can_resume);

}  // namespace taskexec
