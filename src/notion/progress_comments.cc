#include "notion/progress_comments.h"
#include "notion/notion_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace taskexec::notion {
namespace {

constexpr const char* kStateKey = "notion.progress";
constexpr const char* kOpen = "open";
constexpr const char* kUncertain = "uncertain";
constexpr const char* kGivenUp = "given_up";

}  // namespace

std::string ProgressMarker(const std::string& execution_id) {
  return "[taskexec progress " + execution_id + "]";
}

std::string ProgressText(const SessionExecution& e, TimeMs now) {
  const bool running = e.status == ExecutionStatus::kActive;
  const std::string agent = e.agent.empty() ? "?" : e.agent;
  std::string text =
      "taskexec: attempt " + std::to_string(e.attempt) + " of task " + e.task_id + " on " + agent;
  if (running) {
    text += " is running\nElapsed: " + FormatElapsed(now - e.started_at) + " (since " +
            FormatIso8601(e.started_at) + ")\n";
  } else {
    const TimeMs end = e.ended_at != 0 ? e.ended_at : now;
    text += " ended " + std::string(ToString(e.status)) + " after " +
            FormatElapsed(end - e.started_at) + "\n";
  }
  text += "Last output: " +
          (e.last_output_at != 0 ? FormatIso8601(e.last_output_at) : std::string("none yet")) +
          "\n";
  if (!e.last_output_line.empty()) text += "Last line: " + e.last_output_line + "\n";
  if (!running) text += "The result follows in the next comment.\n";
  return text + ProgressMarker(e.id);
}

ProgressComments::ProgressComments(NotionClient* client, TaskStore* store, int64_t interval_ms,
                                   std::function<bool()> may_send, const Clock* clock,
                                   int max_requests_per_tick)
    : client_(client),
      store_(store),
      interval_ms_(interval_ms),
      may_send_(std::move(may_send)),
      clock_(clock != nullptr ? clock : SystemClock::Default()),
      max_requests_per_tick_(std::max(1, max_requests_per_tick)) {}

Status ProgressComments::Load() {
  if (loaded_) return Status::OK();
  std::string text;
  Status st = store_->GetMeta(kStateKey, &text);
  if (st.IsNotFound() || (st.ok() && text.empty())) {
    loaded_ = true;
    return Status::OK();
  }
  if (!st.ok()) return st;
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    // Only bookkeeping: at worst an attempt gets a second comment.
    spdlog::warn("notion: progress state is unreadable; starting afresh");
  } else {
    for (const auto& [id, v] : j.items()) {
      if (!v.is_object()) continue;
      Entry e;
      e.comment_id = JsonString(v, "comment");
      e.task_id = JsonString(v, "task");
      e.page_id = JsonString(v, "page");
      e.at = JsonInt(v, "at");
      e.state = JsonString(v, "state");
      entries_[id] = std::move(e);
    }
  }
  loaded_ = true;
  return Status::OK();
}

Status ProgressComments::Save() {
  Json j = Json::object();
  for (const auto& [id, e] : entries_) {
    j[id] = {{"comment", e.comment_id},
             {"task", e.task_id},
             {"page", e.page_id},
             {"at", e.at},
             {"state", e.state}};
  }
  return store_->SetMeta(kStateKey, j.dump());
}

bool ProgressComments::MaySend(int sent) {
  if (sent < max_requests_per_tick_ && (!may_send_ || may_send_())) return true;
  ++stats_.skipped;
  return false;
}

Status ProgressComments::Tick() {
  if (!enabled()) return Status::OK();
  if (Status st = Load(); !st.ok()) return st;
  std::vector<SessionExecution> active;
  if (Status st = store_->ListActiveExecutions(&active); !st.ok()) return st;
  // The longest-running first: when budget is short, none starves.
  std::sort(active.begin(), active.end(), [](const SessionExecution& a, const SessionExecution& b) {
    return a.started_at != b.started_at ? a.started_at < b.started_at : a.id < b.id;
  });
  const TimeMs now = clock_->NowMs();
  int sent = 0;
  std::set<std::string> running;
  for (const SessionExecution& e : active) {
    running.insert(e.id);
    if (without_page_.count(e.id)) continue;
    auto it = entries_.find(e.id);
    if (it != entries_.end() && it->second.state == kGivenUp) continue;
    // The text is made once per attempt and round: it decides whether an
    // edit is due and is what the edit sends.
    const std::string text = ProgressText(e, now);
    auto last = last_text_.find(e.id);
    const bool due =
        it == entries_.end() || it->second.state == kUncertain ||
        (now - it->second.at >= interval_ms_ && (last == last_text_.end() || last->second != text));
    if (!due) continue;
    if (!MaySend(sent)) return Status::OK();
    bool request = false;
    Status st = Advance(e, text, now, &request);
    if (request) ++sent;
    if (!st.ok()) return st;
  }
  std::erase_if(without_page_, [&](const std::string& id) { return !running.count(id); });
  std::vector<std::string> ended;
  for (const auto& [id, entry] : entries_)
    if (!running.count(id)) ended.push_back(id);
  for (const std::string& id : ended) {
    if (entries_[id].state != kGivenUp && !MaySend(sent)) return Status::OK();
    bool request = false;
    Status st = Close(id, now, &request);
    if (request) ++sent;
    if (!st.ok()) return st;
  }
  return Status::OK();
}

