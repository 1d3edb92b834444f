#include "server/api_handlers.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <utility>

#include "api/json_codec.h"
#include "core/clock.h"
#include "dashboard_assets.h"  // generated from src/server/dashboard/
#include "openapi_document.h"  // generated from docs/openapi.json
#include "server/http_util.h"
#include "server/metrics.h"

namespace taskexec {
namespace {

using nlohmann::json;

ApiResponse JsonResponse(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

// Parses a request body that must be a JSON object. An empty body is an
// empty object when `allow_empty`.
Status ParseBody(const std::string& body, bool allow_empty, json* out) {
  if (body.empty() && allow_empty) {
    *out = json::object();
    return Status::OK();
  }
  try {
    *out = json::parse(body);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                                   e.what());
  } catch (const json::exception& e) {  // well-formed but unreadable: a number past double's range
    return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
  if (!out->is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return Status::OK();
}

// Refuses fields outside `allowed`, naming the first unknown one.
Status CheckFields(const json& j, const std::set<std::string>& allowed) {
  for (const auto& item : j.items()) {
    if (allowed.count(item.key()) == 0) {
      return Status::InvalidArgument("unknown field \"" + item.key() + "\"");
    }
  }
  return Status::OK();
}

Status OptionalString(const json& j, const char* name, std::string* out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return Status::OK();
  if (!it->is_string()) return Status::InvalidArgument(std::string(name) + ": must be a string");
  *out = it->get<std::string>();
  return Status::OK();
}

Status OptionalBool(const json& j, const char* name, bool* out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return Status::OK();
  if (!it->is_boolean())
    return Status::InvalidArgument(std::string(name) + ": must be true or false");
  *out = it->get<bool>();
  return Status::OK();
}

Status ParseNonNegative(const std::string& name, const std::string& text, int64_t* out) {
  int64_t v = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return Status::InvalidArgument(name + ": \"" + text + "\" is not a non-negative integer");
  }
  *out = v;
  return Status::OK();
}

}  // namespace

ApiResponse ErrorResponse(int http_status, const std::string& code, const std::string& message) {
  return JsonResponse(http_status, ErrorJson(code, message));
}

ApiResponse ErrorResponse(const taskexec::Status& s) {
  return ErrorResponse(HttpStatusFor(s), ErrorCodeFor(s), s.message());
}

ApiResponse ApiHandlers::Health(const ApiRequest&) { return JsonResponse(200, {{"status", "ok"}}); }

ApiResponse ApiHandlers::OpenApi(const ApiRequest&) {
  ApiResponse r;
  r.content_type = "application/json";
  r.body = std::string(kOpenApiJson);
  return r;
}

ApiResponse ApiHandlers::GetStatus(const ApiRequest&) {
  ServiceStatus st;
  taskexec::Status s = service_->GetStatus(&st);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(st));
}

ApiResponse ApiHandlers::ListTasks(const ApiRequest& req) {
  TaskFilter filter;
  filter.limit = kDefaultTaskPage;
  // Newest first unless asked otherwise: what was just added is on page one.
  filter.descending = true;
  for (const auto& [key, value] : req.query) {
    if (key == "status") {
      if (value.empty()) continue;
      auto st = ParseTaskStatus(value);
      if (!st)
        return ErrorResponse(400, "invalid_argument", "status: unknown status \"" + value + "\"");
      filter.status = *st;
    } else if (key == "agent") {
      filter.agent = value;
    } else if (key == "after") {
      filter.after = value;
    } else if (key == "source") {
      filter.source = value;
    } else if (key == "type") {
      filter.type = value;
    } else if (key == "q") {
      if (value.size() > kMaxSearchText)
        return ErrorResponse(400, "invalid_argument",
                             "q: longer than " + std::to_string(kMaxSearchText) + " bytes");
      filter.text = value;
    } else if (key == "sort") {
      auto sort = ParseTaskSortKey(value);
      if (!sort)
        return ErrorResponse(
            400, "invalid_argument",
            "sort: unknown key \"" + value + "\" (known: " + TaskSortKeyNames() + ")");
      filter.sort = *sort;
    } else if (key == "order") {
      if (value != "asc" && value != "desc")
        return ErrorResponse(400, "invalid_argument", "order: must be asc or desc");
      filter.descending = value == "desc";
    } else if (key == "offset") {
      taskexec::Status s = ParseNonNegative("offset", value, &filter.offset);
      if (!s.ok()) return ErrorResponse(s);
    } else if (key == "blocked") {
      if (value != "true" && value != "false")
        return ErrorResponse(400, "invalid_argument", "blocked: must be true or false");
      filter.dependencies = value == "true";
    } else if (key == "limit") {
      int64_t limit = 0;
      taskexec::Status s = ParseNonNegative("limit", value, &limit);
      if (!s.ok()) return ErrorResponse(s);
      if (limit < 1 || limit > kMaxTaskPage) {
        return ErrorResponse(400, "invalid_argument",
                             "limit: " + value + " is not in 1.." + std::to_string(kMaxTaskPage) +
                                 " (page on with offset=N or after=<last task id>)");
      }
      filter.limit = static_cast<int>(limit);
    } else {
      return ErrorResponse(400, "invalid_argument", "unknown query parameter \"" + key + "\"");
    }
  }
  if (taskexec::Status s = CheckTaskFilter(filter); !s.ok()) return ErrorResponse(s);
  std::vector<Task> tasks;
  int64_t total = 0;
  taskexec::Status s = service_->ListTasks(filter, &tasks);
  if (s.ok()) s = service_->CountTasks(filter, &total);
  if (!s.ok()) return ErrorResponse(s);
  json arr = json::array();
  for (const auto& t : tasks) arr.push_back(ToJson(t));
  ApiResponse r = JsonResponse(200, arr);
  // The page stays a JSON array (what clients already read); the total the
  // filters match rides in a header, like the cursor of the next page.
  r.headers["X-Total-Count"] = std::to_string(total);
  // A full page may have a next one.
  if (static_cast<int>(tasks.size()) == filter.limit && filter.sort == TaskSortKey::kCreated)
    r.headers["X-Next-After"] = tasks.back().id;
  return r;
}

ApiResponse ApiHandlers::Prune(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/false, &body);
  if (!s.ok()) return ErrorResponse(s);
  PruneRequest request;
  for (const auto& [key, value] : body.items()) {
    if (key == "finished_before") {
      if (!value.is_string() || !ParseIso8601(value.get<std::string>(), &request.finished_before))
        return ErrorResponse(400, "invalid_argument",
                             "finished_before: an ISO-8601 time with a zone is required, e.g. "
                             "\"2026-11-01T00:00:00Z\"");
    } else if (key == "dry_run") {
      if (!value.is_boolean())
        return ErrorResponse(400, "invalid_argument", "dry_run: must be true or false");
      request.dry_run = value.get<bool>();
    } else {
      return ErrorResponse(400, "invalid_argument", "unknown field \"" + key + "\"");
    }
  }
  if (request.finished_before <= 0)
    return ErrorResponse(400, "invalid_argument", "finished_before is required");
  PruneReport report;
  s = service_->Prune(request, &report);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(request, report));
}

