// Engine: dispatch. Runs on the engine thread only (see engine.h).
//
// Cost per call: one read of the store (ListForDispatch) holding the
// listing of execution requests (at most kRequestBatch, few in practice)
// and one listing per agent with tasks queued and a free slot, reading at
// most its free slots' rows (plus, when a task type is at its cap, the rows
// of that type it skips), and, while some queued task has no route yet, one
// batch of routing. The
// tasks picked are claimed in one store write per round (LaunchAll), at most
// kMaxStartsPerTurn per call: a burst of thousands of free slots is filled
// over several loop turns, so the duties between them (renewing the leases
// above all) are never held up by a run of starts, and no claim waits long
// for its start.
// Nothing here reads the backlog of an agent at its cap or paused (circuit
// open, usage limit).
#include <algorithm>
#include <iterator>
#include <map>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "engine/slots.h"

namespace taskexec {
namespace {

constexpr int kRequestBatch = 64;  // execution requests looked at per dispatch
constexpr int kRouteBatch = 1024;  // unrouted tasks routed per loop turn
// Listing rounds per dispatch: another round only when a claim was lost to
// another executor or a start failed, leaving a slot free.
constexpr int kMaxRounds = 8;
// Starts per dispatch (a start is ~1-2 ms: a quarter to half a second).
constexpr int kMaxStartsPerTurn = 256;
constexpr const char* kFingerprintKey = "engine.routing_fingerprint";

}  // namespace

void Engine::CheckRoutingConfig() {
  const std::string fingerprint = router_->Fingerprint();
  std::string stored;
  Status s = store_->GetMeta(kFingerprintKey, &stored);
  if (s.ok() && stored == fingerprint) return;
  if (!s.ok() && !s.IsNotFound()) {
    spdlog::warn("engine {}: cannot read the routing fingerprint: {}", executor_id_, s.ToString());
    return;
  }
  int64_t cleared = 0;
  s = store_->ClearRoutes(&cleared);
  if (!s.ok()) {
    spdlog::warn("engine {}: cannot clear stale routes: {}", executor_id_, s.ToString());
    return;
  }
  if (cleared > 0) {
    spdlog::info("engine {}: routing configuration changed; {} tasks will be routed again",
                 executor_id_, cleared);
  }
  s = store_->SetMeta(kFingerprintKey, fingerprint);
  if (!s.ok()) spdlog::warn("engine {}: cannot store the routing fingerprint", executor_id_);
  check_unrouted_ = true;
}

void Engine::RefreshQueuedAgents() {
  std::vector<std::string> queued;
  Status s = store_->ListQueuedAgents(&queued);
  if (!s.ok()) {
    spdlog::warn("engine {}: cannot list queued agents: {}", executor_id_, s.ToString());
    return;  // keep what we knew
  }
  queued_agents_ = std::set<std::string>(queued.begin(), queued.end());
}

void Engine::RouteUnrouted() {
  route_backlog_ = false;
  if (!check_unrouted_) return;
  std::vector<Task> unrouted;
  Status s = store_->ListUnrouted(kRouteBatch, &unrouted);
  if (!s.ok()) {
    spdlog::warn("engine {}: cannot list unrouted tasks: {}", executor_id_, s.ToString());
    return;
  }
  // A short batch was the last of them, until something unroutes a task.
  check_unrouted_ = route_backlog_ = static_cast<int>(unrouted.size()) == kRouteBatch;
  if (unrouted.empty()) return;
  std::vector<TaskRoute> routes;
  routes.reserve(unrouted.size());
  for (Task& t : unrouted) {
    std::string agent = router_->Route(t).agent;
    queued_agents_.insert(agent);
    routes.push_back(TaskRoute{std::move(t), std::move(agent)});
  }
  s = store_->SetRoutes(routes, nullptr);
  if (!s.ok()) {
    spdlog::warn("engine {}: cannot record routes: {}", executor_id_, s.ToString());
    route_backlog_ = false;  // not at full speed against a failing store; the next wake retries
    check_unrouted_ = true;
  }
}

void Engine::Dispatch() {
  dispatch_backlog_ = false;
  // The service cannot record or start an attempt now: claim nothing.
  if (hold_.held()) return;
  // This turn's share of the free slots; the rest go at the next turn.
  const int max_concurrent = config_.executor.max_concurrent;
  const int turn_cap = static_cast<int>(
      std::min<int64_t>(max_concurrent, static_cast<int64_t>(running_.size()) + kMaxStartsPerTurn));
  Slots slots(turn_cap, config_.executor.per_agent_limit, config_.executor.agent_limits,
              config_.executor.max_concurrent_by_type);
  for (const auto& [kind, n] : running_kinds_) slots.CountRunning(kind.first, kind.second, n);
  FillSlots(slots);
  // The turn's share used up with slots still free: the loop comes back at
  // once (after its due duties).
  dispatch_backlog_ = turn_cap < max_concurrent && slots.FreeGlobal() <= 0;
}

void Engine::FillSlots(Slots& slots) {
  const TimeMs now = clock_->NowMs();
  const bool assign = config_.executor.auto_assign;
  if (assign) RouteUnrouted();
  for (int round = 0; round < kMaxRounds && slots.FreeGlobal() > 0; ++round) {
    // Execution requests first (also with auto_assign off), in the first
    // round; every agent with tasks queued and a free slot, in every round.
    // Types at their cap are left out of the agents' listings, so a full
    // type never hides another type's tasks behind it in an agent's queue.
    std::vector<std::pair<std::string, int>> per_agent;
    if (assign) {
      for (const std::string& agent : queued_agents_) {
        const int n = slots.FreeFor(agent);
        if (n > 0 && !Paused(agent, now)) per_agent.emplace_back(agent, n);
      }
    }
    const int requested_limit = round == 0 ? kRequestBatch : 0;
    if (requested_limit == 0 && per_agent.empty()) return;
    TaskStore::DispatchListing listed;
    Status s = store_->ListForDispatch(now, requested_limit, per_agent, slots.FullTypes(), &listed);
    if (!s.ok()) {
      spdlog::warn("engine {}: cannot list runnable tasks: {}", executor_id_, s.ToString());
      return;
    }

    std::vector<Pick> picks;
    for (const Task& t : listed.requested) {
      if (slots.FreeGlobal() <= 0 || hold_.held()) break;
      std::string agent = t.requested_agent;
      if (agent.empty()) agent = t.routed_agent.empty() ? router_->Route(t).agent : t.routed_agent;
      if (slots.FreeFor(agent) <= 0 || !slots.TypeHasRoom(t.type) || Paused(agent, now)) continue;
      if (StopIfOverBudget(t)) continue;
      slots.Take(agent, t.type);
      picks.push_back(Pick{&t, std::move(agent)});
    }
    LaunchAll(picks, &slots);
    if (hold_.held() || !assign) return;

    std::vector<Task> candidates;
    bool more = false;  // some agent may have more runnable tasks than it was asked for
    for (size_t i = 0; i < per_agent.size(); ++i) {
      std::vector<Task>& got = listed.by_agent[i];
      more = more || static_cast<int>(got.size()) == per_agent[i].second;
      std::move(got.begin(), got.end(), std::back_inserter(candidates));
    }
    std::sort(candidates.begin(), candidates.end(), QueueBefore);
    // Every task that fits is claimed in one store write, then started.
    picks.clear();
    for (const Task& t : candidates) {
      if (slots.FreeGlobal() <= 0 || hold_.held()) break;
      if (slots.FreeFor(t.routed_agent) <= 0 || !slots.TypeHasRoom(t.type)) continue;
      if (StopIfOverBudget(t)) continue;
      slots.Take(t.routed_agent, t.type);
      picks.push_back(Pick{&t, t.routed_agent});
    }
    const size_t started = LaunchAll(picks, &slots);
    if (hold_.held()) return;
    // All started: each agent asked got what it had room for, or had no
    // more. Otherwise a claim was lost or a start failed (or a request took
    // the slot): look again.
    if (!more || started == candidates.size()) return;
  }
}

}  // namespace taskexec
