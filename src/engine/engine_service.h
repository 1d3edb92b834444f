// EngineService: a running taskexec behind the TaskService interface --
// start/stop/status/execute/cancel and completion/failure callbacks, over
// one store, one router and one engine.
// It is the TaskService the HTTP API serves while the service runs; every
// write wakes the engine at once, so a task added through the service is
// dispatched without waiting for a poll.
//
// While it runs it also removes, hourly (the first time a minute after
// Start), the workspaces of finished tasks that workspace.keep and
// workspace.max_age_days no longer keep (engine/workspace_janitor.h).
//
// Thread-safety: all methods are safe from any thread. Callbacks run on the
// engine thread and must not block for long.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "api/task_service.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "engine/engine.h"
#include "engine/store_service.h"
#include "engine/workspace_janitor.h"
#include "routing/agent_router.h"
#include "store/task_store.h"

namespace taskexec {

class EngineService : public TaskService {
 public:
  // The store must outlive the service. `make_launcher`: how the engine runs
  // attempts (null = real processes, Engine's default).
  EngineService(const Config& config, TaskStore* store, const Clock* clock = SystemClock::Default(),
                Engine::LauncherFactory make_launcher = nullptr);
  ~EngineService() override;

  void SetCallbacks(EngineCallbacks callbacks);  // before Start()
  Status Start();
  void Stop();
  bool IsRunning() const;

  // TaskService.
  Status AddTask(const NewTask& task, Task* out) override;
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
  // Also tells the engine, which then starts the agent's tasks at once.
  Status ResumeAgent(const std::string& agent, AgentState* out) override;
  Status GetStatus(ServiceStatus* out) override;
  Status Route(const Task& task, RouteDecision* out) override;
  Status GetExecution(const std::string& attempt_id, SessionExecution* out) override;
  Status Prune(const PruneRequest& request, PruneReport* report) override;
  Status ListWorkspaces(std::vector<WorkspaceInfo>* out) override;
  Status CollectWorkspaces(bool dry_run, WorkspaceGcReport* report) override;
  // Adds integrations' rules to pruning (the dirs come from the config).
  // Before Start().
  void SetPruneHooks(PruneSetup hooks);

  Engine& engine() { return engine_; }
  const AgentRouter& router() const { return router_; }

 private:
  const AgentRouter router_;
  Engine engine_;
  StoreTaskService service_;
  const std::string log_dir_;
  const std::string work_dir_;
  std::shared_ptr<WorkspaceJanitor> janitor_;

  // The hourly workspace sweep, on a thread of its own: a before_remove
  // hook or a git command never holds up the engine.
  void SweepWorkspaces();
  Mutex sweep_mu_;
  CondVar sweep_cv_;
  bool sweep_stopping_ GUARDED_BY(sweep_mu_) = false;
  std::thread sweeper_;
};

}  // namespace taskexec
