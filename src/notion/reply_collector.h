// ReplyCollector: a person's comment on a card answers the question its
// task waits on (status needs_input).
//
// For each needs_input task with a page, it reads the page's comments
// (GET /v1/comments, creation order) and looks for taskexec's own comment
// about the attempt that asked (the "[taskexec <execution id>]" marker the
// outbound sync puts on every result comment). The first comment after it
// written by someone else (created_by differs from the question comment's
// author, which is taskexec's integration) is the answer: it goes to
// TaskService::Reply, which re-queues the task with it. Comments before the
// question, taskexec's own comments and empty ones are never taken. Until
// the question comment is on the page there is nothing to answer.
//
// Each waiting task's comments are read at most once per `min_interval_ms`,
// so a board with many questions open stays inside the request budget.
//
// Thread-safety: not thread-safe; NotionSync calls it from its one thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "api/task_service.h"
#include "core/clock.h"
#include "notion/notion_client.h"
#include "store/task_store.h"

namespace taskexec::notion {

class ReplyCollector {
 public:
  ReplyCollector(NotionClient* client, TaskStore* store, TaskService* service, const Clock* clock,
                 int64_t min_interval_ms = 30000);

  // One pass over the waiting tasks. Fails only when the store or Notion
  // does; a task whose reply is refused (it moved on meanwhile) is logged.
  Status Collect();

  int64_t replies() const { return replies_; }  // answers taken since start

 private:
  // The answer on `task`'s page, or "" when there is none yet.
  Status FindAnswer(const Task& task, const std::string& asking_execution, std::string* answer);

  NotionClient* client_;
  TaskStore* store_;
  TaskService* service_;
  const Clock* clock_;
  const int64_t min_interval_ms_;
  std::unordered_map<std::string, TimeMs> last_read_;  // task id -> when its comments were read
  int64_t replies_ = 0;
};

}  // namespace taskexec::notion
