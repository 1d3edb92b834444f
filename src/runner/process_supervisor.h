// ProcessSupervisor: starts child processes and watches all of them from one
// background thread (epoll over pidfds and output pipes), in the manner of
// ninja's subprocess code: no thread per child, no shell.
//
// Each child:
//  - is started with posix_spawn from an argv (argv[0] is resolved against
//    PATH, or against the caller's working directory when it contains '/');
//  - leads its own process group, so timeouts and cancellation signal every
//    process it started;
//  - runs in `cwd`, with exactly `env` (nothing inherited), all other
//    descriptors closed, default signal dispositions;
//  - has stdout and stderr appended to `log_path` and a bounded tail of each
//    kept in memory; with `stdout_path`, stdout alone is also written there
//    whole once it outgrows the tail (the file is not made while the tail
//    holds all of it), so a result document larger than the tail can still
//    be read;
//  - gets `stdin_data` on stdin (then EOF), or /dev/null; the data is
//    handed over whole at the start (a pipe written and closed, or an
//    in-memory file when it is larger than a pipe), so nothing of it stays
//    open here.
// On timeout, a stall (no byte on stdout or stderr for `stall_ms`) or Cancel
// the group gets SIGTERM, then SIGKILL after the grace.
// After the child exits its pipes are drained until EOF; if a leftover
// process keeps them open, reading stops after a short linger so one stray
// daemon cannot hold the result back.
//
// Children are reaped with waitpid on their own pid only; nothing here
// installs a SIGCHLD handler or calls waitpid(-1) (code elsewhere in the
// process must not either, or it would steal our exit statuses).
//
// Thread-safety: all public methods may be called from any thread, including
// from inside an ExitCallback. Callbacks run on the supervisor thread, one at
// a time, without internal locks held; they must not block for long.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "runner/attempt_zygote.h"

namespace taskexec {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] resolved via PATH if it has no '/'
  std::string cwd;                // must exist
  std::vector<std::string> env;   // the child's whole environment, "K=V"
  std::string log_path;           // stdout+stderr appended here (parent dirs created)
  // Optional: stdout alone, once larger than the tail (the file is made,
  // truncated, only then).
  std::string stdout_path;
  std::string stdin_data;  // the child's whole stdin, then EOF (empty: /dev/null)
  int64_t timeout_ms = 0;  // 0 = none; on expiry TERM the group, KILL after kill_grace_ms
  int64_t kill_grace_ms = 10000;
  // 0 = none; stopped like a timeout once no output came for this long
  // (counted from the start until the first byte).
  int64_t stall_ms = 0;
  size_t tail_bytes = 64 * 1024;  // bounded in-memory tail of stdout/stderr kept for parsing
  // Optional: the per-attempt supervisor (`taskexec-attempt`, exit_record.h)
  // to start the child through, so that its end is recorded in
  // `exit_record` even when this process is dead or frozen by then. It
  // writes the log itself and passes both streams on over one channel
  // (runner/output_frames.h), which this process reads; the channel's end
  // says it is exiting (no pidfd), and its exit status is the child's.
  std::string shim;
  std::string exit_record;
  // With the shim: the steady-clock time (MonotonicMs) after which the
  // child must not start, because the lease fence has passed (this process
  // was frozen between deciding to start it and the start); 0 = none. The
  // shim then ends as the fence's stop would have ended it, by SIGTERM.
  int64_t start_by_ms = 0;
  // How many nice levels below this process's the child runs (0..19; 0 =
  // the same): set by the shim on itself before the child starts, so the
  // child and all it starts inherit it; without the shim, set on the child
  // just after its start.
  int nice = 0;
  // With the shim: a descriptor of the caller's that the shim keeps open
  // until it exits and the child does not get (its 6): the workspace lock,
  // so that the caller may close its own while the child runs. -1 = none.
  int held_fd = -1;
};