Status ProgressComments::Advance(const SessionExecution& e, const std::string& text, TimeMs now,
                                 bool* sent) {
  auto it = entries_.find(e.id);
  if (it == entries_.end()) {
    Task task;
    Status st = store_->GetTask(e.task_id, &task);
    if (st.IsNotFound() || (st.ok() && task.notion_page_id.empty())) {
      without_page_.insert(e.id);
      return Status::OK();
    }
    if (!st.ok()) return st;
    Entry entry;
    entry.task_id = task.id;
    entry.page_id = task.notion_page_id;
    entry.state = kUncertain;  // until Notion answers
    it = entries_.emplace(e.id, std::move(entry)).first;
  }
  Entry& entry = it->second;
  *sent = true;
  if (entry.comment_id.empty()) return Create(e.id, &entry, text);
  Status st = client_->UpdateComment(entry.comment_id, text, nullptr);
  if (st.IsUnavailable()) return st;
  if (!st.ok()) {
    GiveUp(e.id, &entry, st);
    return Save();
  }
  ++stats_.updated;
  entry.at = now;
  last_text_[e.id] = text;
  return Save();
}

Status ProgressComments::Create(const std::string& execution_id, Entry* entry,
                                const std::string& text) {
  const bool checked_before = entry->state == kUncertain && entry->at != 0;
  if (checked_before) {
    // An earlier POST may have landed: edit that one instead of a second.
    std::string found;
    Status st = FindPosted(entry->page_id, execution_id, &found);
    if (st.IsUnavailable()) return st;
    if (!st.ok()) {
      GiveUp(execution_id, entry, st);
      return Save();
    }
    if (!found.empty()) {
      entry->comment_id = found;
      entry->state = kOpen;
      // Written now: the next edit comes after an interval.
      Status us = client_->UpdateComment(found, text, nullptr);
      if (us.IsUnavailable()) {
        Status ss = Save();  // the comment is found; the edit is retried
        return ss.ok() ? us : ss;
      }
      if (!us.ok()) {
        GiveUp(execution_id, entry, us);
        return Save();
      }
      ++stats_.updated;
      entry->at = clock_->NowMs();
      last_text_[execution_id] = text;
      return Save();
    }
  }
  // Recorded before the POST: if its answer is lost, the next tick looks
  // for the comment before posting again.
  entry->state = kUncertain;
  entry->at = clock_->NowMs();
  if (Status st = Save(); !st.ok()) return st;
  Json comment;
  Status st = client_->CreateComment(entry->page_id, text, &comment);
  if (st.IsUnavailable()) return st;
  if (!st.ok()) {
    GiveUp(execution_id, entry, st);
    return Save();
  }
  ++stats_.created;
  entry->comment_id = JsonString(comment, "id");
  entry->state = entry->comment_id.empty() ? kGivenUp : kOpen;
  last_text_[execution_id] = text;
  return Save();
}

Status ProgressComments::FindPosted(const std::string& page_id, const std::string& execution_id,
                                    std::string* comment_id) {
  comment_id->clear();
  std::vector<Json> comments;
  Status st = client_->ListComments(page_id, &comments);
  if (!st.ok()) return st;
  const std::string marker = ProgressMarker(execution_id);
  for (const Json& c : comments) {
    if (PlainText(c.value("rich_text", Json::array())).find(marker) != std::string::npos) {
      *comment_id = JsonString(c, "id");
      return Status::OK();
    }
  }
  return Status::OK();
}

Status ProgressComments::Close(const std::string& execution_id, TimeMs now, bool* sent) {
  auto drop = [&] {
    entries_.erase(execution_id);
    last_text_.erase(execution_id);
    return Save();
  };
  Entry& entry = entries_[execution_id];
  if (entry.state == kGivenUp) return drop();
  SessionExecution e;
  Status st = store_->GetExecution(execution_id, &e);
  if (st.IsNotFound()) return drop();  // pruned meanwhile
  if (!st.ok()) return st;
  const std::string text = ProgressText(e, now);
  *sent = true;
  if (entry.comment_id.empty()) {
    // An uncertain POST: close the comment if it landed, else post none.
    std::string found;
    st = FindPosted(entry.page_id, execution_id, &found);
    if (st.IsUnavailable()) return st;
    if (!st.ok() || found.empty()) return drop();
    entry.comment_id = found;
  }
  st = client_->UpdateComment(entry.comment_id, text, nullptr);
  if (st.IsUnavailable()) return st;
  if (!st.ok()) {
    spdlog::warn("notion: closing the progress comment of execution {} (task {}): {}", execution_id,
                 entry.task_id, st.ToString());
  } else {
    ++stats_.updated;
  }
  return drop();
}

void ProgressComments::GiveUp(const std::string& execution_id, Entry* entry, const Status& why) {
  spdlog::warn("notion: no progress comment for execution {} (task {}, page {}): {}", execution_id,
               entry->task_id, entry->page_id, why.ToString());
  entry->state = kGivenUp;
}

}  // namespace taskexec::notion
