// AgentLauncher: how the engine starts, stops and reaps agent sessions --
// the one seam between deciding what runs (engine/) and running it (this
// module), as a build tool's scheduler is handed a command runner. The
// engine gets one at construction; production uses ProcessLauncher
// (process_launcher.h: real children through the ProcessSupervisor), engine
// tests a scripted fake that starts nothing.
//
// Thread-safety: implementations are safe to call from any thread; `done`
// may run on any thread (the engine queues it to its loop).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/domain.h"
#include "core/status.h"
#include "runner/outcome.h"

namespace taskexec {

struct AgentJob {
  Task task;
  SessionExecution execution;   // id, agent, attempt, session_label are used
  std::string checkpoint_json;  // empty or "{}" = none
  // The earlier session this attempt continues (the command gets the resume
  // arguments); empty = a fresh session.
  std::string resume_session_id;
};

// What a running attempt's agent showed last (AgentLauncher::Progress).
struct AttemptProgress {
  TimeMs last_output_at = 0;  // 0 before the first output
  std::string last_line;      // runner/progress_line.h; may be empty
};

class AgentLauncher {
 public:
  using DoneCallback = std::function<void(const AgentResult&)>;
  virtual ~AgentLauncher() = default;

  // Where the attempt's output will be logged (recorded with the claim).
  virtual std::string LogPath(const std::string& execution_id) const = 0;

  // Starts the attempt. OK exactly when `done` will be called (once) with
  // its result; *pid = the session's process (group) id, or 0. Otherwise
  // `done` is never called and the status says why (AgentRunner::Start's
  // codes); FailedToStart turns it into the attempt's result.
  virtual Status Start(const AgentJob& job, DoneCallback done, int64_t* pid) = 0;

  // Whether an attempt's files can be made now (its log and work dirs take
  // a write): what the engine asks, after an attempt could not start for a
  // fault of the service's own (IOError), before it takes work again. IOError
  // saying which dir and why otherwise.
  virtual Status CheckFiles() const { return Status::OK(); }

  // Self-fencing: the leases of every attempt running here were renewed
  // and hold for `fence_in_ms` more. When that passes with no later call,
  // every attempt still running is stopped (TERM, `grace_ms`, KILL), even
  // if this process is frozen, so none runs on once another service may
  // claim its task. No-op by default (nothing runs outside this process).
  virtual void LeaseRenewed(int64_t fence_in_ms, int64_t grace_ms) {
    (void)fence_in_ms;
    (void)grace_ms;
  }

  // The result an attempt ended with, as kept when it ended (the outcome
  // file, outcome_file.h), for an attempt whose service died before the
  // store took its outcome: a recovery records that result instead of
  // `lost`, so the agent's work is not done twice. False when none is kept
  // here (the attempt did not end, or ended on another machine).
  virtual bool EndedWhileAway(const SessionExecution& execution, AgentResult* result) {
    (void)execution;
    (void)result;
    return false;
  }
  // The store took the attempt's outcome: what was kept for EndedWhileAway
  // may go.
  virtual void OutcomeRecorded(const SessionExecution& execution) { (void)execution; }

  // Stops a running attempt (TERM, then KILL after the grace); its `done`
  // then reports kCancelled. NotFound when it is not running here.
  virtual Status Cancel(const std::string& execution_id) = 0;

  // When the running attempt's agent last wrote output and the last line of
  // it worth showing; empty before its first output or when it is not
  // running here.
  virtual AttemptProgress Progress(const std::string& execution_id) const = 0;

  // Stops every attempt still running (TERM, KILL after `grace_ms`) and
  // returns once each one's `done` has been called. No Start after this.
  virtual void Shutdown(int64_t grace_ms) = 0;

  // An attempt recorded by an executor that died: if its process still runs
  // on this machine, kill its group. True when something was killed.
  virtual bool KillOrphan(const SessionExecution& execution) = 0;
};

// The result to record for an attempt whose Start() failed: kFailed with the
// status message as error, and the type from the status code:
// InvalidArgument -> "invalid_command" (the template or config is wrong),
// IOError/Unavailable -> "resource_error" (no process slot, descriptors or
// disk for the log: the service's fault, which the engine records as a
// release, not as one of the task's attempts), else "spawn_error" (program
// missing or not executable; not retried, it needs a fix).
AgentResult FailedToStart(const Status& status);

}  // namespace taskexec