ApiResponse ApiHandlers::AddTask(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/false, &body);
  if (!s.ok()) return ErrorResponse(s);
  NewTask nt;
  nt.source = "api";
  s = ParseNewTask(body, &nt);
  if (!s.ok()) return ErrorResponse(s);
  Task task;
  int status = 201;
  s = nt.notion_page_id.empty() ? taskexec::Status::NotFound("")
                                : service_->FindByNotionPage(nt.notion_page_id, &task);
  if (s.ok()) {
    status = 200;  // a card already has its task: adding it again is a no-op
  } else if (!s.IsNotFound()) {
    return ErrorResponse(s);
  } else {
    s = service_->AddTask(nt, &task);
    // Another writer (the Notion sync, a second client) linked the page
    // first: its task is the card's task.
    if (s.IsConflict() && !nt.notion_page_id.empty() &&
        service_->FindByNotionPage(nt.notion_page_id, &task).ok()) {
      s = taskexec::Status::OK();
      status = 200;
    }
    if (!s.ok()) return ErrorResponse(s);
  }
  ApiResponse r = JsonResponse(status, ToJson(task));
  r.headers["Location"] = "/api/v1/tasks/" + task.id;
  return r;
}

ApiResponse ApiHandlers::GetTask(const ApiRequest& req) {
  TaskDetails d;
  taskexec::Status s = service_->GetTask(req.params.at(0), &d);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(d));
}

ApiResponse ApiHandlers::UpdateTask(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/false, &body);
  TaskPatch patch;
  if (s.ok()) s = ParseTaskPatch(body, &patch);
  if (!s.ok()) return ErrorResponse(s);
  Task task;
  s = service_->UpdateTask(req.params.at(0), patch, &task);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(task));
}

