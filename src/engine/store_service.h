// StoreTaskService: TaskService over a TaskStore alone. Used by the CLI (the
// service may be down: an executor picks the changes up through its store
// poll) and, with a wake-up hook, by the EngineService.
//
// AddTask records the router's choice on the task (Task::routed_agent).
//
// Validation happens here, at the edge: unknown agents, malformed context
// JSON, oversized text, unknown ids all come back as clear Status errors.
//
// Thread-safety: safe from any thread (the store and router are).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "api/task_service.h"
#include "core/clock.h"
#include "engine/workspace_janitor.h"
#include "routing/agent_router.h"
#include "store/task_store.h"

namespace taskexec {

// Largest description accepted (the runner passes big prompts by file).
constexpr size_t kMaxDescriptionBytes = 4 * 1024 * 1024;
constexpr size_t kMaxTitleBytes = 64 * 1024;

class StoreTaskService : public TaskService {
 public:
  // `on_change` (optional) runs after every successful write, e.g. to wake
  // an engine in the same process.
  StoreTaskService(TaskStore* store, const AgentRouter* router, const Clock* clock,
                   std::function<void()> on_change = nullptr);

  Status AddTask(const NewTask& task, Task* out) override;
  // Checked and routed like AddTask, written in one store batch.
  Status AddTasks(const std::vector<NewTask>& tasks, std::vector<Status>* results) override;
  Status GetTask(const std::string& id, TaskDetails* out) override;
  Status UpdateTask(const std::string& id, const TaskPatch& patch, Task* out) override;
  Status FindByNotionPage(const std::string& page_id, Task* out) override;
  Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) override;
  Status CountTasks(const TaskFilter& filter, int64_t* total) override;
  Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) override;
  Status Execute(const std::string& task_id, const std::string& agent, bool force,
                 std::string* attempt_id) override;
  Status Cancel(const std::string& task_or_attempt_id, Task* out) override;
  Status Reply(const std::string& task_id, const std::string& message, Task* out) override;
  Status ListAgents(std::vector<AgentState>* out) override;
  Status ResumeAgent(const std::string& agent, AgentState* out) override;
  Status GetStatus(ServiceStatus* out) override;
  Status Route(const Task& task, RouteDecision* out) override;
  Status GetExecution(const std::string& attempt_id, SessionExecution* out) override;
  Status Prune(const PruneRequest& request, PruneReport* report) override;
  Status ListWorkspaces(std::vector<WorkspaceInfo>* out) override;
  Status CollectWorkspaces(bool dry_run, WorkspaceGcReport* report) override;
  // Who lists and removes the workspaces (none: those calls refuse). Call
  // before use; not synchronized.
  void SetWorkspaceJanitor(std::shared_ptr<WorkspaceJanitor> janitor) {
    janitor_ = std::move(janitor);
  }

  // Where attempts keep their files and what integrations keep or own
  // (api/pruner.h). Call before Prune is used; not synchronized with it.
  void SetPruneSetup(PruneSetup setup) { prune_setup_ = std::move(setup); }
  // The budget.* limits Execute checks (none until set). Call before use;
  // not synchronized.
  void SetBudget(const TaskLimits& budget) { budget_ = budget; }
  // The per-agent limits ListAgents reports (executor.per_agent_limit and
  // executor.agent_limits). Call before use; not synchronized.
  void SetAgentLimits(int per_agent_limit, std::map<std::string, int> agent_limits) {
    per_agent_limit_ = per_agent_limit;
    agent_limits_ = std::move(agent_limits);
  }
  // budget.agent_daily_cost_usd, which ListAgents reports with each agent's
  // cost today (0 = none). Call before use; not synchronized.
  void SetDailyCostLimit(double usd) { daily_cost_limit_usd_ = usd; }

 private:
  Status CheckAgent(const std::string& agent) const;
  std::string RouteOf(const NewTask& task) const;
  // AddTask's checks: sizes, a known agent, a JSON object as context.
  Status CheckNewTask(const NewTask& task) const;
  void Changed() const;

  TaskStore* const store_;
  const AgentRouter* const router_;
  const Clock* const clock_;
  const std::function<void()> on_change_;
  PruneSetup prune_setup_;
  std::shared_ptr<WorkspaceJanitor> janitor_;
  TaskLimits budget_;
  int per_agent_limit_ = 0;
  std::map<std::string, int> agent_limits_;
  double daily_cost_limit_usd_ = 0;
};

}  // namespace taskexec
