// IntakeHold: whether the engine takes new work, and why not.
//
// The engine stops claiming tasks while the service itself cannot record or
// run an attempt: the store refuses writes (a full disk, a read-only file
// system: IOError), or the launcher cannot make an attempt's files or
// process (the log or work dir full or unwritable, no process slot).
// Starting work then would only fail tasks for a fault that is not theirs.
// Each cause is probed again until it passes: the store every second (a
// write), the launcher's files after a back-off that starts at 1 s and
// doubles with each hold up to 60 s, and resets when an attempt starts. The
// back-off bounds what a fault the probe cannot see (no process slot while
// files can be made) costs: one released attempt per back-off.
//
// Pure bookkeeping on the loop's clock; the engine does the probing.
//
// Thread-safety: a value owned by the engine thread.
#pragma once

#include <cstdint>
#include <string>

namespace taskexec {

class IntakeHold {
 public:
  enum class Cause { kStore, kFiles };

  // Holds intake for `cause` from `now` (loop ms); `why` is shown in the
  // log, `status` and /metrics. True when the cause was not held before.
  bool Hold(Cause cause, std::string why, int64_t now);
  // The cause's probe passed.
  void Clear(Cause cause);
  // The cause's probe failed at `now`, saying `why` (empty: the reason
  // stands): probed again in 1 s.
  void ProbeFailed(Cause cause, std::string why, int64_t now);
  // An attempt started: the files' back-off starts again at 1 s.
  void Started();

  bool held() const { return store_.held || files_.held; }
  bool Holds(Cause cause) const { return Of(cause).held; }
  bool ProbeDue(Cause cause, int64_t now) const;
  // Why no new work is taken ("the store refuses writes: ...; ..."), or
  // empty while work is taken.
  std::string Reason() const;

  static constexpr int64_t kProbeMs = 1000;
  static constexpr int64_t kMaxFilesBackoffMs = 60'000;

 private:
  struct State {
    bool held = false;
    std::string why;
    int64_t probe_at = 0;
  };
  State& Of(Cause cause) { return cause == Cause::kStore ? store_ : files_; }
  const State& Of(Cause cause) const { return cause == Cause::kStore ? store_ : files_; }

  State store_;
  State files_;
  int64_t files_backoff_ms_ = kProbeMs;
};

}  // namespace taskexec
