#include "engine/engine_service.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "engine/budget_rules.h"
#include "runner/agent_env.h"

namespace taskexec {

EngineService::EngineService(const Config& config, TaskStore* store, const Clock* clock,
                             Engine::LauncherFactory make_launcher)
    : router_(config.routing),
      engine_(config, store, &router_, clock, std::move(make_launcher)),
      service_(store, &router_, clock, [this] { engine_.Wake(); }),
      log_dir_(config.agent.log_dir),
      work_dir_(config.agent.work_dir),
      janitor_(std::make_shared<WorkspaceJanitor>(
          config.agent, store, clock, AgentEnvironment::FromConfig(config, ProcessEnvironment()))) {
  SetPruneHooks({});
  service_.SetWorkspaceJanitor(janitor_);
  service_.SetBudget(ConfiguredLimits(config.budget));
  service_.SetAgentLimits(config.executor.per_agent_limit, config.executor.agent_limits);
  service_.SetDailyCostLimit(config.budget.agent_daily_cost_usd);
}

void EngineService::SetPruneHooks(PruneSetup hooks) {
  hooks.log_dir = log_dir_;
  hooks.work_dir = work_dir_;
  service_.SetPruneSetup(std::move(hooks));
}

Status EngineService::Prune(const PruneRequest& request, PruneReport* report) {
  return service_.Prune(request, report);
}

EngineService::~EngineService() { Stop(); }

void EngineService::SetCallbacks(EngineCallbacks callbacks) {
  engine_.SetCallbacks(std::move(callbacks));
}
Status EngineService::Start() {
  if (Status s = engine_.Start(); !s.ok()) return s;
  MutexLock lock(&sweep_mu_);
  if (!sweeper_.joinable()) {
    sweep_stopping_ = false;
    sweeper_ = std::thread([this] { SweepWorkspaces(); });
  }
  return Status::OK();
}

void EngineService::Stop() {
  {
    MutexLock lock(&sweep_mu_);
    sweep_stopping_ = true;
    sweep_cv_.SignalAll();
  }
  if (sweeper_.joinable()) sweeper_.join();
  engine_.Stop();
}

void EngineService::SweepWorkspaces() {
  constexpr auto kFirst = std::chrono::minutes(1);
  constexpr auto kPeriod = std::chrono::hours(1);
  auto next = std::chrono::steady_clock::now() + kFirst;
  for (;;) {
    {
      MutexLock lock(&sweep_mu_);
      while (!sweep_stopping_ && std::chrono::steady_clock::now() < next) {
        sweep_cv_.WaitUntil(&sweep_mu_, next);
      }
      if (sweep_stopping_) return;
    }
    WorkspaceGcReport report;
    Status s = janitor_->Collect(/*dry_run=*/false, &report);
    if (!s.ok()) {
      spdlog::warn("workspace sweep: {}", s.ToString());
    } else if (!report.removed.empty() || !report.errors.empty()) {
      spdlog::info("workspace sweep: removed {} workspaces ({} bytes), kept {}",
                   report.removed.size(), report.bytes, report.kept);
      for (const std::string& e : report.errors) spdlog::warn("workspace sweep: {}", e);
    }
    next = std::chrono::steady_clock::now() + kPeriod;
  }
}

Status EngineService::ListWorkspaces(std::vector<WorkspaceInfo>* out) {
  return service_.ListWorkspaces(out);
}

Status EngineService::CollectWorkspaces(bool dry_run, WorkspaceGcReport* report) {
  return service_.CollectWorkspaces(dry_run, report);
}
bool EngineService::IsRunning() const { return engine_.running(); }

Status EngineService::AddTask(const NewTask& task, Task* out) {
  return service_.AddTask(task, out);
}
Status EngineService::AddTasks(const std::vector<NewTask>& tasks, std::vector<Status>* results) {
  return service_.AddTasks(tasks, results);
}
Status EngineService::FindByNotionPage(const std::string& page_id, Task* out) {
  return service_.FindByNotionPage(page_id, out);
}
Status EngineService::ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) {
  return service_.ListChanged(after, limit, out);
}
Status EngineService::GetTask(const std::string& id, TaskDetails* out) {
  return service_.GetTask(id, out);
}
Status EngineService::UpdateTask(const std::string& id, const TaskPatch& patch, Task* out) {
  return service_.UpdateTask(id, patch, out);
}
Status EngineService::ListTasks(const TaskFilter& filter, std::vector<Task>* out) {
  return service_.ListTasks(filter, out);
}
Status EngineService::CountTasks(const TaskFilter& filter, int64_t* total) {
  return service_.CountTasks(filter, total);
}
Status EngineService::Execute(const std::string& task_id, const std::string& agent, bool force,
                              std::string* attempt_id) {
  return service_.Execute(task_id, agent, force, attempt_id);
}
Status EngineService::Cancel(const std::string& id, Task* out) { return service_.Cancel(id, out); }
Status EngineService::Reply(const std::string& task_id, const std::string& message, Task* out) {
  return service_.Reply(task_id, message, out);
}
Status EngineService::ListAgents(std::vector<AgentState>* out) { return service_.ListAgents(out); }
Status EngineService::ResumeAgent(const std::string& agent, AgentState* out) {
  Status s = service_.ResumeAgent(agent, out);
  if (s.ok()) engine_.PausesChanged();
  return s;
}
Status EngineService::Route(const Task& task, RouteDecision* out) {
  return service_.Route(task, out);
}
Status EngineService::GetExecution(const std::string& attempt_id, SessionExecution* out) {
  return service_.GetExecution(attempt_id, out);
}

Status EngineService::GetStatus(ServiceStatus* out) {
  if (Status s = service_.GetStatus(out); !s.ok()) return s;
  EngineSnapshot snap = engine_.Snapshot();
  out->engine_running = snap.running;
  out->executor_id = snap.executor_id;
  out->spawned_sessions = snap.spawned_sessions;
  out->resumed_sessions = snap.resumed_sessions;
  out->attempt_errors = snap.attempt_errors;
  out->budget_stops = snap.budget_stops;
  out->refusing_work = snap.refusing_work;
  out->kept_outcomes = snap.kept_outcomes;
  out->store_write_errors = snap.store_write_errors;
  out->paused_agents = snap.pauses;
  out->pauses_set = snap.pauses_set;
  out->running_by_agent = snap.running_by_agent;
  out->usage_by_agent = snap.usage_by_agent;
  out->attempts = std::move(snap.attempts);
  return Status::OK();
}

}  // namespace taskexec