ApiResponse ApiHandlers::Execute(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/true, &body);
  if (s.ok()) s = CheckFields(body, {"agent", "force"});
  std::string agent;
  bool force = false;
  if (s.ok()) s = OptionalString(body, "agent", &agent);
  if (s.ok()) s = OptionalBool(body, "force", &force);
  if (!s.ok()) return ErrorResponse(s);
  std::string attempt_id;
  s = service_->Execute(req.params.at(0), agent, force, &attempt_id);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(202, {{"attempt_id", attempt_id}, {"task_id", req.params.at(0)}});
}

ApiResponse ApiHandlers::Cancel(const ApiRequest& req) {
  Task task;
  taskexec::Status s = service_->Cancel(req.params.at(0), &task);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(task));
}

ApiResponse ApiHandlers::Reply(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/false, &body);
  if (s.ok()) s = CheckFields(body, {"message"});
  std::string message;
  if (s.ok()) s = OptionalString(body, "message", &message);
  if (s.ok() && !body.contains("message"))
    s = taskexec::Status::InvalidArgument("message: required");
  if (!s.ok()) return ErrorResponse(s);
  Task task;
  s = service_->Reply(req.params.at(0), message, &task);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(task));
}

ApiResponse ApiHandlers::ListAgents(const ApiRequest&) {
  std::vector<AgentState> agents;
  taskexec::Status s = service_->ListAgents(&agents);
  if (!s.ok()) return ErrorResponse(s);
  json list = json::array();
  for (const AgentState& a : agents) list.push_back(ToJson(a));
  return JsonResponse(200, {{"agents", std::move(list)}});
}

ApiResponse ApiHandlers::ListWorkspaces(const ApiRequest&) {
  std::vector<WorkspaceInfo> workspaces;
  taskexec::Status s = service_->ListWorkspaces(&workspaces);
  if (!s.ok()) return ErrorResponse(s);
  json list = json::array();
  for (const WorkspaceInfo& w : workspaces) list.push_back(ToJson(w));
  return JsonResponse(200, {{"workspaces", std::move(list)}});
}

ApiResponse ApiHandlers::CollectWorkspaces(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/true, &body);
  if (s.ok()) s = CheckFields(body, {"dry_run"});
  if (!s.ok()) return ErrorResponse(s);
  bool dry_run = false;
  if (body.contains("dry_run")) {
    if (!body["dry_run"].is_boolean())
      return ErrorResponse(400, "invalid_argument", "dry_run: must be true or false");
    dry_run = body["dry_run"].get<bool>();
  }
  WorkspaceGcReport report;
  s = service_->CollectWorkspaces(dry_run, &report);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(report, dry_run));
}

ApiResponse ApiHandlers::ResumeAgent(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/true, &body);
  if (s.ok()) s = CheckFields(body, {});
  if (!s.ok()) return ErrorResponse(s);
  AgentState agent;
  s = service_->ResumeAgent(req.params.at(0), &agent);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(agent));
}

ApiResponse ApiHandlers::GetExecution(const ApiRequest& req) {
  SessionExecution e;
  taskexec::Status s = service_->GetExecution(req.params.at(0), &e);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(e));
}

ApiResponse ApiHandlers::ExecutionLog(const ApiRequest& req) {
  int64_t offset = 0;
  for (const auto& [key, value] : req.query) {
    if (key != "offset") {
      return ErrorResponse(400, "invalid_argument", "unknown query parameter \"" + key + "\"");
    }
    taskexec::Status s = ParseNonNegative("offset", value, &offset);
    if (!s.ok()) return ErrorResponse(s);
  }
  SessionExecution e;
  taskexec::Status s = service_->GetExecution(req.params.at(0), &e);
  if (!s.ok()) return ErrorResponse(s);

  ApiResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers["X-Execution-Status"] = std::string(ToString(e.status));
  int64_t next = offset;
  // A log that does not exist yet (session still starting) reads as empty, so
  // pollers need no special case.
  std::ifstream in(e.log_path, std::ios::binary);
  if (!e.log_path.empty() && in) {
    in.seekg(0, std::ios::end);
    int64_t size = static_cast<int64_t>(in.tellg());
    if (offset < size) {
      size_t n = static_cast<size_t>(
          std::min<int64_t>(size - offset, static_cast<int64_t>(kMaxLogChunkBytes)));
      r.body.resize(n);
      in.seekg(offset);
      in.read(r.body.data(), static_cast<std::streamsize>(n));
      r.body.resize(static_cast<size_t>(in.gcount()));
      next = offset + static_cast<int64_t>(r.body.size());
    }
    r.headers["X-Log-Size"] = std::to_string(size);
  }
  r.headers["X-Next-Offset"] = std::to_string(next);
  return r;
}

