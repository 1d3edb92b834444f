// An in-memory TaskService for the server and CLI tests: a few maps, the
// calls it received, and an error to inject. Not a model of the engine's
// rules; just enough behaviour for the front ends to be exercised.
//
// Thread-safety: every method locks `mu`; tests read the public fields only
// after the calls under test returned (or lock `mu` themselves).
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "api/task_service.h"

namespace taskexec {

class FakeTaskService : public TaskService {
 public:
  Status AddTask(const NewTask& nt, Task* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    if (nt.title.empty()) return Status::InvalidArgument("title must not be empty");
    Task t;
    t.id = nt.id.empty() ? "task-" + std::to_string(++next_id) : nt.id;
    if (tasks.count(t.id)) return Status::Conflict("task " + t.id + " exists already");
    t.title = nt.title;
    t.description = nt.description;
    t.type = nt.type;
    t.priority = nt.priority;
    t.assigned_to = nt.assigned_to;
    t.source = nt.source;
    t.context_json = nt.context_json;
    t.max_retries = nt.max_retries;
    t.limits = nt.limits;
    t.blocked_by = nt.blocked_by;
    t.notion_url = nt.notion_url;
    t.notion_page_id = nt.notion_page_id;
    t.created_at = t.updated_at = 1764067321123;  // 2025-11-25T10:42:01.123Z
    t.version = 1;
    last_new_task = nt;
    tasks[t.id] = t;
    *out = t;
    return Status::OK();
  }

  Status FindByNotionPage(const std::string& page_id, Task* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    for (const auto& [id, t] : tasks) {
      if (!page_id.empty() && t.notion_page_id == page_id) {
        *out = t;
        return Status::OK();
      }
    }
    return Status::NotFound("no task for Notion page " + page_id);
  }

  // Applies the title, priority and blocked_by of the patch (a blocked_by
  // naming an unknown task is refused, as the stores do).
  Status UpdateTask(const std::string& id, const TaskPatch& patch, Task* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    auto it = tasks.find(id);
    if (it == tasks.end()) return Status::NotFound("task " + id + " not found");
    if (patch.blocked_by) {
      for (const std::string& dep : *patch.blocked_by)
        if (tasks.count(dep) == 0) return Status::InvalidArgument("blocked_by: no task " + dep);
      it->second.blocked_by = *patch.blocked_by;
    }
    if (patch.title) it->second.title = *patch.title;
    if (patch.priority) it->second.priority = *patch.priority;
    ++it->second.version;
    last_patch = patch;
    *out = it->second;
    return Status::OK();
  }

  Status GetTask(const std::string& id, TaskDetails* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    auto it = tasks.find(id);
    if (it == tasks.end()) return Status::NotFound("task " + id + " not found");
    out->task = it->second;
    out->executions.clear();
    for (const auto& [eid, e] : executions) {
      if (e.task_id == id) out->executions.push_back(e);
    }
    out->artifacts.clear();
    for (const auto& a : artifacts) {
      if (a.task_id == id) out->artifacts.push_back(a);
    }
    return Status::OK();
  }

  Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    last_filter = filter;
    if (!fail.ok()) return fail;
    out->clear();
    for (const auto& [id, t] : tasks) {
      if (filter.status && t.status != *filter.status) continue;
      if (!filter.agent.empty() && t.assigned_to != filter.agent && t.claimed_by != filter.agent) {
        continue;
      }
      if (filter.limit > 0 && static_cast<int>(out->size()) >= filter.limit) break;
      out->push_back(t);
    }
    return Status::OK();
  }

