#include "notion/outbox.h"

#include <algorithm>

#include "notion/notion_client.h"
#include "notion/sync_state.h"

namespace taskexec::notion {
namespace {

// Counts the finished attempts of `task_id` whose comment is not posted.
Status CountComments(TaskStore* store, const SyncState& state, const std::string& task_id,
                     OutboxItem* item) {
  std::vector<SessionExecution> executions;
  Status st = store->ListExecutions(task_id, &executions);
  if (!st.ok()) return st;
  for (const SessionExecution& e : executions) {
    if (e.status == ExecutionStatus::kActive) continue;
    const std::string mark = state.Get(SyncState::CommentKey(e.id));
    if (mark == "posted") continue;
    ++item->comments_waiting;
    if (mark == "uncertain") ++item->comments_uncertain;
  }
  return Status::OK();
}

}  // namespace

Status ListOutbox(TaskStore* store, std::vector<OutboxItem>* items) {
  items->clear();
  SyncState state(store);
  std::vector<std::string> refused = state.RefusedTasks();
  for (const std::string& id : refused) {
    Task task;
    Status st = store->GetTask(id, &task);
    if (st.IsNotFound()) {
      // Pruned since: its refusal went with it.
      Status cs = state.SetRefusal(id, nlohmann::json());
      if (!cs.ok()) return cs;
      continue;
    }
    if (!st.ok()) return st;
    const nlohmann::json r = state.Refusal(id);
    if (r.empty()) continue;
    OutboxItem item;
    item.task_id = id;
    item.page_id = task.notion_page_id;
    item.state = "refused";
    item.task_version = task.version;
    item.synced_version = state.SyncedVersion(id);
    item.what = JsonString(r, "what");
    item.reason = JsonString(r, "reason");
    item.refused_at = JsonString(r, "at");
    st = CountComments(store, state, id, &item);
    if (!st.ok()) return st;
    items->push_back(std::move(item));
  }
  std::vector<Task> tasks;
  Status st = state.UnsyncedTasks(&tasks);
  if (!st.ok()) return st;
  for (const Task& task : tasks) {
    if (std::find(refused.begin(), refused.end(), task.id) != refused.end()) continue;
    OutboxItem item;
    item.task_id = task.id;
    item.page_id = task.notion_page_id;
    item.state = "pending";
    item.task_version = task.version;
    item.synced_version = state.SyncedVersion(task.id);
    st = CountComments(store, state, task.id, &item);
    if (!st.ok()) return st;
    items->push_back(std::move(item));
  }
  return Status::OK();
}

Status RetryOutbox(TaskStore* store, const std::vector<std::string>& task_ids,
                   std::vector<std::string>* requeued) {
  requeued->clear();
  SyncState state(store);
  std::vector<std::string> ids = task_ids.empty() ? state.RefusedTasks() : task_ids;
  for (const std::string& id : ids) {
    if (state.Refusal(id).empty())
      return Status::NotFound("task " + id + " has no refused Notion write");
  }
  for (const std::string& id : ids) {
    // Version 0: the next flush writes whatever differs from what the card
    // last showed, and posts every comment not marked posted.
    Status st = state.Requeue(id);
    if (st.ok()) st = state.SetRefusal(id, nlohmann::json());
    if (!st.ok()) return st;
    requeued->push_back(id);
  }
  return Status::OK();
}

}  // namespace taskexec::notion
