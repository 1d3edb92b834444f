#include "notion/inbound_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <functional>

namespace taskexec::notion {
namespace {

bool SameText(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

}  // namespace

InboundSync::InboundSync(NotionClient* client, const PropertyMapping* mapping, TaskStore* store,
                         TaskService* service, const Clock* clock, int64_t overlap_ms)
    : client_(client),
      mapping_(mapping),
      store_(store),
      service_(service),
      clock_(clock),
      state_(store),
      overlap_ms_(overlap_ms) {}

std::string InboundSync::Fingerprint(const NotionTaskFields& f) const {
  std::string all = f.last_edited_time + '\x1f' + (f.archived ? "A" : "-") + '\x1f' + f.title +
                    '\x1f' + f.description + '\x1f' + f.status_option + '\x1f' + f.priority_option +
                    '\x1f' + f.agent + '\x1f' + f.requester + '\x1f' + f.task_id + '\x1f' +
                    (f.blocked_by_more ? "+" : "-");
  for (const std::string& id : f.blocked_by) all += '\x1f' + id;
  return f.last_edited_time + "#" + std::to_string(std::hash<std::string>{}(all));
}

Status InboundSync::Poll() {
  TimeMs watermark = 0;
  std::string wm_text = state_.Get("notion.watermark");
  if (!wm_text.empty()) ParseIso8601(wm_text, &watermark);
  // The first poll reads the whole board but its finished cards; later
  // polls read every card edited since, finished ones included (a card
  // moved to Done finishes its task).
  const Json filter = watermark > 0
                          ? mapping_->EditedSinceFilter(FormatIso8601(watermark - overlap_ms_))
                          : mapping_->OpenCardsFilter(client_->version().status_groups);
  Json sorts = Json::array({{{"timestamp", "last_edited_time"}, {"direction", "ascending"}}});
  const TimeMs started = clock_->NowMs();
  std::vector<Json> pages;
  Status st = client_->QueryAll(filter, sorts, &pages, mapping_->PropertyIds());
  if (!st.ok()) return st;

  TimeMs newest = watermark;
  Status first_error;
  for (const Json& page : pages) {
    Status ps = ProcessPage(page);
    TimeMs edited = 0;
    ParseIso8601(JsonString(page, "last_edited_time"), &edited);
    if (!ps.ok()) {
      spdlog::warn("notion: page {} not applied, will retry: {}", JsonString(page, "id"),
                   ps.ToString());
      if (first_error.ok()) first_error = ps;
      continue;
    }
    // Results are ascending; never move past a page that failed.
    if (first_error.ok()) newest = std::max(newest, edited);
  }
  if (first_error.ok()) {
    // Nothing edited before (now - overlap) can still be missing, so an idle
    // board's polls shrink to one small result page (assumes our clock and
    // Notion's agree within the overlap; the periodic full scan backs this up).
    newest = std::max(newest, started - overlap_ms_);
  }
  if (newest > watermark) {
    Status ws = state_.Set("notion.watermark", FormatIso8601(newest));
    if (!ws.ok()) return ws;
  }
  return first_error;
}

Status InboundSync::FullScan() {
  std::vector<Json> pages;
  // Finished cards are left out; a task whose card was finished unseen is
  // not listed, so the page itself is read below.
  Status st = client_->QueryAll(mapping_->OpenCardsFilter(client_->version().status_groups), Json(),
                                &pages, mapping_->PropertyIds());
  if (!st.ok()) return st;
  std::vector<std::string> listed;
  Status first_error;
  for (const Json& page : pages) {
    listed.push_back(CompactId(JsonString(page, "id")));
    Status ps = ProcessPage(page);
    if (!ps.ok() && first_error.ok()) first_error = ps;
  }
  std::sort(listed.begin(), listed.end());
  TaskFilter tf;
  tf.source = "notion";
  std::vector<Task> tasks;
  st = store_->ListTasks(tf, &tasks);
  if (!st.ok()) return st;
  for (const Task& t : tasks) {
    if (t.notion_page_id.empty() || IsTerminal(t.status)) continue;
    if (std::binary_search(listed.begin(), listed.end(), CompactId(t.notion_page_id))) continue;
    // Trashed pages are not listed by queries: ask for the page itself.
    Status fs = FetchPage(t.notion_page_id);
    if (!fs.ok() && first_error.ok()) first_error = fs;
  }
  return first_error;
}

Status InboundSync::FetchPage(const std::string& page_id) {
  Json page;
  Status st = client_->GetPage(page_id, &page, mapping_->PropertyIds());
  if (st.IsNotFound()) {
    Task task;
    if (store_->FindByNotionPage(page_id, &task).ok())
      return CancelForPage(task, "page deleted or no longer shared with the integration");
    return Status::OK();
  }
  if (!st.ok()) return st;
  if (!OnBoard(page)) {
    // Any page shared with the integration can be named by a webhook; only
    // cards of the configured board may become (or stay) tasks.
    const Json parent = page.is_object() ? page.value("parent", Json()) : Json();
    spdlog::warn(
        "notion: page {} is not on the board (parent database '{}', data source '{}'; board "
        "database '{}'); ignored",
        page_id, JsonString(parent, "database_id"), JsonString(parent, "data_source_id"),
        client_->options().database_id);
    Task task;
    if (store_->FindByNotionPage(page_id, &task).ok())
      return CancelForPage(task, "moved out of the board database");
    return Status::OK();
  }
  return ProcessPage(page);
}

bool InboundSync::OnBoard(const Json& page) const {
  if (!page.is_object() || !page.contains("parent") || !page["parent"].is_object()) return false;
  const Json& parent = page["parent"];
  const std::string database = JsonString(parent, "database_id");
  if (!database.empty() && CompactId(database) == CompactId(client_->options().database_id))
    return true;
  // The data-source API names the data source; it may omit the database.
  const std::string source = JsonString(parent, "data_source_id");
  if (source.empty() || !client_->uses_data_sources()) return false;
  const std::string table = client_->ResolvedTableId();
  return !table.empty() && CompactId(source) == CompactId(table);
}

Status InboundSync::ProcessPage(const Json& page) {
  std::vector<std::string> warnings;
  NotionTaskFields f = mapping_->ParsePage(page, &warnings);
  if (f.page_id.empty()) {
    ++stats_.bad_pages;
    spdlog::warn("notion: a query result without a page id was skipped");
    return Status::OK();
  }
  ++stats_.pages_seen;
  if (!f.missing.empty()) {
    // An absent value is not an empty one: applying it would clear the
    // task's fields or move the card. The page waits for a full answer.
    ++stats_.bad_pages;
    std::string names;
    for (const std::string& name : f.missing)
      names += (names.empty() ? "\"" : ", \"") + name + "\"";
    return Status::Corruption("notion page " + f.page_id + " came without the mapped properties " +
                              names + "; nothing applied or written back");
  }
  std::string fp = Fingerprint(f);
  auto seen = seen_.find(f.page_id);
  if (seen != seen_.end() && seen->second == fp) {
    ++stats_.pages_skipped_unchanged;
    return Status::OK();
  }
  for (const auto& w : warnings) spdlog::warn("notion: {}", w);

  bool with_dependencies = false;
  std::vector<std::string> blocked_by;
  if (!f.archived) {
    Status ds = ResolveDependencies(f, &with_dependencies, &blocked_by);
    if (!ds.ok()) {
      if (ds.code() == Status::Code::kCorruption) ++stats_.bad_pages;
      return ds;
    }
  }
  const std::vector<std::string>* deps = with_dependencies ? &blocked_by : nullptr;
  Task task;
  Status st = store_->FindByNotionPage(f.page_id, &task);
  if (st.IsNotFound()) {
    st = f.archived ? Status::OK() : CreateTask(f, deps);
  } else if (st.ok()) {
    if (f.archived) {
      st = CancelForPage(task, "page archived or moved to trash");
    } else {
      st = ApplyEdits(task, f, deps);
      if (st.ok()) st = ApplyBoardMove(task, f.status_option);
    }
  }
  if (!st.ok()) return st;
  if (seen_.size() > 100000) seen_.clear();  // bound memory; only costs re-checks
  seen_[f.page_id] = fp;
  return Status::OK();
}

Status InboundSync::ResolveDependencies(const NotionTaskFields& f, bool* configured,
                                        std::vector<std::string>* task_ids) {
  *configured = !mapping_->blocked_by_property().empty();
  task_ids->clear();
  if (!*configured) return Status::OK();
  std::vector<std::string> pages = f.blocked_by;
  if (f.blocked_by_more) {
    Status st = client_->GetRelation(f.page_id, mapping_->blocked_by_property_id(), &pages);
    if (!st.ok()) return st;
  }
  constexpr size_t kMaxChain = 32;
  resolving_.push_back(CompactId(f.page_id));
  Status result;
  for (const std::string& page : pages) {
    Task task;
    Status st = store_->FindByNotionPage(page, &task);
    if (st.IsNotFound()) {
      auto seen = std::find(resolving_.begin(), resolving_.end(), CompactId(page));
      if (seen != resolving_.end()) {
        std::string chain;
        for (auto it = seen; it != resolving_.end(); ++it) chain += *it + " -> ";
        result = Status::Corruption("notion cards depend on each other in a cycle (" +
                                    mapping_->blocked_by_property() + "): " + chain +
                                    CompactId(page) + "; not imported until it is broken");
        break;
      }
      if (resolving_.size() >= kMaxChain) {
        result = Status::Corruption("notion card " + f.page_id + ": a chain of more than " +
                                    std::to_string(kMaxChain) + " cards not imported yet (" +
                                    mapping_->blocked_by_property() + "); imported as it shrinks");
        break;
      }
      st = FetchPage(page);  // imports an open card of the board
      if (st.ok()) st = store_->FindByNotionPage(page, &task);
      if (st.IsNotFound()) {
        spdlog::info(
            "notion: page {} depends on page {}, which has no task (finished or not on "
            "the board); nothing to wait for",
            f.page_id, page);
        continue;
      }
    }
    if (!st.ok()) {
      result = st;
      break;
    }
    if (std::find(task_ids->begin(), task_ids->end(), task.id) == task_ids->end())
      task_ids->push_back(task.id);
  }
  resolving_.pop_back();
  return result;
}

Status InboundSync::CreateTask(const NotionTaskFields& f,
                               const std::vector<std::string>* blocked_by) {
  if (f.title.empty()) {
    ++stats_.bad_pages;
    spdlog::warn("notion: page {} ({}) has no title; not imported until it has one", f.page_id,
                 f.url);
    return Status::OK();
  }
  TaskStatus status = TaskStatus::kPending;
  if (!f.status_option.empty()) {
    auto mapped = mapping_->StatusForOption(f.status_option);
    if (!mapped) {
      ++stats_.bad_pages;
      spdlog::warn(
          "notion: page {} \"{}\": unknown {} option \"{}\"; not imported until it is moved to a "
          "known column",
          f.page_id, f.title, mapping_->status_property(), f.status_option);
      return Status::OK();
    }
    status = *mapped;
  }
  // Finished cards are history, not work.
  if (status == TaskStatus::kCompleted || status == TaskStatus::kCancelled ||
      status == TaskStatus::kFailed)
    return Status::OK();
  if (!IsRunnable(status) &&
      !(status == TaskStatus::kSuspended || status == TaskStatus::kPendingReview ||
        status == TaskStatus::kReview || status == TaskStatus::kBlocked))
    status = TaskStatus::kPending;  // "In Progress" on a new card: run it
  if (status == TaskStatus::kRetrying) status = TaskStatus::kPending;

  NewTask nt;
  nt.title = f.title;
  nt.description = f.description.empty() ? f.title : f.description;
  nt.type = "notion_task";
  if (!f.priority_option.empty()) {
    auto p = mapping_->PriorityForOption(f.priority_option);
    if (p) {
      nt.priority = *p;
    } else {
      spdlog::warn("notion: page {}: unknown priority \"{}\", using normal", f.page_id,
                   f.priority_option);
    }
  }
  nt.assigned_to = f.agent;
  nt.source = "notion";
  nt.notion_page_id = f.page_id;
  nt.notion_url = f.url;
  nt.context_json = Json{{"requester", f.requester}, {"notion_page_id", f.page_id}}.dump();
  nt.status = status;
  if (blocked_by != nullptr) nt.blocked_by = *blocked_by;

  Task task;
  Status st = service_->AddTask(nt, &task);
  if (st.IsInvalidArgument() && !nt.assigned_to.empty()) {
    spdlog::warn("notion: page {}: agent \"{}\" refused ({}); the task will be routed", f.page_id,
                 nt.assigned_to, st.message());
    nt.assigned_to.clear();
    st = service_->AddTask(nt, &task);
  }
  if (st.IsConflict()) {
    // Created concurrently (another process or a webhook): idempotent.
    return store_->FindByNotionPage(f.page_id, &task).ok() ? Status::OK() : st;
  }
  if (st.IsInvalidArgument()) {
    ++stats_.bad_pages;
    spdlog::warn("notion: page {} \"{}\" not imported: {}", f.page_id, f.title, st.message());
    return Status::OK();
  }
  if (!st.ok()) return st;
  ++stats_.tasks_created;
  spdlog::info("notion: page {} became task {} ({})", f.page_id, task.id, ToString(task.status));
  // What the page shows now: outbound compares against it and writes the
  // task id (and anything else that differs) in one PATCH.
  return state_.SetWritten(
      task.id, Json{{"status", f.status_option}, {"task_id", f.task_id}, {"agent", f.agent}});
}

Status InboundSync::ApplyEdits(const Task& task, const NotionTaskFields& f,
                               const std::vector<std::string>* blocked_by) {
  // Only before the task ever started: a running agent keeps its brief.
  if (IsHeld(task.status) || IsTerminal(task.status) || task.started_at != 0) return Status::OK();
  Json written = state_.Written(task.id);
  TaskPatch patch;
  bool any = false;
  if (!f.title.empty() && f.title != task.title) {
    patch.title = f.title;
    any = true;
  }
  std::string description =
      f.description.empty() ? (f.title.empty() ? task.title : f.title) : f.description;
  if (description != task.description) {
    patch.description = description;
    any = true;
  }
  if (!f.priority_option.empty()) {
    auto p = mapping_->PriorityForOption(f.priority_option);
    if (p && *p != task.priority) {
      patch.priority = *p;
      any = true;
    }
  }
  // The Agent property also carries our own writes; only a value we did not
  // write is a person's edit.
  if (mapping_->has_agent() && f.agent != JsonString(written, "agent") &&
      f.agent != task.assigned_to) {
    patch.assigned_to = f.agent;
    any = true;
  }
  if (f.url != task.notion_url && !f.url.empty()) {
    patch.notion_url = f.url;
    any = true;
  }
  if (blocked_by != nullptr && *blocked_by != task.blocked_by) {
    patch.blocked_by = *blocked_by;
    any = true;
  }
  if (!any) return Status::OK();
  Task out;
  Status st = store_->UpdateTask(task.id, patch, -1, clock_->NowMs(), &out);
  if (st.IsConflict()) {
    spdlog::info("notion: edit of page {} not applied to task {}: it has started", f.page_id,
                 task.id);
    return Status::OK();
  }
  if (st.IsInvalidArgument()) {
    spdlog::warn("notion: edit of page {} refused for task {}: {}", f.page_id, task.id,
                 st.message());
    return Status::OK();
  }
  if (!st.ok()) return st;
  ++stats_.tasks_updated;
  spdlog::info("notion: task {} updated from page {}", task.id, f.page_id);
  if (patch.assigned_to) {
    written["agent"] = f.agent;
    return state_.SetWritten(task.id, written);
  }
  return Status::OK();
}

Status InboundSync::MoveTo(const Task& task, TaskStatus to, const std::string& reason) {
  if (task.status == to) return Status::OK();
  Task out;
  const TimeMs now = clock_->NowMs();
  if (CanTransition(task.status, to)) return store_->SetStatus(task.id, to, reason, now, &out);
  if (CanTransition(task.status, TaskStatus::kPending) && CanTransition(TaskStatus::kPending, to)) {
    Status st = store_->SetStatus(task.id, TaskStatus::kPending, reason, now, &out);
    if (!st.ok()) return st;
    return store_->SetStatus(task.id, to, reason, now, &out);
  }
  return Status::InvalidArgument(std::string("no transition from ") +
                                 std::string(ToString(task.status)) + " to " +
                                 std::string(ToString(to)));
}

Status InboundSync::ApplyBoardMove(const Task& task, const std::string& option) {
  Json written = state_.Written(task.id);
  std::string last = JsonString(written, "status");
  if (option.empty() || SameText(option, last)) return Status::OK();  // our echo, or no change

  auto target = mapping_->StatusForOption(option);
  const std::string reason = "moved to " + option + " in Notion";
  Status st;
  if (!target) {
    spdlog::warn("notion: task {}: unknown {} option \"{}\"; the card will be put back to \"{}\"",
                 task.id, mapping_->status_property(), option,
                 mapping_->OptionForStatus(task.status));
  } else {
    ++stats_.board_moves;
    spdlog::info("notion: task {} ({}) moved to \"{}\" by a person", task.id, ToString(task.status),
                 option);
    const TaskStatus to = *target;
    if (to == TaskStatus::kInProgress) {
      // Start it now unless it runs or was asked to already. A queued task
      // gets an execution request too, so the card can stay In Progress.
      if (!IsHeld(task.status) && task.requested_execution_id.empty()) {
        std::string attempt;
        st = service_->Execute(task.id, "", /*force=*/false, &attempt);
      }
    } else if (to == TaskStatus::kCancelled) {
      if (!IsTerminal(task.status)) {
        Task out;
        st = service_->Cancel(task.id, &out);
      }
    } else if (IsHeld(task.status)) {
      // Stop the running session first; the move is applied once the
      // cancel lands (ResolveIntents), durably.
      Task out;
      st = service_->Cancel(task.id, &out);
      if (st.ok()) st = state_.SetIntent(task.id, std::string(ToString(to)));
    } else {
      st = MoveTo(task, to, reason);
    }
  }
  if (!st.ok() && !st.IsUnavailable() && !(st.code() == Status::Code::kIOError)) {
    spdlog::warn("notion: move of task {} to \"{}\" not applied: {}", task.id, option,
                 st.ToString());
    st = Status::OK();
  }
  if (!st.ok()) return st;
  // The page shows `option` now; outbound rewrites it only if the store ends
  // up elsewhere.
  written["status"] = option;
  Status ws = state_.SetWritten(task.id, written);
  if (!ws.ok()) return ws;
  return state_.Requeue(task.id);
}

Status InboundSync::CancelForPage(const Task& task, const std::string& why) {
  if (IsTerminal(task.status)) return Status::OK();
  spdlog::warn("notion: task {} cancelled: its page {} was {}", task.id, task.notion_page_id, why);
  Task out;
  Status st = service_->Cancel(task.id, &out);
  if (st.ok()) ++stats_.cancelled;
  if (st.IsConflict() || st.IsInvalidArgument() || st.IsNotFound()) {
    spdlog::warn("notion: cancel of task {} failed: {}", task.id, st.ToString());
    return Status::OK();
  }
  return st;
}

Status InboundSync::ResolveIntents() {
  for (const std::string& id : state_.IntentTasks()) {
    std::string intent = state_.Intent(id);
    Task task;
    Status st = store_->GetTask(id, &task);
    if (st.IsNotFound() || intent.empty()) {
      state_.SetIntent(id, "");
      continue;
    }
    if (!st.ok()) return st;
    if (IsHeld(task.status)) continue;  // the cancel has not landed yet
    auto to = ParseTaskStatus(intent);
    if (to) {
      st = MoveTo(task, *to, "moved in Notion while running");
      if (st.IsUnavailable() || (st.code() == Status::Code::kIOError)) return st;
      if (!st.ok())
        spdlog::warn("notion: task {}: could not apply {}: {}", id, intent, st.ToString());
      else
        spdlog::info("notion: task {} is now {} as moved on the board", id, intent);
    }
    st = state_.SetIntent(id, "");
    if (!st.ok()) return st;
    state_.Requeue(id);
  }
  return Status::OK();
}

}  // namespace taskexec::notion