// How a started child ended. A child that could not be started has no
// ProcessResult: Start() returns the reason instead.
struct ProcessResult {
  int64_t pid = 0;
  std::optional<int> exit_code;    // normal exit
  std::optional<int> term_signal;  // killed by a signal
  bool timed_out = false;          // our timeout fired
  bool stalled = false;            // stopped for writing nothing for stall_ms
  bool cancelled = false;          // Cancel() or Shutdown() was called
  std::string stdout_tail;         // last tail_bytes of stdout
  int64_t stdout_bytes = 0;        // all stdout read; more than stdout_tail.size() when cut
  std::string stderr_tail;         // last tail_bytes of stderr
  int64_t duration_ms = 0;
  int64_t last_output_ms = -1;  // when the last output came, in ms after the start; -1 = none
  // The newest stdout and stderr interleaved as read, at most
  // kRecentOutputBytes (RecentOutput).
  std::string recent_output;
};

// The parent environment with `extra` ("K=V") added or overriding: for
// callers that do want a child to inherit everything (tests, tools).
std::vector<std::string> MergeEnvironment(const std::vector<std::string>& extra);

// Resolves argv[0] as ProcessSupervisor::Start will: a name without '/' is
// looked up in PATH (from `env`, else the parent's); a relative path is made
// absolute against the current directory. Fails with NotFound or
// InvalidArgument (not executable), naming the program.
Status ResolveProgram(const std::string& program, const std::vector<std::string>& env,
                      std::string* resolved);

class AttemptCgroups;

// How much of a running child's newest output RecentOutput() keeps.
constexpr size_t kRecentOutputBytes = 8 * 1024;

class ProcessSupervisor {
 public:
  using ExitCallback = std::function<void(const ProcessResult&)>;

  ProcessSupervisor();
  // Kills (TERM, then KILL after 2 s) and reaps everything still running,
  // calling their callbacks with cancelled=true.
  ~ProcessSupervisor();
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  // Starts the child. On a spawn failure returns non-OK (NotFound for a
  // missing program, InvalidArgument for a bad spec or E2BIG, IOError
  // otherwise) with a message naming the program, and does not call the
  // callback. On success `on_exit` is called exactly once, later, on the
  // supervisor thread. `handle` and `pid` may be null.
  Status Start(const ProcessSpec& spec, ExitCallback on_exit, uint64_t* handle, int64_t* pid);

  // TERM the group, KILL after the child's grace; the callback later reports
  // cancelled=true. NotFound when the handle is unknown or already finished.
  Status Cancel(uint64_t handle);

  // Refuses new children, TERMs all groups, KILLs after `grace_ms`, reaps,
  // runs the remaining callbacks and joins the thread. Idempotent. Called from
  // inside a callback it only starts the stop (the thread cannot join itself).
  void Shutdown(int64_t grace_ms);

  // When the running child last wrote to stdout or stderr, in ms after its
  // start (-1: not yet). NotFound when the handle is unknown or finished.
  Status LastOutput(uint64_t handle, int64_t* ms_after_start) const;
  // The running child's newest output, stdout and stderr interleaved in the
  // order they were read, at most `max_bytes` (<= kRecentOutputBytes).
  // NotFound when the handle is unknown or finished.
  Status RecentOutput(uint64_t handle, std::string* out,
                      size_t max_bytes = kRecentOutputBytes) const;

  // Children started and not yet reported.
  size_t running() const;

 private:
  struct Child;

  // The parent's ends of a started child's descriptors, owned by the Child
  // that Register() creates.
  struct ChildFds {
    int log = -1;
    int out = -1;
    int err = -1;
  };