namespace {

// Whether `path` (canonical) lies inside one of `roots`.
bool InsideOneOf(const std::filesystem::path& path, const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::weakly_canonical(root, ec);
    if (ec) continue;
    if (base.filename().empty()) base = base.parent_path();  // "work/" names "work"
    auto [b, p] = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
    if (b == base.end()) return true;
  }
  return false;
}

// A file name safe inside a quoted Content-Disposition filename.
std::string AttachmentName(const std::string& name) {
  std::string base = std::filesystem::path(name).filename().string();
  std::string out;
  for (char c : base)
    out += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  return out.empty() ? "artifact" : out;
}

}  // namespace

ApiResponse ApiHandlers::DownloadArtifact(const ApiRequest& req) {
  TaskDetails d;
  taskexec::Status s = service_->GetTask(req.params.at(0), &d);
  if (!s.ok()) return ErrorResponse(s);
  const Artifact* found = nullptr;
  for (const Artifact& a : d.artifacts) {
    if (a.id == req.params.at(1)) found = &a;
  }
  if (found == nullptr) {
    return ErrorResponse(404, "not_found",
                         "task " + d.task.id + " has no artifact " + req.params.at(1));
  }
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::canonical(found->path, ec);
  if (ec) {
    return ErrorResponse(
        404, "not_found",
        "artifact " + found->id + ": " + found->path + " is gone from this machine");
  }
  // What an agent lists may be any file it could read: only what lies in the
  // agents' work folder is handed out.
  if (!InsideOneOf(path, artifact_roots_)) {
    return ErrorResponse(403, "forbidden",
                         "artifact " + found->id +
                             " is outside the agents' work folder "
                             "(agent.work_dir); read it on the executor's machine at " +
                             found->path);
  }
  auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (!*in || ec) return ErrorResponse(404, "not_found", "cannot open " + found->path);
  if (size != found->size) {
    return ErrorResponse(409, "conflict",
                         "artifact " + found->id + " changed since it was recorded (" +
                             std::to_string(found->size) + " bytes then, " + std::to_string(size) +
                             " now)");
  }
  ApiResponse r;
  r.content_type = "application/octet-stream";
  r.headers["Content-Disposition"] = "attachment; filename=\"" + AttachmentName(found->name) + "\"";
  r.headers["X-Artifact-SHA256"] = found->sha256;
  r.stream = [in](const StreamWriter& write) {
    std::string chunk(64 * 1024, '\0');
    while (in->read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in->gcount() > 0) {
      if (!write(chunk.substr(0, static_cast<size_t>(in->gcount())))) return;
    }
  };
  return r;
}

namespace {

std::string CursorText(TimeMs updated_at, const std::string& id) {
  return std::to_string(updated_at) + ":" + id;
}

// "<updated_at ms>:<task id>" as events' cursors carry it; "now" is this
// server's clock with no task, so a reader starting there sees only what
// changes from now on; "" is the beginning.
Status ParseCursor(const std::string& text, ChangeCursor* out) {
  if (text.empty()) return Status::OK();
  if (text == "now") {
    out->updated_at = SystemClock().NowMs();
    return Status::OK();
  }
  const size_t colon = text.find(':');
  int64_t ms = 0;
  if (colon == std::string::npos || !ParseNonNegative("after", text.substr(0, colon), &ms).ok()) {
    return Status::InvalidArgument("after: \"" + text +
                                   "\" is not a cursor (<updated_at ms>:<task id>, from an "
                                   "event's cursor or next, or now)");
  }
  out->updated_at = ms;
  out->id = text.substr(colon + 1);
  return Status::OK();
}

}  // namespace

