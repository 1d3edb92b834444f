#include "engine/duties.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace taskexec {

void Duties::Add(std::string name, int64_t period_ms, int64_t first_at, Work work) {
  duties_.push_back(
      Duty{std::move(name), std::max<int64_t>(1, period_ms), first_at, std::move(work)});
}

bool Duties::Run(Duty& d, int64_t now) {
  d.next_at = now + d.period_ms;
  return d.work();
}

bool Duties::RunDue(int64_t now, const std::string& also) {
  bool dispatch = false;
  for (Duty& d : duties_) {
    if (now >= d.next_at || (!also.empty() && d.name == also)) dispatch = Run(d, now) || dispatch;
  }
  return dispatch;
}

bool Duties::RunIfDue(const std::string& name, int64_t now) {
  for (Duty& d : duties_)
    if (d.name == name && now >= d.next_at) return Run(d, now);
  return false;
}

int64_t Duties::NextDue() const {
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const Duty& d : duties_) next = std::min(next, d.next_at);
  return next;
}

}  // namespace taskexec