  // Records a spawned child and watches its descriptors; returns its handle.
  uint64_t Register(const ProcessSpec& spec, int64_t pid, ExitCallback on_exit, const ChildFds& fds)
      REQUIRES(mu_);
  void Loop();
  // How long epoll may wait: until the earliest armed timer.
  int NextTimeoutMs(int64_t now) const REQUIRES(mu_);
  // The earliest time CheckTimers or Finished could act on `c` (a deadline,
  // a stall, a kill, the end of the linger, a poll), or INT64_MAX.
  static int64_t DueAt(const Child& c, int64_t now);
  // Arms c's timer no later than DueAt. A timer may fire early (output moved
  // a stall later): it is then armed again at the new time, so a child costs
  // the loop nothing between its own events and timers.
  void Schedule(Child& c, int64_t now) REQUIRES(mu_);
  void Disarm(Child& c) REQUIRES(mu_);
  // Checks c's timers; a finished child is finalized and moved to
  // `finished`, any other is scheduled again.
  void Settle(uint64_t handle, int64_t now,
              std::vector<std::pair<ExitCallback, ProcessResult>>* finished) REQUIRES(mu_);
  void HandleEvent(Child& c, int kind) REQUIRES(mu_);
  void ReadPipe(Child& c, int kind) REQUIRES(mu_);
  // One read's bytes of stream `kind` (kStdout, kStderr), read at `now`:
  // the tails, the stdout copy, the log, the time of the last output.
  void TakeOutput(Child& c, int kind, const char* data, size_t n, int64_t now) REQUIRES(mu_);
  // Counts stdout and writes it to the stdout copy once it outgrows the tail.
  void CopyStdout(Child& c, const char* data, size_t n) REQUIRES(mu_);
  void ReapIfExited(Child& c, int64_t now) REQUIRES(mu_);
  // A framed child whose channel ended before it became a zombie: a pidfd
  // says when it does (or, without one, the timers poll).
  void WatchExit(Child& c) REQUIRES(mu_);
  void CheckTimers(Child& c, int64_t now) REQUIRES(mu_);
  // Why a child is being stopped; the first reason given is the one reported.
  enum class StopReason { kCancel, kTimeout, kStall };
  void BeginKill(Child& c, StopReason why, int64_t grace_ms, int64_t now) REQUIRES(mu_);
  // When the child counts as stalled, or 0 when it cannot stall.
  static int64_t StallAt(const Child& c);
  bool Finished(const Child& c, int64_t now) const REQUIRES(mu_);
  void Finalize(Child& c) REQUIRES(mu_);
  void CloseFd(int* fd) REQUIRES(mu_);
  void Wake();
  // Starts `request` (the supervisor `shim`'s) as a copy made by the
  // zygote: true with *pid, false when it is not to be had (none, or it
  // refused without making anything: the caller execs instead). A zygote
  // lost after it may have made a copy returns false with *lost set: that
  // start must not be tried again with the same descriptors.
  bool StartThroughZygote(const std::string& shim, const AttemptZygote::Request& request,
                          pid_t* pid, bool* lost) EXCLUDES(zygote_mu_);

  mutable Mutex mu_;
  std::map<uint64_t, std::unique_ptr<Child>> children_ GUARDED_BY(mu_);
  // (due time, handle) of every armed child timer: the loop visits only the
  // children whose time came or that had an event, never all of them.
  std::set<std::pair<int64_t, uint64_t>> timers_ GUARDED_BY(mu_);
  uint64_t next_handle_ GUARDED_BY(mu_) = 1;
  bool stopping_ GUARDED_BY(mu_) = false;
  // Per-attempt cgroup v2 scopes where this process may create them (set in
  // the constructor, then read-only); null: the process group alone.
  std::unique_ptr<AttemptCgroups> cgroups_;
  // Makes the per-attempt supervisors (runner/attempt_zygote.h); started at
  // the first attempt through `zygote_shim_`, again after a loss once
  // `zygote_retry_at_ms_` has passed.
  // Not the loop's lock: a start waits for the zygote without holding up
  // the loop.
  Mutex zygote_mu_;
  std::unique_ptr<AttemptZygote> zygote_ GUARDED_BY(zygote_mu_);
  std::string zygote_shim_ GUARDED_BY(zygote_mu_);
  int64_t zygote_retry_at_ms_ GUARDED_BY(zygote_mu_) = 0;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::thread::id loop_thread_id_;  // set once in the constructor
  Mutex join_mu_;                   // serialises joining thread_
};

// Starts `spec` on `supervisor` and waits for its end: for short helper
// commands run where waiting is right (a probe, a removal). Returns Start()'s
// error when it does not start. Never call it from a supervisor callback.
Status RunToExit(ProcessSupervisor* supervisor, const ProcessSpec& spec, ProcessResult* out);

}  // namespace taskexec