ApiResponse ApiHandlers::Events(const ApiRequest& req) {
  ChangeCursor cursor;
  int64_t limit = kDefaultTaskPage;
  const bool stream = req.accept.find("text/event-stream") != std::string::npos;
  if (stream) {
    // A reconnecting EventSource names the last event it saw.
    if (!req.last_event_id.empty() && !req.query.count("after")) {
      if (taskexec::Status s = ParseCursor(req.last_event_id, &cursor); !s.ok())
        return ErrorResponse(400, "invalid_argument", "Last-Event-ID: " + s.message());
    } else if (!req.query.count("after")) {
      cursor.updated_at = SystemClock::Default()->NowMs();
    }
  }
  for (const auto& [key, value] : req.query) {
    taskexec::Status s;
    if (key == "after") {
      s = ParseCursor(value, &cursor);
    } else if (key == "limit") {
      s = ParseNonNegative("limit", value, &limit);
      if (s.ok() && (limit < 1 || limit > kMaxTaskPage)) {
        s = taskexec::Status::InvalidArgument("limit: " + value + " is not in 1.." +
                                              std::to_string(kMaxTaskPage));
      }
    } else {
      s = taskexec::Status::InvalidArgument("unknown query parameter \"" + key + "\"");
    }
    if (!s.ok()) return ErrorResponse(s);
  }
  if (stream) return EventStream(cursor);
  std::vector<Task> tasks;
  taskexec::Status s = service_->ListChanged(cursor, static_cast<int>(limit), &tasks);
  if (!s.ok()) return ErrorResponse(s);
  json events = json::array();
  for (const Task& t : tasks) {
    events.push_back({{"cursor", CursorText(t.updated_at, t.id)}, {"task", ToJson(t)}});
  }
  const std::string next = tasks.empty() ? CursorText(cursor.updated_at, cursor.id)
                                         : CursorText(tasks.back().updated_at, tasks.back().id);
  return JsonResponse(200, {{"events", std::move(events)}, {"next", next}});
}

namespace {
// How often an event stream reads the change feed, how far back it looks
// (writers' clocks differ a little; what it sent is skipped by version),
// and how often an idle stream says it is alive.
constexpr int64_t kStreamPollMs = 500;
constexpr TimeMs kStreamLookbackMs = 2000;
constexpr int64_t kStreamKeepaliveMs = 5000;
constexpr int kStreamBatch = 200;
}  // namespace

ApiResponse ApiHandlers::EventStream(ChangeCursor from) {
  if (event_streams_.fetch_add(1) >= max_event_streams_) {
    event_streams_.fetch_sub(1);
    return ErrorResponse(503, "unavailable",
                         "too many event streams open (" + std::to_string(max_event_streams_) +
                             "; server.threads / 2): poll ?after= instead");
  }
  ApiResponse r;
  r.content_type = "text/event-stream";
  r.headers["Cache-Control"] = "no-store";
  // The slot is given back when the last copy of the stream is gone, whether
  // or not it ever ran (a client may leave before the first byte).
  std::shared_ptr<void> slot(nullptr, [this](void*) { event_streams_.fetch_sub(1); });
  r.stream = [this, from, slot](const StreamWriter& write) {
    const Clock* clock = SystemClock::Default();
    ChangeCursor cursor = from;
    // (updated_at, version) of what was sent within the look-back window.
    std::map<std::string, std::pair<TimeMs, int64_t>> sent;
    if (!write("retry: 2000\n: taskexec events from " + CursorText(cursor.updated_at, cursor.id) +
               "\n\n"))
      return;
    int64_t quiet_since = clock->NowMs();
    bool primed = false;  // what the look-back window held at the start was seen before
    while (!stopping_) {
      ChangeCursor page{std::max<TimeMs>(0, cursor.updated_at - kStreamLookbackMs), ""};
      if (cursor.updated_at == 0) page = cursor;
      bool wrote = false;
      for (;;) {
        std::vector<Task> tasks;
        taskexec::Status s = service_->ListChanged(page, kStreamBatch, &tasks);
        if (!s.ok()) {
          write("event: error\ndata: " +
                DumpJson(json{{"code", "unavailable"}, {"message", s.message()}}) + "\n\n");
          return;
        }
        for (const Task& t : tasks) {
          const bool ahead =
              std::make_pair(t.updated_at, t.id) > std::make_pair(cursor.updated_at, cursor.id);
          auto it = sent.find(t.id);
          if (!ahead && (!primed || (it != sent.end() && it->second.second >= t.version))) {
            if (!primed) sent[t.id] = {t.updated_at, t.version};
            continue;
          }
          sent[t.id] = {t.updated_at, t.version};
          if (ahead) cursor = {t.updated_at, t.id};
          if (!write("id: " + CursorText(t.updated_at, t.id) +
                     "\nevent: task\ndata: " + DumpJson(ToJson(t)) + "\n\n"))
            return;
          wrote = true;
        }
        if (static_cast<int>(tasks.size()) < kStreamBatch) break;
        page = {tasks.back().updated_at, tasks.back().id};
      }
      primed = true;
      for (auto it = sent.begin(); it != sent.end();) {
        it = it->second.first < cursor.updated_at - kStreamLookbackMs ? sent.erase(it) : ++it;
      }
      const int64_t now = clock->NowMs();
      if (wrote) {
        quiet_since = now;
      } else if (now - quiet_since >= kStreamKeepaliveMs) {
        if (!write(": keepalive\n\n")) return;
        quiet_since = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(kStreamPollMs));
    }
  };
  return r;
}

