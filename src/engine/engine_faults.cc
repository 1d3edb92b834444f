// The engine's answers to faults of its own service: intake held while the
// store or the attempt dirs refuse writes (IntakeHold), the lease fence
// that stops attempts whose leases lapsed (self-fencing), and recording an
// attempt that ended while its service was down (the outcome file). See
// engine.h and docs/engine.md, "Leases and recovery".
#include <algorithm>

#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "engine/outcome_rules.h"

namespace taskexec {

void Engine::NoteStoreWrite(const Status& s, const char* what) {
  if (s.code() != Status::Code::kIOError && !s.IsUnavailable()) return;
  {
    MutexLock lk(&mu_);
    snapshot_.store_write_errors++;
  }
  if (hold_.Hold(IntakeHold::Cause::kStore, std::string(what) + ": " + s.message(),
                 loop_clock_->NowMs()))
    spdlog::error(
        "engine {}: refusing new work: the store refuses writes ({}: {}); running attempts go on, "
        "their outcomes are kept until the store takes them",
        executor_id_, what, s.message());
}

bool Engine::CheckIntake() {
  if (!hold_.held()) return false;
  const int64_t now = loop_clock_->NowMs();
  if (hold_.ProbeDue(IntakeHold::Cause::kStore, now)) {
    // The writes an attempt needs: its lease's renewal (a claim whose lease
    // cannot be renewed would only be fenced) and a heartbeat. Kept outcomes
    // go first: while one is refused (its duty ran just before), the store
    // is not taking writes, whatever a small one did.
    Status s = RenewLeases();
    if (s.ok()) s = SendHeartbeat();
    if (!s.ok()) {
      hold_.ProbeFailed(IntakeHold::Cause::kStore, s.message(), now);
    } else if (!unrecorded_.empty()) {
      hold_.ProbeFailed(IntakeHold::Cause::kStore, "", now);
    } else {
      hold_.Clear(IntakeHold::Cause::kStore);
    }
  }
  if (hold_.ProbeDue(IntakeHold::Cause::kFiles, now)) {
    Status s = launcher_->CheckFiles();
    if (s.ok()) {
      hold_.Clear(IntakeHold::Cause::kFiles);
    } else {
      hold_.ProbeFailed(IntakeHold::Cause::kFiles, s.message(), now);
    }
  }
  {
    MutexLock lk(&mu_);
    snapshot_.refusing_work = hold_.Reason();
  }
  if (hold_.held()) return false;
  spdlog::info("engine {}: taking new work again", executor_id_);
  return true;
}

int64_t Engine::FenceGraceMs() const {
  return std::min<int64_t>(config_.agent.kill_grace_seconds * 1000LL,
                           config_.executor.lease_seconds * 1000LL / 6);
}

int64_t Engine::FenceMarginMs() const {
  // A sixth of the lease for the clocks of other hosts and the watchdog's
  // own lateness, plus the stop's grace: the attempt is dead before its
  // lease expires. With the renewal every third of the lease, one renewal
  // may come late by a third of the lease without stopping anything.
  return config_.executor.lease_seconds * 1000LL / 6 + FenceGraceMs();
}

void Engine::ArmFence(int64_t began) {
  fence_deadline_ = began + config_.executor.lease_seconds * 1000LL - FenceMarginMs();
  launcher_->LeaseRenewed(std::max<int64_t>(0, fence_deadline_ - loop_clock_->NowMs()),
                          FenceGraceMs());
}

void Engine::NoteLapse() {
  if (fence_deadline_ != 0 && loop_clock_->NowMs() >= fence_deadline_) {
    lapsed_at_ = fence_deadline_;
    spdlog::error(
        "engine {}: the leases lapsed (not renewed for {} ms): the attempts running then were "
        "stopped by the fence and are recorded lost",
        executor_id_, config_.executor.lease_seconds * 1000LL - FenceMarginMs());
  }
}

bool Engine::Fenced(const Running& r, const AgentResult& result) const {
  if (r.cancel_sent || !result.term_signal) return false;
  // The lapse now under way, or the last one a renewal has ended since.
  const int64_t lapse = fence_deadline_ != 0 && loop_clock_->NowMs() >= fence_deadline_
                            ? fence_deadline_
                            : lapsed_at_;
  return lapse != 0 && r.claimed_loop_ms < lapse;
}

bool Engine::RecordEndedWhileAway(const Task& t, const SessionExecution& e,
                                  const AgentResult& result, bool require_expired_lease) {
  AttemptEnd end;
  end.task = &t;
  end.execution_id = e.id;
  end.executor_id = t.lease_owner;  // the lease is the dead service's
  end.result = &result;
  end.resumed = !e.resumed_session_id.empty();
  end.started_at = e.started_at;
  end.budget = budget_;
  end.now = clock_->NowMs();
  end.unit_random = Jitter();
  AttemptOutcome o = DecideOutcome(end, retry_);
  o.require_expired_lease = require_expired_lease;
  // The service died between the agent's start and recording it: the
  // attempt did start, which the outcome's transition needs.
  if (t.status == TaskStatus::kAssigned || t.status == TaskStatus::kClaimed) {
    Status started = store_->MarkStarted(t.id, e.id, t.lease_owner, result.pid, end.now);
    if (!started.ok() && !started.IsConflict())
      spdlog::warn("engine {}: recording the start of {} failed: {}", executor_id_, e.id,
                   started.ToString());
  }
  Task after;
  Status s = store_->FinishAttempt(o, &after);
  if (!s.ok()) {
    if (!s.IsConflict())
      spdlog::warn("engine {}: recording the kept outcome of {} failed: {}", executor_id_, e.id,
                   s.ToString());
    return s.IsConflict();  // someone else recorded it: nothing more to do
  }
  spdlog::warn(
      "task {}: attempt {} ended ({}) while its service was down; its kept outcome is recorded "
      "instead of running it again -> {}",
      t.id, e.id, ToString(result.status), ToString(after.status));
  launcher_->OutcomeRecorded(e);
  Recorded(after);
  return true;
}

}  // namespace taskexec
