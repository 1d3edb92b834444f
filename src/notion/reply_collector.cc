#include "notion/reply_collector.h"
#include "notion/notion_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace taskexec::notion {
namespace {

std::string Trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string AuthorOf(const Json& comment) {
  if (!comment.is_object() || !comment.contains("created_by") ||
      !comment["created_by"].is_object()) {
    return "";
  }
  return JsonString(comment["created_by"], "id");
}

std::string TextOf(const Json& comment) {
  if (!comment.is_object() || !comment.contains("rich_text")) return "";
  return PlainText(comment["rich_text"]);
}

// The latest attempt that ended with the question.
std::string AskingExecution(const std::vector<SessionExecution>& executions) {
  const SessionExecution* latest = nullptr;
  for (const SessionExecution& e : executions) {
    if (e.status != ExecutionStatus::kNeedsInput) continue;
    if (latest == nullptr || e.ended_at > latest->ended_at ||
        (e.ended_at == latest->ended_at && e.started_at > latest->started_at)) {
      latest = &e;
    }
  }
  return latest == nullptr ? "" : latest->id;
}

}  // namespace

ReplyCollector::ReplyCollector(NotionClient* client, TaskStore* store, TaskService* service,
                               const Clock* clock, int64_t min_interval_ms)
    : client_(client),
      store_(store),
      service_(service),
      clock_(clock),
      min_interval_ms_(min_interval_ms) {}

Status ReplyCollector::Collect() {
  TaskFilter filter;
  filter.status = TaskStatus::kNeedsInput;
  std::vector<Task> waiting;
  if (Status s = store_->ListTasks(filter, &waiting); !s.ok()) return s;
  const TimeMs now = clock_->NowMs();
  std::unordered_map<std::string, TimeMs> still_waiting;
  for (const Task& task : waiting) {
    if (task.notion_page_id.empty()) continue;
    auto it = last_read_.find(task.id);
    if (it != last_read_.end() && now - it->second < min_interval_ms_) {
      still_waiting[task.id] = it->second;
      continue;
    }
    still_waiting[task.id] = now;
    std::vector<SessionExecution> executions;
    if (Status s = store_->ListExecutions(task.id, &executions); !s.ok()) return s;
    const std::string asking = AskingExecution(executions);
    if (asking.empty()) continue;
    std::string answer;
    if (Status s = FindAnswer(task, asking, &answer); !s.ok()) return s;
    if (answer.empty()) continue;
    Task out;
    Status s = service_->Reply(task.id, answer, &out);
    if (s.ok()) {
      ++replies_;
      spdlog::info("notion: task {} answered by a comment on its page", task.id);
    } else if (s.IsConflict() || s.IsInvalidArgument() || s.IsNotFound()) {
      spdlog::warn("notion: the answer on page {} was not taken for task {}: {}",
                   task.notion_page_id, task.id, s.ToString());
    } else {
      return s;
    }
  }
  last_read_ = std::move(still_waiting);  // forget tasks no longer waiting
  return Status::OK();
}

Status ReplyCollector::FindAnswer(const Task& task, const std::string& asking_execution,
                                  std::string* answer) {
  answer->clear();
  std::vector<Json> comments;
  if (Status s = client_->ListComments(task.notion_page_id, &comments); !s.ok()) return s;
  const std::string marker = "[taskexec " + asking_execution + "]";
  auto question = std::find_if(comments.begin(), comments.end(), [&](const Json& c) {
    return TextOf(c).find(marker) != std::string::npos;
  });
  if (question == comments.end()) return Status::OK();  // not posted yet
  const std::string ours = AuthorOf(*question);
  for (auto it = question + 1; it != comments.end(); ++it) {
    const std::string text = Trimmed(TextOf(*it));
    if (text.empty() || text.find("[taskexec ") != std::string::npos) continue;
    if (!ours.empty() && AuthorOf(*it) == ours) continue;
    *answer = text.size() > kMaxReplyBytes ? text.substr(0, kMaxReplyBytes) : text;
    return Status::OK();
  }
  return Status::OK();
}

}  // namespace taskexec::notion
