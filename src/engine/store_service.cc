#include "engine/store_service.h"

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/join.h"
#include "engine/budget_rules.h"
#include "engine/executor_registry.h"

namespace taskexec {
namespace {

std::string JoinAgents(const std::vector<std::string>& agents) { return Join(agents, ", "); }

}  // namespace

StoreTaskService::StoreTaskService(TaskStore* store, const AgentRouter* router, const Clock* clock,
                                   std::function<void()> on_change)
    : store_(store), router_(router), clock_(clock), on_change_(std::move(on_change)) {}

void StoreTaskService::Changed() const {
  if (on_change_) on_change_();
}

Status StoreTaskService::CheckAgent(const std::string& agent) const {
  if (agent.empty() || agent == "any" || router_->IsKnownAgent(agent)) return Status::OK();
  return Status::InvalidArgument("unknown agent '" + agent +
                                 "'; known agents: " + JoinAgents(router_->agents()));
}

Status StoreTaskService::CheckNewTask(const NewTask& task) const {
  if (task.title.size() > kMaxTitleBytes)
    return Status::InvalidArgument("title is " + std::to_string(task.title.size()) +
                                   " bytes; at most " + std::to_string(kMaxTitleBytes) +
                                   " allowed");
  if (task.description.size() > kMaxDescriptionBytes)
    return Status::InvalidArgument("description is " + std::to_string(task.description.size()) +
                                   " bytes; at most " + std::to_string(kMaxDescriptionBytes) +
                                   " allowed");
  if (Status s = CheckAgent(task.assigned_to); !s.ok()) return s;
  if (!task.context_json.empty()) {
    auto parsed = nlohmann::json::parse(task.context_json, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object())
      return Status::InvalidArgument("context must be a JSON object, got: " +
                                     task.context_json.substr(0, 80));
  }
  return Status::OK();
}

Status StoreTaskService::AddTask(const NewTask& task, Task* out) {
  if (Status s = CheckNewTask(task); !s.ok()) return s;
  // Routed now, so the dispatcher finds the task in its agent's queue
  // (TaskStore::ListRunnableFor) without routing it first.
  NewTask routed = task;
  if (routed.routed_agent.empty()) routed.routed_agent = RouteOf(task);
  Status s = store_->AddTask(routed, clock_->NowMs(), out);
  if (s.ok()) Changed();
  return s;
}

Status StoreTaskService::FindByNotionPage(const std::string& page_id, Task* out) {
  if (page_id.empty()) return Status::InvalidArgument("notion_page_id: must not be empty");
  return store_->FindByNotionPage(page_id, out);
}

Status StoreTaskService::ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) {
  return store_->ListChanged(after, limit, out);
}

Status StoreTaskService::AddTasks(const std::vector<NewTask>& tasks, std::vector<Status>* results) {
  std::vector<Status> out(tasks.size());
  std::vector<NewTask> valid;
  std::vector<size_t> index;  // valid[k] is tasks[index[k]]
  valid.reserve(tasks.size());
  index.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    out[i] = CheckNewTask(tasks[i]);
    if (!out[i].ok()) continue;
    valid.push_back(tasks[i]);
    if (valid.back().routed_agent.empty()) valid.back().routed_agent = RouteOf(tasks[i]);
    index.push_back(i);
  }
  std::vector<Status> written;
  if (Status s = store_->AddTasks(valid, clock_->NowMs(), &written); !s.ok()) return s;
  bool any = false;
  for (size_t k = 0; k < written.size(); ++k) {
    any = any || written[k].ok();
    out[index[k]] = std::move(written[k]);
  }
  if (any) Changed();
  *results = std::move(out);
  return Status::OK();
}

std::string StoreTaskService::RouteOf(const NewTask& task) const {
  Task t;
  t.title = task.title;
  t.description = task.description;
  t.type = task.type;
  t.assigned_to = task.assigned_to;
  return router_->Route(t).agent;
}

Status StoreTaskService::GetTask(const std::string& id, TaskDetails* out) {
  if (Status s = store_->GetTask(id, &out->task); !s.ok()) return s;
  if (Status s = store_->ListExecutions(id, &out->executions); !s.ok()) return s;
  if (Status s = store_->ListArtifacts(id, &out->artifacts); !s.ok()) return s;
  out->dependencies.clear();
  for (const std::string& dep : out->task.blocked_by) {
    Task t;
    Status s = store_->GetTask(dep, &t);
    if (s.IsNotFound()) continue;  // pruned since
    if (!s.ok()) return s;
    out->dependencies.push_back(std::move(t));
  }
  return store_->ListDependents(id, &out->dependents);
}

