#include "notion/outbound_sync.h"

#include <spdlog/spdlog.h>

namespace taskexec::notion {
namespace {

std::string Marker(const std::string& execution_id) { return "[taskexec " + execution_id + "]"; }

}  // namespace

std::string ResultComment(const Task& task, const SessionExecution& e,
                          const std::vector<Artifact>& artifacts) {
  std::string text = "taskexec: attempt " + std::to_string(e.attempt) + " of task " + task.id +
                     " on " + (e.agent.empty() ? "?" : e.agent) + " " +
                     std::string(ToString(e.status)) + "\n";
  if (e.status == ExecutionStatus::kCompleted) {
    text += "Summary: " + (e.summary.empty() ? std::string("(none)") : e.summary) + "\n";
  } else if (e.status == ExecutionStatus::kNeedsInput) {
    text += "Question: " + e.summary + "\n";
    text += "Answer it with `taskexec task reply " + task.id +
            " --message ...`, the API or the dashboard; the next attempt gets the question and "
            "the answer.\n";
  } else {
    text += "Error" +
            (e.error_type == ErrorType::kNone ? std::string()
                                              : " (" + std::string(ToString(e.error_type)) + ")") +
            ": " + (e.error.empty() ? std::string("(none)") : e.error) + "\n";
    // When the agent last said anything: where a stalled or timed-out
    // attempt went quiet.
    if (e.last_output_at != 0) text += "Last output: " + FormatIso8601(e.last_output_at) + "\n";
    // This attempt spent the task's budget: it gets no retry, and says why
    // (the task's outcome is written with the attempt's, at the same time).
    if (task.status == TaskStatus::kFailed && task.error_type == ErrorType::kBudgetExhausted &&
        e.ended_at != 0 && e.ended_at == task.completed_at) {
      text += "Task stopped: " + task.error_message + "\n";
    }
    if (e.error_type == ErrorType::kUsageLimit) {
      text += "Waiting: the agent's provider limit was reached; " +
              (e.agent.empty() ? std::string("the agent") : e.agent) +
              " is paused until it resets (taskexec agents) and the task runs again then, its "
              "retries untouched.\n";
    }
  }
  if (e.usage.Reported()) text += "Usage: " + UsageText(e.usage) + "\n";
  if (!e.resumed_session_id.empty()) {
    text += "Continued session " + e.resumed_session_id + "\n";
  } else if (!e.session_id.empty()) {
    text += "Session: " + e.session_id + "\n";
  }
  std::vector<const Artifact*> mine;
  for (const Artifact& a : artifacts)
    if (a.execution_id == e.id) mine.push_back(&a);
  if (!mine.empty()) {
    text += "Artifacts (" + std::to_string(mine.size()) + "):\n";
    size_t listed = 0;
    for (const Artifact* a : mine) {
      if (++listed > 50) {
        text += "- ... and " + std::to_string(mine.size() - 50) + " more\n";
        break;
      }
      text += "- " + (a->path.empty() ? a->name : a->path) + " (" + std::to_string(a->size) +
              " bytes)\n";
    }
  }
  return text + Marker(e.id);
}

std::string StopMarkerId(const Task& task) {
  return "stop-" + task.id + "-" + std::to_string(task.completed_at);
}

std::string StopComment(const Task& task, const std::vector<SessionExecution>& executions) {
  if (task.status != TaskStatus::kFailed || task.error_type != ErrorType::kBudgetExhausted) {
    return "";
  }
  // Stopped after an attempt: that attempt's comment says so already.
  for (const SessionExecution& e : executions)
    if (e.ended_at != 0 && e.ended_at == task.completed_at) return "";
  return "taskexec: task " + task.id +
         " stopped before its next attempt\nTask stopped: " + task.error_message + "\n" +
         Marker(StopMarkerId(task));
}

OutboundSync::OutboundSync(NotionClient* client, const PropertyMapping* mapping, TaskStore* store,
                           TaskService* service,
                           std::function<Status(const Status&)> recheck_schema, const Clock* clock)
    : client_(client),
      mapping_(mapping),
      store_(store),
      service_(service),
      state_(store),
      recheck_schema_(std::move(recheck_schema)),
      clock_(clock != nullptr ? clock : SystemClock::Default()) {}

std::string OutboundSync::DesiredOption(const Task& task) const {
  if (!state_.Intent(task.id).empty()) return "";  // keep the person's column meanwhile
  // An execution requested from the board shows as running at once.
  if (task.status == TaskStatus::kPending && !task.requested_execution_id.empty())
    return mapping_->OptionForStatus(TaskStatus::kInProgress);
  return mapping_->OptionForStatus(task.status);
}

int64_t OutboundSync::SyncedVersion(const std::string& task_id) {
  auto it = synced_.find(task_id);
  if (it != synced_.end()) return it->second;
  ++stats_.synced_reads;
  const int64_t version = state_.SyncedVersion(task_id);
  synced_.emplace(task_id, version);
  return version;
}

Status OutboundSync::SetSyncedVersion(const std::string& task_id, int64_t version) {
  Status st = state_.SetSyncedVersion(task_id, version);
  if (st.ok()) {
    synced_[task_id] = version;
  } else {
    synced_.erase(task_id);  // unknown now: read it again
  }
  return st;
}

Status OutboundSync::Flush() {
  const std::string generation = state_.OutboxGeneration();
  if (!cache_read_ || generation != cache_generation_) {
    synced_.clear();
    cache_generation_ = generation;
    cache_read_ = true;
  }
  TaskFilter filter;
  filter.source = "notion";
  std::vector<Task> listed;
  Status st = store_->ListTasks(filter, &listed);
  if (!st.ok()) return st;
  // Entries of tasks no longer listed (pruned) go, so the cache stays the
  // size of the board.
  std::unordered_map<std::string, int64_t> kept;
  kept.reserve(listed.size());
  std::vector<Task> tasks;
  for (Task& task : listed) {
    if (task.notion_page_id.empty()) continue;
    const int64_t synced = SyncedVersion(task.id);
    kept.emplace(task.id, synced);
    if (task.version > synced) tasks.push_back(std::move(task));
  }
  synced_.swap(kept);
  for (const Task& task : tasks) {
    st = SyncTask(task);
    if (st.IsUnavailable() || (st.code() == Status::Code::kIOError))
      return st;  // Notion (or the store) is down: later
    if (!st.ok()) spdlog::warn("notion: sync of task {} failed: {}", task.id, st.ToString());
  }
  return Status::OK();
}

Status OutboundSync::SyncTask(const Task& task) {
  Json written = state_.Written(task.id);
  Json desired = written;
  desired["task_id"] = task.id;
  std::string option = DesiredOption(task);
  if (!option.empty()) desired["status"] = option;
  if (mapping_->has_agent()) {
    std::string agent = !task.claimed_by.empty() ? task.claimed_by : task.assigned_to;
    if (agent == "any") agent.clear();
    // Never blank a person's choice before an agent is known.
    if (!agent.empty()) desired["agent"] = agent;
  }
  Json props = Json::object();
  if (JsonString(desired, "task_id") != JsonString(written, "task_id"))
    props[mapping_->task_id_property()] = mapping_->TaskIdValue(task.id);
  if (!option.empty() && JsonString(desired, "status") != JsonString(written, "status"))
    props[mapping_->status_property()] = mapping_->StatusValue(option);
  if (mapping_->has_agent() && JsonString(desired, "agent") != JsonString(written, "agent"))
    props[mapping_->agent_property()] = mapping_->AgentValue(JsonString(desired, "agent"));

  if (!props.empty()) {
    Status st = client_->UpdatePage(task.notion_page_id, props, nullptr);
    if (!st.ok()) {
      if (st.IsUnavailable()) return st;
      if (!PageGone(st)) {
        // The page is there and refused a property value (or the schema
        // changed): the attempts' comments do not depend on either. Until
        // they are out the task is not marked synced, so an outage here
        // retries all of it.
        Status cs = PostComments(task);
        if (cs.IsUnavailable()) return cs;
      }
      return HandlePermanentError(task, st, "page update");
    }
    ++stats_.patches;
    st = state_.SetWritten(task.id, desired);
    if (!st.ok()) return st;
  } else {
    ++stats_.skipped_same;
  }
  Status st = PostComments(task);
  if (!st.ok()) return st;
  st = SetSyncedVersion(task.id, task.version);
  if (!st.ok()) return st;
  // A refusal of an older version is history once this one landed; one of
  // this version was recorded just now (a refused comment returns OK too).
  const Json refusal = state_.Refusal(task.id);
  if (!refusal.empty() && JsonInt(refusal, "version") < task.version)
    return state_.SetRefusal(task.id, Json());
  return Status::OK();
}

Status OutboundSync::PostComments(const Task& task) {
  std::vector<SessionExecution> executions;
  Status st = store_->ListExecutions(task.id, &executions);
  if (!st.ok()) return st;
  std::vector<Artifact> artifacts;
  bool have_artifacts = false;
  for (const SessionExecution& e : executions) {
    if (e.status == ExecutionStatus::kActive) continue;
    const std::string key = SyncState::CommentKey(e.id);
    if (state_.Get(key) == "posted") continue;
    if (!have_artifacts) {
      st = store_->ListArtifacts(task.id, &artifacts);
      if (!st.ok()) return st;
      have_artifacts = true;
    }
    st = PostOnce(task, key, e.id, ResultComment(task, e, artifacts));
    if (!st.ok()) return st;
  }
  const std::string stop = StopComment(task, executions);
  if (stop.empty()) return Status::OK();
  const std::string marker_id = StopMarkerId(task);
  return PostOnce(task, SyncState::CommentKey(marker_id), marker_id, stop);
}

Status OutboundSync::PostOnce(const Task& task, const std::string& key,
                              const std::string& marker_id, const std::string& text) {
  const std::string mark = state_.Get(key);
  if (mark == "posted") return Status::OK();
  Status st;
  if (mark == "uncertain") {
    // A previous POST may have landed: look before posting twice.
    std::vector<Json> comments;
    st = client_->ListComments(task.notion_page_id, &comments);
    if (!st.ok()) return st.IsUnavailable() ? st : HandlePermanentError(task, st, "comment");
    for (const Json& c : comments) {
      if (PlainText(c.value("rich_text", Json::array())).find(Marker(marker_id)) !=
          std::string::npos) {
        return state_.Set(key, "posted");
      }
    }
  }
  st = client_->CreateComment(task.notion_page_id, text, nullptr);
  if (st.IsUnavailable()) {
    state_.Set(key, "uncertain");
    return st;
  }
  if (!st.ok()) return HandlePermanentError(task, st, "comment");
  ++stats_.comments;
  return state_.Set(key, "posted");
}

bool OutboundSync::PageGone(const Status& st) {
  const std::string& msg = st.message();
  return st.IsNotFound() || msg.find("archived") != std::string::npos ||
         msg.find("in_trash") != std::string::npos;
}

Status OutboundSync::HandlePermanentError(const Task& task, const Status& st, const char* what) {
  const std::string& msg = st.message();
  // Maybe a configured property was renamed or deleted while running, or an
  // option removed; or just this task's value is bad (an unknown agent).
  // Only a schema that no longer validates pauses writes (and keeps the
  // change for later); otherwise this task's write is given up below.
  const bool validation = msg.find("validation_error") != std::string::npos;
  if (validation && (msg.find("is not a property that exists") != std::string::npos ||
                     msg.find("option") != std::string::npos)) {
    Status schema = recheck_schema_ ? recheck_schema_(st) : Status::OK();
    if (!schema.ok()) {
      spdlog::error("notion: write to page {} (task {}) refused: {}", task.notion_page_id, task.id,
                    msg);
      if (schema.IsUnavailable()) return schema;  // could not look: try the task again later
      return Status::Unavailable("notion schema changed: " + msg);
    }
  }
  // The page is gone, trashed, or no longer shared: cancel its task and drop
  // the write (repeating it cannot succeed).
  const bool gone = PageGone(st);
  if (gone) {
    spdlog::warn("notion: page {} of task {} is gone ({}); cancelling the task",
                 task.notion_page_id, task.id, msg);
    if (!IsTerminal(task.status)) {
      Task out;
      Status cs = service_->Cancel(task.id, &out);
      if (!cs.ok()) spdlog::warn("notion: cancel of task {}: {}", task.id, cs.ToString());
    }
  } else {
    spdlog::error("notion: {} of page {} (task {}) refused, not retried: {}", what,
                  task.notion_page_id, task.id, msg);
    // Kept until a later write of the task lands: `taskexec notion outbox`
    // lists it, `notion outbox retry` queues the task's writes again.
    Status rs = state_.SetRefusal(task.id, Json{{"what", what},
                                                {"reason", msg},
                                                {"at", FormatIso8601(clock_->NowMs())},
                                                {"version", task.version}});
    if (!rs.ok()) return rs;
  }
  ++stats_.given_up;
  // The version attempted: a later change still gets its own write. Only a
  // gone page's cancel (our own change) is covered by the fresh version.
  int64_t version = task.version;
  Task fresh;
  if (gone && store_->GetTask(task.id, &fresh).ok()) version = fresh.version;
  return SetSyncedVersion(task.id, version);
}

}  // namespace taskexec::notion
