// Slots: what the engine may start now -- the global cap
// (executor.max_concurrent), each agent's (executor.per_agent_limit,
// executor.agent_limits) and each task type's
// (executor.max_concurrent_by_type) against the attempts running here --
// and the queue order across agents. Pure bookkeeping, no I/O: Dispatch
// asks each agent for FreeFor(agent) tasks of the types not FullTypes(),
// and Takes a slot per launch (Give returns it when the launch fails). Types compare
// case-insensitively.
//
// Thread-safety: a value; not shared between threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/domain.h"

namespace taskexec {

class Slots {
 public:
  Slots(int max_global, int per_agent_limit, const std::map<std::string, int>& agent_limits,
        const std::map<std::string, int>& type_limits = {});

  // Counts `n` attempts of tasks of `type` already running on `agent`.
  void CountRunning(const std::string& agent, const std::string& type = "", int n = 1);

  int LimitFor(const std::string& agent) const;
  int FreeGlobal() const { return max_global_ - running_; }
  // min(the agent's free slots, the free global slots), never negative.
  int FreeFor(const std::string& agent) const;
  // Whether a task of `type` may start (its type is under its cap, or has
  // none).
  bool TypeHasRoom(const std::string& type) const;
  // The capped types at their cap (lower case, sorted): what a listing of
  // runnable tasks leaves out.
  std::vector<std::string> FullTypes() const;
  // Takes a slot for a launch of a `type` task on `agent`; false (nothing
  // taken) when full.
  bool Take(const std::string& agent, const std::string& type = "");
  // Gives back a slot Take took for a launch that did not start.
  void Give(const std::string& agent, const std::string& type = "");

 private:
  int max_global_;
  int per_agent_limit_;
  std::map<std::string, int> agent_limits_;  // a copy: a few entries
  std::map<std::string, int> type_limits_;   // lower-cased type -> cap
  int running_ = 0;
  std::map<std::string, int> by_agent_;
  std::map<std::string, int> by_type_;  // lower-cased; capped types only
};

// Queue order across agents: priority weight (desc), age, id.
bool QueueBefore(const Task& a, const Task& b);

}  // namespace taskexec
