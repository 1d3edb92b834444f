// AttemptWatchdog: stops every running attempt when the taskexec process
// that started them dies, however it dies (SIGKILL, a crash, the OOM
// killer), so no agent session runs on unseen and unaccounted for.
//
// One helper process per launcher (taskexec itself, run as
// `taskexec __watchdog <grace_ms> <launcher_pid>`, in a process group of its own so a
// terminal's Ctrl-C does not reach it) reads the ids of the running attempts
// from a pipe. When the pipe reaches end of file -- the launcher closed it,
// or the kernel did because the process died -- it sends SIGTERM, then after
// the grace SIGKILL, to every process still carrying a watched attempt's
// TASKEXEC_EXECUTION_ID, wherever it moved to (its own session, a new
// process group), then, when the launcher is dead, kills what is left in
// its attempts' cgroup v2 scopes (processes that also shed the marker), and
// exits. A restarted service then finds those attempts
// lost and retries them: an attempt is killed, never run twice at once.
//
// Self-fencing: a launcher that lives but stops renewing its leases (frozen
// by SIGSTOP, stuck on a store that refuses writes) must not run attempts
// another service may claim once the leases expire. After each renewal the
// launcher tells the helper how long the leases hold (FenceIn); when that
// time passes with no later renewal, the helper stops every watched attempt
// (SIGTERM, the fence's grace, SIGKILL) before the leases run out. The
// helper shares the launcher's steady clock (one host), and a renewal sent
// before the deadline counts even when the helper reads it after. An
// attempt watched after the deadline passed and before the next renewal
// (its launcher froze between a claim and the start) is stopped as soon as
// its processes exist.
//
// Thread-safety: Watch() and Unwatch() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/mutex.h"
#include "core/status.h"

namespace taskexec {

class AttemptWatchdog {
 public:
  // Starts `program __watchdog <grace_ms> <our pid>` (program: the taskexec binary).
  static Status Start(const std::string& program, int64_t grace_ms,
                      std::unique_ptr<AttemptWatchdog>* out);
  // Closes the pipe (anything still watched is stopped) and reaps the helper.
  ~AttemptWatchdog();
  AttemptWatchdog(const AttemptWatchdog&) = delete;
  AttemptWatchdog& operator=(const AttemptWatchdog&) = delete;

  void Watch(const std::string& execution_id);
  void Unwatch(const std::string& execution_id);
  // The watched attempts' leases were renewed and hold for `fence_in_ms`
  // more: stop them all (SIGTERM, `grace_ms`, SIGKILL) unless another
  // FenceIn comes before then.
  void FenceIn(int64_t fence_in_ms, int64_t grace_ms);

  pid_t helper_pid() const { return pid_; }

 private:
  AttemptWatchdog(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  void Send(const std::string& line);

  const pid_t pid_;
  Mutex mu_;
  int fd_ GUARDED_BY(mu_);  // the pipe's write end; -1 once it failed
};

// The helper's main: reads "+<id>" / "-<id>" lines (watch, unwatch) and
// "F<deadline> <grace_ms> <sent_at>" lines (the fence; steady-clock ms) from
// standard input until end of file, stopping what is watched when a fence's
// deadline passes; then stops what is still watched (SIGTERM, `grace_ms`,
// SIGKILL), and, once `launcher_pid` (the service that started it) has died,
// what is left in its cgroup scopes. Returns the process exit code.
int RunAttemptWatchdog(int64_t grace_ms, int64_t launcher_pid);

}  // namespace taskexec
