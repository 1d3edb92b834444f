#include "api/task_service.h"

namespace taskexec {

Status TaskService::AddTasks(const std::vector<NewTask>& tasks, std::vector<Status>* results) {
  std::vector<Status> out;
  out.reserve(tasks.size());
  for (const NewTask& task : tasks) {
    Status s = AddTask(task, nullptr);
    if (!s.ok() && !s.IsInvalidArgument() && !s.IsConflict()) return s;
    out.push_back(std::move(s));
  }
  *results = std::move(out);
  return Status::OK();
}

Status TaskService::ListChanged(const ChangeCursor&, int, std::vector<Task>*) {
  return Status::Internal("this service has no change feed");
}

Status TaskService::ListAgents(std::vector<AgentState>*) {
  return Status::Internal("this service has no agents to list");
}

Status TaskService::ResumeAgent(const std::string&, AgentState*) {
  return Status::Internal("this service has no agents to resume");
}

Status TaskService::UpdateTask(const std::string&, const TaskPatch&, Task*) {
  return Status::Internal("this service cannot edit tasks");
}

Status TaskService::Prune(const PruneRequest&, PruneReport*) {
  return Status::Internal("this service cannot prune");
}

Status TaskService::ListWorkspaces(std::vector<WorkspaceInfo>*) {
  return Status::Internal("this service has no workspaces to list");
}

Status TaskService::CollectWorkspaces(bool, WorkspaceGcReport*) {
  return Status::Internal("this service has no workspaces to remove");
}

}  // namespace taskexec
