#include "engine/intake_hold.h"

#include <algorithm>
#include <utility>

namespace taskexec {

bool IntakeHold::Hold(Cause cause, std::string why, int64_t now) {
  State& s = Of(cause);
  const bool fresh = !s.held;
  s.why = std::move(why);
  if (!fresh) return false;
  s.held = true;
  if (cause == Cause::kStore) {
    s.probe_at = now + kProbeMs;
  } else {
    s.probe_at = now + files_backoff_ms_;
    files_backoff_ms_ = std::min(files_backoff_ms_ * 2, kMaxFilesBackoffMs);
  }
  return true;
}

void IntakeHold::Clear(Cause cause) {
  State& s = Of(cause);
  s.held = false;
  s.why.clear();
}

void IntakeHold::ProbeFailed(Cause cause, std::string why, int64_t now) {
  State& s = Of(cause);
  if (!s.held) return;
  if (!why.empty()) s.why = std::move(why);
  s.probe_at = now + kProbeMs;
}

void IntakeHold::Started() { files_backoff_ms_ = kProbeMs; }

bool IntakeHold::ProbeDue(Cause cause, int64_t now) const {
  const State& s = Of(cause);
  return s.held && now >= s.probe_at;
}

std::string IntakeHold::Reason() const {
  std::string out;
  if (store_.held) out = "the store refuses writes: " + store_.why;
  if (files_.held) {
    if (!out.empty()) out += "; ";
    out += "cannot start an attempt: " + files_.why;
  }
  return out;
}

}  // namespace taskexec
