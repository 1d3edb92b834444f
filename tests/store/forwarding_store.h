// ForwardingStore: a TaskStore that hands every call to another one. Tests
// derive from it to make one call fail as a real store would (a full disk,
// a store that went away) and leave the rest real.
//
// Thread-safety: as safe as the inner store.
#pragma once

#include "store/task_store.h"

namespace taskexec::store_test {

class ForwardingStore : public TaskStore {
 public:
  explicit ForwardingStore(TaskStore* inner) : inner_(inner) {}

  Status AddTask(const NewTask& task, TimeMs now, Task* out) override {
    return inner_->AddTask(task, now, out);
  }
  Status AddTasks(const std::vector<NewTask>& tasks, TimeMs now,
                  std::vector<Status>* results) override {
    return inner_->AddTasks(tasks, now, results);
  }
  Status GetTask(const std::string& id, Task* out) override { return inner_->GetTask(id, out); }
  Status FindByNotionPage(const std::string& page_id, Task* out) override {
    return inner_->FindByNotionPage(page_id, out);
  }
  Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) override {
    return inner_->ListTasks(filter, out);
  }
  Status CountTasks(const TaskFilter& filter, int64_t* total) override {
    return inner_->CountTasks(filter, total);
  }
  Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) override {
    return inner_->ListChanged(after, limit, out);
  }
  Status ListDependents(const std::string& id, std::vector<Task>* out) override {
    return inner_->ListDependents(id, out);
  }
  Status UpdateTask(const std::string& id, const TaskPatch& patch, int64_t expected_version,
                    TimeMs now, Task* out) override {
    return inner_->UpdateTask(id, patch, expected_version, now, out);
  }
  Status SetStatus(const std::string& id, TaskStatus to, const std::string& reason, TimeMs now,
                   Task* out) override {
    return inner_->SetStatus(id, to, reason, now, out);
  }
  Status ListRunnable(TimeMs now, int limit, bool only_requested, std::vector<Task>* out) override {
    return inner_->ListRunnable(now, limit, only_requested, out);
  }
  Status ListRunnableFor(const std::string& agent, TimeMs now, int limit,
                         const std::vector<std::string>& skip_types,
                         std::vector<Task>* out) override {
    return inner_->ListRunnableFor(agent, now, limit, skip_types, out);
  }
  Status ListUnrouted(int limit, std::vector<Task>* out) override {
    return inner_->ListUnrouted(limit, out);
  }
  Status SetRoutes(const std::vector<TaskRoute>& routes, int* written) override {
    return inner_->SetRoutes(routes, written);
  }
  Status ClearRoutes(int64_t* cleared) override { return inner_->ClearRoutes(cleared); }
  Status ListQueuedAgents(std::vector<std::string>* out) override {
    return inner_->ListQueuedAgents(out);
  }
  Status ListFinishedBefore(TimeMs cutoff, const FinishedCursor& after, int limit,
                            std::vector<Task>* out) override {
    return inner_->ListFinishedBefore(cutoff, after, limit, out);
  }
  Status DeleteTasks(const std::vector<TaskDeletion>& tasks,
                     std::vector<std::string>* deleted) override {
    return inner_->DeleteTasks(tasks, deleted);
  }
  Status RequestExecution(const std::string& id, const std::string& execution_id,
                          const std::string& agent, bool force, TimeMs now, Task* out) override {
    return inner_->RequestExecution(id, execution_id, agent, force, now, out);
  }
  Status Claim(const ClaimRequest& req, taskexec::Claim* out) override {
    return inner_->Claim(req, out);
  }
  // ClaimTasks is TaskStore's: each request through Claim, so a test that
  // makes Claim fail fails the batched claims too.
  Status MarkStarted(const std::string& task_id, const std::string& execution_id,
                     const std::string& executor_id, int64_t pid, TimeMs now) override {
    return inner_->MarkStarted(task_id, execution_id, executor_id, pid, now);
  }
  Status RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                     std::vector<std::string>* held) override {
    return inner_->RenewLeases(executor_id, lease_expires_at, now, held);
  }
  Status RecordOutputTimes(const std::string& executor_id, const std::vector<OutputTime>& times,
                           int* written) override {
    return inner_->RecordOutputTimes(executor_id, times, written);
  }
  Status ListExpiredLeases(TimeMs now, std::vector<Task>* out) override {
    return inner_->ListExpiredLeases(now, out);
  }
  Status FinishAttempt(const AttemptOutcome& outcome, Task* out) override {
    return inner_->FinishAttempt(outcome, out);
  }
  // FinishAttempts is TaskStore's: each outcome through FinishAttempt, so a
  // test that makes FinishAttempt fail fails the batched writes too.
  Status Reply(const std::string& id, const std::string& message, TimeMs now, Task* out) override {
    return inner_->Reply(id, message, now, out);
  }
  Status FailQueued(const std::string& id, int64_t expected_version, ErrorType error_type,
                    const std::string& message, TimeMs now, Task* out) override {
    return inner_->FailQueued(id, expected_version, error_type, message, now, out);
  }
  Status RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                       Task* out) override {
    return inner_->RequestCancel(id, reason, now, out);
  }
  Status ListCancelRequests(const std::string& executor_id,
                            std::vector<std::string>* task_ids) override {
    return inner_->ListCancelRequests(executor_id, task_ids);
  }
  Status GetExecution(const std::string& id, SessionExecution* out) override {
    return inner_->GetExecution(id, out);
  }
  Status ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) override {
    return inner_->ListExecutions(task_id, out);
  }
  Status ListActiveExecutions(std::vector<SessionExecution>* out) override {
    return inner_->ListActiveExecutions(out);
  }
  Status ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) override {
    return inner_->ListArtifacts(task_id, out);
  }
  Status GetStats(StoreStats* out) override { return inner_->GetStats(out); }
  Status CostByAgentSince(TimeMs since, std::map<std::string, double>* out) override {
    return inner_->CostByAgentSince(since, out);
  }
  Status GetMeta(const std::string& key, std::string* value) override {
    return inner_->GetMeta(key, value);
  }
  Status SetMeta(const std::string& key, const std::string& value) override {
    return inner_->SetMeta(key, value);
  }
  Status UpdateMeta(const std::string& key, const MetaUpdate& update, std::string* value) override {
    return inner_->UpdateMeta(key, update, value);
  }
  Status ChangeCounter(int64_t* out) override { return inner_->ChangeCounter(out); }
  std::unique_ptr<ChangeSubscription> SubscribeToChanges(std::function<void()> on_change) override {
    return inner_->SubscribeToChanges(std::move(on_change));
  }

 protected:
  TaskStore* inner_;
};

}  // namespace taskexec::store_test
