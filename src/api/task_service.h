// TaskService: the operations the CLI and the HTTP API offer, in one
// interface so both front ends share one implementation and one set of
// error messages.
//
// Two implementations: the running EngineService (engine/engine_service.h), which also
// wakes its dispatcher at once, and StoreTaskService (engine/store_service.h),
// which works on the store alone so the CLI can add, execute and cancel while
// the service is down; a running executor picks those changes up through its
// store poll.
//
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/pruner.h"
#include "api/workspace_info.h"
#include "core/agent_pause.h"
#include "core/attempt_metrics.h"
#include "core/domain.h"
#include "core/status.h"
#include "routing/agent_router.h"
#include "store/task_store.h"

namespace taskexec {

struct TaskDetails {
  Task task;
  std::vector<SessionExecution> executions;
  std::vector<Artifact> artifacts;
  // The graph around the task: the tasks of its blocked_by (in that order;
  // one pruned since is left out) and the tasks whose blocked_by names it.
  std::vector<Task> dependencies;
  std::vector<Task> dependents;
};

struct ServiceStatus {
  bool engine_running = false;  // false for the store-only service
  std::string executor_id;
  // The services running on the store (their heartbeats), this one included.
  std::vector<ExecutorRecord> executors;
  std::vector<SessionExecution> active_executions;
  StoreStats stats;
  int64_t spawned_sessions = 0;  // since this engine started
  int64_t resumed_sessions = 0;  // of those, continuing the task's earlier session
  // Attempts this engine recorded with an error, by error type.
  std::map<std::string, int64_t> attempt_errors;
  // Tasks this engine ended budget_exhausted (before a start or instead of a retry).
  int64_t budget_stops = 0;
  // Agents this engine holds paused now (circuit open, usage limit), and the
  // pauses it set since it started, by reason.
  std::map<std::string, AgentPause> paused_agents;
  std::map<std::string, int64_t> pauses_set;
  std::map<std::string, int64_t> running_by_agent;
  std::map<std::string, AgentUsage> usage_by_agent;  // recorded by this engine since it started
  AttemptMetrics attempts;  // this engine's attempts since it started (/metrics)
  // Why this engine takes no new work now (a full disk, an unwritable log
  // dir), or empty; the outcomes it keeps until the store takes them; the
  // store writes it had refused with an I/O error since it started.
  std::string refusing_work;
  int64_t kept_outcomes = 0;
  int64_t store_write_errors = 0;
};

// An agent as `taskexec agents` shows it.
struct AgentState {
  std::string name;
  int running = 0;                  // active attempts on it, every executor's
  int limit = 0;                    // executor.per_agent_limit, or its executor.agent_limits entry
  std::optional<AgentPause> pause;  // set while it is paused
  double cost_today_usd = 0;        // what its attempts that ended today (UTC) cost
  double daily_limit_usd = 0;       // budget.agent_daily_cost_usd; 0 = none
};

// The longest reply a person may give (it goes into every later prompt).
constexpr size_t kMaxReplyBytes = 64 * 1024;

class TaskService {
 public:
  virtual ~TaskService() = default;

  virtual Status AddTask(const NewTask& task, Task* out) = 0;
  // Adds many tasks (`taskexec task import`): (*results)[i] is what AddTask
  // would return for tasks[i]; a refused task does not stop the others. A
  // non-OK return means the store failed (see TaskStore::AddTasks). The
  // default calls AddTask for each.
  virtual Status AddTasks(const std::vector<NewTask>& tasks, std::vector<Status>* results);
  virtual Status GetTask(const std::string& id, TaskDetails* out) = 0;
  // Edits a task nobody holds (TaskStore::UpdateTask, with AddTask's size
  // and agent checks); a new blocked_by applies at once, [] drops them all.
  // An edit of a routing input routes the task again. The default refuses
  // (Internal): a service without a store cannot edit.
  virtual Status UpdateTask(const std::string& id, const TaskPatch& patch, Task* out);
  // The task linked to a Notion page (NotFound when none): what makes adding
  // a card's task idempotent by page id.
  virtual Status FindByNotionPage(const std::string& page_id, Task* out) = 0;
  virtual Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) = 0;
  // How many tasks the filter matches, ignoring limit, offset and after
  // (TaskStore::CountTasks).
  virtual Status CountTasks(const TaskFilter& filter, int64_t* total) = 0;
  // The change feed (TaskStore::ListChanged): tasks changed after `after`,
  // oldest change first. The default refuses (Internal): a service without a
  // store has no feed.
  virtual Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out);
  // Starts an attempt now (or as soon as an executor runs), optionally on a
  // given agent, and returns its attempt (execution) id. Works with
  // auto_assign = false. A task whose budget is spent (core/budget.h) is
  // refused (Conflict, naming the limit) unless `force`: then that one
  // attempt runs, and the limits still stop its retries.
  virtual Status Execute(const std::string& task_id, const std::string& agent, bool force,
                         std::string* attempt_id) = 0;
  // Cancels a task by task id or attempt id. A running session is stopped
  // (TERM to its process group, then KILL) by the executor that holds it.
  virtual Status Cancel(const std::string& task_or_attempt_id, Task* out) = 0;
  // A person's answer to the question a needs_input task is parked on: the
  // task goes back to the queue and its next attempt gets the question and
  // the answer (TaskStore::Reply). InvalidArgument on a blank message or one
  // over kMaxReplyBytes, Conflict when the task waits for no answer.
  virtual Status Reply(const std::string& task_id, const std::string& message, Task* out) = 0;
  // Every agent of routing.agents, and any other with attempts running or a
  // pause, by name. The default refuses (Internal): a service without a
  // store has no agents to list.
  virtual Status ListAgents(std::vector<AgentState>* out);
  // Lifts an agent's pause now (circuit breaker, usage limit): its queued
  // tasks may start at once. InvalidArgument for an unknown agent, Conflict
  // when it is not paused. `out` (may be null) gets its state after.
  virtual Status ResumeAgent(const std::string& agent, AgentState* out);
  virtual Status GetStatus(ServiceStatus* out) = 0;
  virtual Status Route(const Task& task, RouteDecision* out) = 0;
  virtual Status GetExecution(const std::string& attempt_id, SessionExecution* out) = 0;
  // Deletes (or with dry_run counts) finished tasks older than the date,
  // with their attempts, records and files (api/pruner.h). The default
  // refuses (Internal): a service without a store cannot prune.
  virtual Status Prune(const PruneRequest& request, PruneReport* report);
  // The tasks' workspaces below agent.work_dir, each with what
  // CollectWorkspaces would do (engine/workspace_janitor.h).
  virtual Status ListWorkspaces(std::vector<WorkspaceInfo>* out);
  // Removes (or with dry_run lists) the finished tasks' workspaces that
  // workspace.keep and workspace.max_age_days no longer keep. The defaults
  // refuse (Internal): a service without a store has no workspaces.
  virtual Status CollectWorkspaces(bool dry_run, WorkspaceGcReport* report);
};

}  // namespace taskexec
