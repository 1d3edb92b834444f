#include "engine/slots.h"

#include <algorithm>
#include <tuple>

#include "runner/error_classifier.h"

namespace taskexec {

Slots::Slots(int max_global, int per_agent_limit, const std::map<std::string, int>& agent_limits,
             const std::map<std::string, int>& type_limits)
    : max_global_(max_global), per_agent_limit_(per_agent_limit), agent_limits_(agent_limits) {
  for (const auto& [type, cap] : type_limits) type_limits_[LowerAscii(type)] = cap;
}

void Slots::CountRunning(const std::string& agent, const std::string& type, int n) {
  running_ += n;
  by_agent_[agent] += n;
  const std::string t = LowerAscii(type);
  if (type_limits_.count(t) != 0) by_type_[t] += n;
}

bool Slots::TypeHasRoom(const std::string& type) const {
  const std::string t = LowerAscii(type);
  auto cap = type_limits_.find(t);
  if (cap == type_limits_.end()) return true;
  auto it = by_type_.find(t);
  return (it == by_type_.end() ? 0 : it->second) < cap->second;
}

std::vector<std::string> Slots::FullTypes() const {
  std::vector<std::string> out;
  for (const auto& [type, cap] : type_limits_) {
    if (!TypeHasRoom(type)) out.push_back(type);
  }
  return out;
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

bool Slots::Take(const std::string& agent, const std::string& type) {
  if (FreeFor(agent) <= 0 || !TypeHasRoom(type)) return false;
  CountRunning(agent, type);
  return true;
}

void Slots::Give(const std::string& agent, const std::string& type) {
  auto it = by_agent_.find(agent);
  if (it == by_agent_.end() || it->second <= 0) return;  // nothing taken
  --it->second;
  --running_;
  const std::string t = LowerAscii(type);
  auto typed = by_type_.find(t);
  if (typed != by_type_.end() && typed->second > 0) --typed->second;
}

bool QueueBefore(const Task& a, const Task& b) {
  return std::make_tuple(-PriorityWeight(a.priority), a.created_at, a.id) <
         std::make_tuple(-PriorityWeight(b.priority), b.created_at, b.id);
}

}  // namespace taskexec