Status StoreTaskService::UpdateTask(const std::string& id, const TaskPatch& patch, Task* out) {
  if (patch.title && patch.title->size() > kMaxTitleBytes)
    return Status::InvalidArgument("title is " + std::to_string(patch.title->size()) +
                                   " bytes; at most " + std::to_string(kMaxTitleBytes) +
                                   " allowed");
  if (patch.description && patch.description->size() > kMaxDescriptionBytes)
    return Status::InvalidArgument("description is " + std::to_string(patch.description->size()) +
                                   " bytes; at most " + std::to_string(kMaxDescriptionBytes) +
                                   " allowed");
  if (patch.assigned_to) {
    if (Status s = CheckAgent(*patch.assigned_to); !s.ok()) return s;
  }
  Task t;
  Status s = store_->UpdateTask(id, patch, /*expected_version=*/-1, clock_->NowMs(), &t);
  if (!s.ok()) return s;
  // An edit of a routing input cleared the route: route it again now, so
  // the dispatcher finds it in its agent's queue.
  if (t.routed_agent.empty()) {
    const std::string agent = router_->Route(t).agent;
    int written = 0;
    if (!agent.empty() && store_->SetRoutes({TaskRoute{t, agent}}, &written).ok() && written == 1)
      t.routed_agent = agent;
  }
  Changed();
  if (out != nullptr) *out = std::move(t);
  return Status::OK();
}

namespace {
// "any" (route me) is how a task is assigned to nobody in particular.
TaskFilter StoreFilter(const TaskFilter& filter) {
  TaskFilter f = filter;
  if (f.agent == "any") f.agent = "unassigned";
  return f;
}
}  // namespace

Status StoreTaskService::ListTasks(const TaskFilter& filter, std::vector<Task>* out) {
  return store_->ListTasks(StoreFilter(filter), out);
}

Status StoreTaskService::CountTasks(const TaskFilter& filter, int64_t* total) {
  return store_->CountTasks(StoreFilter(filter), total);
}

Status StoreTaskService::Execute(const std::string& task_id, const std::string& agent, bool force,
                                 std::string* attempt_id) {
  const std::string chosen = agent == "any" ? "" : agent;  // "any": let the router pick
  if (Status s = CheckAgent(chosen); !s.ok()) return s;
  if (!force) {
    Task current;
    if (Status s = store_->GetTask(task_id, &current); !s.ok()) return s;
    const std::string why = BudgetExhausted(current.limits, budget_, TaskSpent(current));
    if (!why.empty())
      return Status::Conflict("task " + task_id + ": " + BudgetStopMessage(task_id, why));
  }
  std::string id = NewId("exec");
  Task t;
  Status s = store_->RequestExecution(task_id, id, chosen, force, clock_->NowMs(), &t);
  if (!s.ok()) return s;
  *attempt_id = id;
  Changed();
  return Status::OK();
}

Status StoreTaskService::ListAgents(std::vector<AgentState>* out) {
  std::map<std::string, AgentState> agents;
  for (const std::string& name : router_->agents()) agents[name].name = name;
  std::vector<SessionExecution> active;
  if (Status s = store_->ListActiveExecutions(&active); !s.ok()) return s;
  for (const SessionExecution& e : active) {
    if (e.agent.empty()) continue;
    agents[e.agent].name = e.agent;
    agents[e.agent].running++;
  }
  const TimeMs now = clock_->NowMs();
  std::map<std::string, double> cost_today;
  if (Status s = store_->CostByAgentSince(UtcDayStart(now), &cost_today); !s.ok()) return s;
  for (const auto& [name, cost] : cost_today) {
    if (name.empty()) continue;
    agents[name].name = name;
    agents[name].cost_today_usd = cost;
  }
  for (auto& [name, a] : agents) {
    a.daily_limit_usd = daily_cost_limit_usd_;
    auto limit = agent_limits_.find(name);
    a.limit = limit != agent_limits_.end() ? limit->second : per_agent_limit_;
    std::string text, error;
    Status s = store_->GetMeta(AgentPauseKey(name), &text);
    if (!s.ok() && !s.IsNotFound()) return s;
    std::optional<AgentPause> pause = DecodeAgentPause(name, s.ok() ? text : "", &error);
    if (pause && pause->ActiveAt(now)) a.pause = pause;
  }
  out->clear();
  for (auto& [name, a] : agents) out->push_back(std::move(a));
  return Status::OK();
}