ApiResponse ApiHandlers::Route(const ApiRequest& req) {
  json body;
  taskexec::Status s = ParseBody(req.body, /*allow_empty=*/false, &body);
  if (s.ok()) s = CheckFields(body, {"title", "description", "type", "assigned_to"});
  Task task;
  if (s.ok()) s = OptionalString(body, "title", &task.title);
  if (s.ok()) s = OptionalString(body, "description", &task.description);
  if (s.ok()) s = OptionalString(body, "type", &task.type);
  if (s.ok()) s = OptionalString(body, "assigned_to", &task.assigned_to);
  if (!s.ok()) return ErrorResponse(s);
  RouteDecision d;
  s = service_->Route(task, &d);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, ToJson(d));
}

ApiResponse ApiHandlers::Metrics(const ApiRequest&) {
  ServiceStatus st;
  std::vector<AgentState> agents;
  taskexec::Status s = service_->GetStatus(&st);
  if (s.ok()) s = service_->ListAgents(&agents);
  if (!s.ok()) return ErrorResponse(s);
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = RenderMetrics(st, agents, SystemClock::Default()->NowMs());
  for (const ServiceProbe& probe : probes_) {
    if (probe.metrics) r.body += probe.metrics();
  }
  return r;
}

ApiResponse ApiHandlers::Ready(const ApiRequest&) {
  json checks = json::object();
  bool ready = true;
  auto timed = [&](const std::string& name, const std::function<taskexec::Status()>& check) {
    const TimeMs start = SystemClock::Default()->NowMs();
    const taskexec::Status s = check();
    json c = {{"ok", s.ok()}, {"ms", SystemClock::Default()->NowMs() - start}};
    if (!s.ok()) c["error"] = s.message();
    checks[name] = std::move(c);
    ready = ready && s.ok();
  };
  ServiceStatus st;
  // The store answers a read (for Neo4j: over Bolt, through the pool).
  timed("store", [&] { return service_->GetStatus(&st); });
  if (checks["store"]["ok"].get<bool>() && !st.executor_id.empty()) {
    timed("engine", [&] {
      return st.engine_running ? taskexec::Status::OK()
                               : taskexec::Status::Unavailable("the engine is not running");
    });
    // Running, but taking no new work: the store or the attempt dirs
    // refuse writes (a full disk), so tasks added here would only wait.
    timed("intake", [&] {
      return st.refusing_work.empty()
                 ? taskexec::Status::OK()
                 : taskexec::Status::Unavailable("no new work is taken: " + st.refusing_work);
    });
  }
  for (const ServiceProbe& probe : probes_) {
    if (probe.ready) timed(probe.name, probe.ready);
  }
  return JsonResponse(ready ? 200 : 503,
                      {{"status", ready ? "ready" : "not_ready"}, {"checks", std::move(checks)}});
}

namespace {

// A dashboard file. The policy allows scripts, styles and API calls from this
// server only: no inline script or style, nothing from elsewhere, no framing.
ApiResponse DashboardFile(std::string_view body, const char* content_type) {
  ApiResponse r;
  r.content_type = content_type;
  r.body = std::string(body);
  r.headers["Content-Security-Policy"] =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Cache-Control"] = "no-store";
  return r;
}

}  // namespace

ApiResponse ApiHandlers::Dashboard(const ApiRequest&) {
  return DashboardFile(kDashboardHtml, "text/html; charset=utf-8");
}

ApiResponse ApiHandlers::DashboardCss(const ApiRequest&) {
  return DashboardFile(kDashboardCss, "text/css; charset=utf-8");
}

ApiResponse ApiHandlers::DashboardJs(const ApiRequest&) {
  return DashboardFile(kDashboardJs, "text/javascript; charset=utf-8");
}

}  // namespace taskexec
