#include "store/task_store.h"

namespace taskexec {

Status TaskStore::AddTasks(const std::vector<NewTask>& tasks, TimeMs now,
                           std::vector<Status>* results) {
  std::vector<Status> out;
  out.reserve(tasks.size());
  for (const NewTask& task : tasks) {
    Status s = AddTask(task, now, nullptr);
    // Refusals are per task; anything else is the store failing.
    if (!s.ok() && !s.IsInvalidArgument() && !s.IsConflict()) return s;
    out.push_back(std::move(s));
  }
  *results = std::move(out);
  return Status::OK();
}

}  // namespace taskexec