Status StoreTaskService::ResumeAgent(const std::string& agent, AgentState* out) {
  if (agent.empty() || agent == "any") return Status::InvalidArgument("an agent name is required");
  if (Status s = CheckAgent(agent); !s.ok()) return s;
  std::string text, error;
  Status s = store_->GetMeta(AgentPauseKey(agent), &text);
  if (!s.ok() && !s.IsNotFound()) return s;
  std::optional<AgentPause> pause = DecodeAgentPause(agent, s.ok() ? text : "", &error);
  if (!pause || !pause->ActiveAt(clock_->NowMs())) {
    return Status::Conflict("agent " + agent + " is not paused");
  }
  // Lifted, it would be paused again at the engine's next look: today's
  // cost is still at the limit.
  if (pause->reason == PauseReason::kDailyBudget && daily_cost_limit_usd_ > 0) {
    return Status::Conflict("agent " + agent + " is paused by its daily budget: " + pause->message +
                            " (budget.agent_daily_cost_usd, read at start)");
  }
  s = store_->SetMeta(AgentPauseKey(agent), "");
  if (!s.ok()) return s;
  Changed();
  if (out == nullptr) return Status::OK();
  std::vector<AgentState> all;
  if (Status ls = ListAgents(&all); !ls.ok()) return ls;
  for (AgentState& a : all)
    if (a.name == agent) *out = std::move(a);
  return Status::OK();
}

Status StoreTaskService::Cancel(const std::string& id, Task* out) {
  std::string task_id = id;
  Task probe;
  if (!store_->GetTask(id, &probe).ok()) {
    SessionExecution e;
    if (store_->GetExecution(id, &e).ok()) {
      task_id = e.task_id;
    } else {
      return Status::NotFound("no task or attempt with id '" + id + "'");
    }
  }
  Status s = store_->RequestCancel(task_id, "cancelled on request", clock_->NowMs(), out);
  if (s.ok()) Changed();
  return s;
}

Status StoreTaskService::Reply(const std::string& task_id, const std::string& message, Task* out) {
  if (message.size() > kMaxReplyBytes) {
    return Status::InvalidArgument("the reply is " + std::to_string(message.size()) +
                                   " bytes; at most " + std::to_string(kMaxReplyBytes));
  }
  Status s = store_->Reply(task_id, message, clock_->NowMs(), out);
  if (s.ok()) Changed();
  return s;
}

Status StoreTaskService::GetStatus(ServiceStatus* out) {
  out->engine_running = false;
  if (Status s = store_->GetStats(&out->stats); !s.ok()) return s;
  if (Status s = LiveExecutors(store_, SystemClock::Default()->NowMs(), &out->executors); !s.ok())
    return s;
  return store_->ListActiveExecutions(&out->active_executions);
}

Status StoreTaskService::Route(const Task& task, RouteDecision* out) {
  if (Status s = CheckAgent(task.assigned_to); !s.ok()) return s;
  *out = router_->Route(task);
  return Status::OK();
}

Status StoreTaskService::GetExecution(const std::string& attempt_id, SessionExecution* out) {
  return store_->GetExecution(attempt_id, out);
}

Status StoreTaskService::Prune(const PruneRequest& request, PruneReport* report) {
  Status s = Pruner(store_, prune_setup_).Run(request, report);
  if (report->tasks > 0 && !request.dry_run) Changed();
  return s;
}

Status StoreTaskService::ListWorkspaces(std::vector<WorkspaceInfo>* out) {
  if (!janitor_) return TaskService::ListWorkspaces(out);
  return janitor_->List(out);
}

Status StoreTaskService::CollectWorkspaces(bool dry_run, WorkspaceGcReport* report) {
  if (!janitor_) return TaskService::CollectWorkspaces(dry_run, report);
  return janitor_->Collect(dry_run, report);
}

}  // namespace taskexec
