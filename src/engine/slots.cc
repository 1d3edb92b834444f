#include "engine/slots.h"

#include <algorithm>
#include <tuple>

namespace taskexec {

Slots::Slots(int max_global, int per_agent_limit, const std::map<std::string, int>& agent_limits)
    : max_global_(max_global), per_agent_limit_(per_agent_limit), agent_limits_(agent_limits) {}

void Slots::CountRunning(const std::string& agent) {
  ++running_;
  ++by_agent_[agent];
}

int Slots::LimitFor(const std::string& agent) const {
  auto it = agent_limits_.find(agent);
  return it != agent_limits_.end() ? it->second : per_agent_limit_;
}

int Slots::FreeFor(const std::string& agent) const {
  auto it = by_agent_.find(agent);
  const int running = it == by_agent_.end() ? 0 : it->second;
  return std::max(0, std::min(LimitFor(agent) - running, FreeGlobal()));
}

bool Slots::Take(const std::string& agent) {
  if (FreeFor(agent) <= 0) return false;
  CountRunning(agent);
  return true;
}

bool QueueBefore(const Task& a, const Task& b) {
  return std::make_tuple(-PriorityWeight(a.priority), a.created_at, a.id) <
         std::make_tuple(-PriorityWeight(b.priority), b.created_at, b.id);
}

}  // namespace taskexec
