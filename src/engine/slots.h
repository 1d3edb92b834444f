// Slots: what the engine may start now -- the global cap
// (executor.max_concurrent) and each agent's (executor.per_agent_limit,
// executor.agent_limits) against the attempts running here -- and the queue
// order across agents. Pure bookkeeping, no I/O: Dispatch asks each agent
// for FreeFor(agent) tasks and Takes a slot per launch.
//
// Thread-safety: a value; not shared between threads.
#pragma once

#include <map>
#include <string>

#include "core/domain.h"

namespace taskexec {

class Slots {
 public:
  Slots(int max_global, int per_agent_limit, const std::map<std::string, int>& agent_limits);

  // Counts an attempt already running on `agent`.
  void CountRunning(const std::string& agent);

  int LimitFor(const std::string& agent) const;
  int FreeGlobal() const { return max_global_ - running_; }
  // min(the agent's free slots, the free global slots), never negative.
  int FreeFor(const std::string& agent) const;
  // Takes a slot for a launch on `agent`; false (nothing taken) when full.
  bool Take(const std::string& agent);

 private:
  int max_global_;
  int per_agent_limit_;
  std::map<std::string, int> agent_limits_;  // a copy: a few entries
  int running_ = 0;
  std::map<std::string, int> by_agent_;
};

// Queue order across agents: priority weight (desc), age, id.
bool QueueBefore(const Task& a, const Task& b);

}  // namespace taskexec