  // Counts what ListTasks' filters match (this fake filters by status and agent only).
  Status CountTasks(const TaskFilter& filter, int64_t* total) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    last_filter = filter;
    if (!fail.ok()) return fail;
    *total = 0;
    for (const auto& [id, t] : tasks) {
      if (filter.status && t.status != *filter.status) continue;
      if (!filter.agent.empty() && t.assigned_to != filter.agent && t.claimed_by != filter.agent) {
        continue;
      }
      ++*total;
    }
    return Status::OK();
  }

  // The store's contract: (updated_at, id) after the cursor, in that order.
  Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    out->clear();
    for (const auto& [id, t] : tasks) {
      if (std::tie(t.updated_at, t.id) > std::tie(after.updated_at, after.id)) out->push_back(t);
    }
    std::sort(out->begin(), out->end(), [](const Task& a, const Task& b) {
      return std::tie(a.updated_at, a.id) < std::tie(b.updated_at, b.id);
    });
    if (static_cast<int>(out->size()) > limit) out->resize(static_cast<size_t>(limit));
    return Status::OK();
  }

  Status Execute(const std::string& task_id, const std::string& agent, bool force,
                 std::string* attempt_id) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    last_execute_agent = agent;
    last_execute_force = force;
    if (!fail.ok()) return fail;
    auto it = tasks.find(task_id);
    if (it == tasks.end()) return Status::NotFound("task " + task_id + " not found");
    if (!agent.empty() && agent != "mongke" && agent != "temujin" && agent != "main") {
      return Status::InvalidArgument("unknown agent \"" + agent + "\"");
    }
    if (!it->second.requested_execution_id.empty()) {
      return Status::Conflict("task " + task_id + " already has a pending execution request");
    }
    *attempt_id = "exec-" + std::to_string(++next_id);
    it->second.requested_execution_id = *attempt_id;
    it->second.requested_agent = agent;
    return Status::OK();
  }

  Status Cancel(const std::string& id, Task* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    std::string task_id = id;
    auto ex = executions.find(id);
    if (ex != executions.end()) task_id = ex->second.task_id;
    auto it = tasks.find(task_id);
    if (it == tasks.end()) return Status::NotFound("no task or attempt " + id);
    it->second.status = TaskStatus::kCancelled;
    *out = it->second;
    return Status::OK();
  }

  Status ListAgents(std::vector<AgentState>* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    *out = agents;
    return Status::OK();
  }
  Status ResumeAgent(const std::string& agent, AgentState* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    for (AgentState& a : agents) {
      if (a.name != agent) continue;
      if (!a.pause) return Status::Conflict("agent " + agent + " is not paused");
      a.pause.reset();
      if (out != nullptr) *out = a;
      return Status::OK();
    }
    return Status::InvalidArgument("unknown agent '" + agent + "'");
  }

  Status Reply(const std::string& task_id, const std::string& message, Task* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    last_reply = message;
    if (!fail.ok()) return fail;
    auto it = tasks.find(task_id);
    if (it == tasks.end()) return Status::NotFound("task " + task_id + " not found");
    if (it->second.status != TaskStatus::kNeedsInput) {
      return Status::Conflict("task " + task_id + " is not waiting for an answer");
    }
    it->second.status = TaskStatus::kPending;
    it->second.reply = message;
    *out = it->second;
    return Status::OK();
  }

  Status GetStatus(ServiceStatus* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    *out = status;
    return Status::OK();
  }

  Status Route(const Task& task, RouteDecision* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    last_route_task = task;
    if (!fail.ok()) return fail;
    if (!task.assigned_to.empty()) {
      *out = {task.assigned_to, "explicit", "assigned_to"};
    } else if (task.title.find("research") != std::string::npos) {
      *out = {"mongke", "keyword", "research"};
    } else {
      *out = {"main", "default", ""};
    }
    return Status::OK();
  }

  Status GetExecution(const std::string& id, SessionExecution* out) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    auto it = executions.find(id);
    if (it == executions.end()) return Status::NotFound("execution " + id + " not found");
    ++get_execution_calls;
    // Lets `logs --follow` tests end an execution at the Nth lookup.
    if (finish_after_polls > 0 && get_execution_calls >= finish_after_polls) {
      it->second.status = ExecutionStatus::kCompleted;
    }
    *out = it->second;
    return Status::OK();
  }

  // Records the request; reports `prune_report`.
  Status Prune(const PruneRequest& request, PruneReport* report) override {
    std::lock_guard<std::mutex> l(mu);
    ++calls;
    if (!fail.ok()) return fail;
    last_prune = request;
    *report = prune_report;
    return Status::OK();
  }

  std::mutex mu;
  Status fail;  // returned by every call when not OK
  std::map<std::string, Task> tasks;
  std::map<std::string, SessionExecution> executions;
  std::vector<Artifact> artifacts;
  ServiceStatus status;
  int next_id = 0;
  int calls = 0;
  int get_execution_calls = 0;
  int finish_after_polls = 0;
  NewTask last_new_task;
  TaskPatch last_patch;
  TaskFilter last_filter;
  std::string last_execute_agent;
  std::vector<AgentState> agents;  // what ListAgents reports
  bool last_execute_force = false;
  std::string last_reply;
  Task last_route_task;
  PruneRequest last_prune;
  PruneReport prune_report;
};

}  // namespace taskexec
