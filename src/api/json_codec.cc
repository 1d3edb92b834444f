#include "api/json_codec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace taskexec {
namespace {

using nlohmann::json;

json TimeJson(TimeMs t) { return t == 0 ? json(nullptr) : json(FormatIso8601(t)); }

json OptIntJson(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

// Reads typed fields out of a JSON object, remembering the first error so the
// FromJson bodies stay a flat list of fields.
class FieldReader {
 public:
  explicit FieldReader(const json& j) : j_(j) {
    if (!j_.is_object()) status_ = Status::InvalidArgument("expected a JSON object");
  }

  void Str(const char* name, std::string* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_string()) return Fail(name, "must be a string");
    *out = v->get<std::string>();
  }
  template <typename Int>
  void Integer(const char* name, Int* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_number_integer()) return Fail(name, "must be an integer");
    ToInt(name, *v, out);
  }
  void OptInt(const char* name, std::optional<int>* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) {
      if (v != nullptr) out->reset();
      return;
    }
    if (!v->is_number_integer()) return Fail(name, "must be an integer or null");
    int i = 0;
    if (ToInt(name, *v, &i)) *out = i;
  }
  void OptReal(const char* name, std::optional<double>* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) {
      if (v != nullptr) out->reset();
      return;
    }
    if (!v->is_number() || !std::isfinite(v->get<double>())) {
      return Fail(name, "must be a number or null");
    }
    *out = v->get<double>();
  }
  void Real(const char* name, double* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_number() || !std::isfinite(v->get<double>())) return Fail(name, "must be a number");
    *out = v->get<double>();
  }
  // An array of strings (task ids).
  void StrList(const char* name, std::vector<std::string>* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_array()) return Fail(name, "must be an array of strings");
    std::vector<std::string> items;
    for (const json& item : *v) {
      if (!item.is_string()) return Fail(name, "must be an array of strings");
      items.push_back(item.get<std::string>());
    }
    *out = std::move(items);
  }
  void Bool(const char* name, bool* out) {
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_boolean()) return Fail(name, "must be a boolean");
    *out = v->get<bool>();
  }
  void Time(const char* name, TimeMs* out) {
    const json* v = Find(name);
    if (v == nullptr) return;
    if (v->is_null()) {
      *out = 0;
      return;
    }
    if (!v->is_string() || !ParseIso8601(v->get<std::string>(), out)) {
      return Fail(name, "must be an ISO-8601 time string or null");
    }
  }
  void TaskStat(const char* name, TaskStatus* out) {
    std::string s;
    const json* v = Find(name);
    if (v == nullptr) return;
    Str(name, &s);
    if (!status_.ok()) return;
    auto parsed = ParseTaskStatus(s);
    if (!parsed) return Fail(name, "unknown task status \"" + s + "\"");
    *out = *parsed;
  }
  void Prio(const char* name, Priority* out) {
    std::string s;
    const json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    Str(name, &s);
    if (!status_.ok()) return;
    auto parsed = ParsePriority(s);
    if (!parsed) {
      return Fail(name, "\"" + s + "\" is not one of " + std::string(PriorityNames()));
    }
    *out = *parsed;
  }
  // A name this version does not know reads as unknown, as from a store.
  void ErrType(const char* name, ErrorType* out) {
    std::string s;
    Str(name, &s);
    if (status_.ok()) *out = ErrorTypeOrUnknown(s);
  }
  void ExecStat(const char* name, ExecutionStatus* out) {
    std::string s;
    const json* v = Find(name);
    if (v == nullptr) return;
    Str(name, &s);
    if (!status_.ok()) return;
    auto parsed = ParseExecutionStatus(s);
    if (!parsed) return Fail(name, "unknown execution status \"" + s + "\"");
    *out = *parsed;
  }

  const Status& status() const { return status_; }

 private:
  const json* Find(const char* name) const {
    if (!status_.ok()) return nullptr;
    auto it = j_.find(name);
    return it == j_.end() ? nullptr : &*it;
  }
  // Converts a JSON integer to Int, failing with "out of range" instead of
  // truncating (json::get<int>() silently wraps 64-bit values).
  template <typename Int>
  bool ToInt(const char* name, const json& v, Int* out) {
    bool fits = v.is_number_unsigned() ? std::in_range<Int>(v.get<uint64_t>())
                                       : std::in_range<Int>(v.get<int64_t>());
    if (!fits) {
      Fail(name, "out of range (must be " + std::to_string(std::numeric_limits<Int>::min()) + ".." +
                     std::to_string(std::numeric_limits<Int>::max()) + ")");
      return false;
    }
    *out = v.is_number_unsigned() ? static_cast<Int>(v.get<uint64_t>())
                                  : static_cast<Int>(v.get<int64_t>());
    return true;
  }
  void Fail(const char* name, const std::string& what) {
    if (status_.ok()) status_ = Status::InvalidArgument(std::string(name) + ": " + what);
  }

  const json& j_;
  Status status_;
};

// The AgentUsage figures, flat, under the names the stores use.
void AddUsage(const AgentUsage& u, json* j) {
  (*j)["input_tokens"] = u.input_tokens;
  (*j)["output_tokens"] = u.output_tokens;
  (*j)["cache_read_tokens"] = u.cache_read_tokens;
  (*j)["cache_write_tokens"] = u.cache_write_tokens;
  (*j)["cost_usd"] = u.cost_usd ? json(*u.cost_usd) : json(nullptr);
  (*j)["model"] = u.model;
  (*j)["num_turns"] = u.num_turns;
}

void ReadUsage(FieldReader& r, AgentUsage* u) {
  r.Integer("input_tokens", &u->input_tokens);
  r.Integer("output_tokens", &u->output_tokens);
  r.Integer("cache_read_tokens", &u->cache_read_tokens);
  r.Integer("cache_write_tokens", &u->cache_write_tokens);
  r.OptReal("cost_usd", &u->cost_usd);
  r.Str("model", &u->model);
  r.Integer("num_turns", &u->num_turns);
}

// A Notion page id in the form Notion's API returns it (8-4-4-4-12 lower-case
// hex), from that form or the 32 digits without dashes a page URL ends in;
// false when `in` is neither.
bool CanonicalNotionPageId(const std::string& in, std::string* out) {
  std::string hex;
  for (char c : in) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 32) return false;
  const size_t dashes = static_cast<size_t>(std::count(in.begin(), in.end(), '-'));
  if (dashes != 0 && dashes != 4) return false;
  *out = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
  return true;
}

bool IsBlank(const std::string& s) {
  for (unsigned char c : s) {
    if (!std::isspace(c)) return false;
  }
  return true;
}

}  // namespace

json ToJson(const Task& t) {
  json j{
      {"id", t.id},
      {"title", t.title},
      {"description", t.description},
      {"type", t.type},
      {"priority", std::string(ToString(t.priority))},
      {"assigned_to", t.assigned_to},
      {"status", std::string(ToString(t.status))},
      {"source", t.source},
      {"notion_page_id", t.notion_page_id},
      {"notion_url", t.notion_url},
      {"context_json", t.context_json},
      {"retry_count", t.retry_count},
      {"max_retries", t.max_retries},
      {"next_attempt_at", TimeJson(t.next_attempt_at)},
      {"claimed_by", t.claimed_by},
      {"lease_owner", t.lease_owner},
      {"lease_expires_at", TimeJson(t.lease_expires_at)},
      {"cancel_requested", t.cancel_requested},
      {"requested_execution_id", t.requested_execution_id},
      {"requested_agent", t.requested_agent},
      {"requested_force", t.requested_force},
      {"error_type", std::string(ToString(t.error_type))},
      {"error_message", t.error_message},
      {"output_summary", t.output_summary},
      {"session_id", t.session_id},
      {"question", t.question},
      {"reply", t.reply},
      {"created_at", TimeJson(t.created_at)},
      {"updated_at", TimeJson(t.updated_at)},
      {"started_at", TimeJson(t.started_at)},
      {"completed_at", TimeJson(t.completed_at)},
      {"last_retry_at", TimeJson(t.last_retry_at)},
      {"version", t.version},
      {"max_cost_usd", t.limits.max_cost_usd},
      {"max_tokens", t.limits.max_tokens},
      {"max_attempts", t.limits.max_attempts},
      {"max_seconds", t.limits.max_seconds},
      {"attempts", t.attempts},
      {"run_ms", t.run_ms},
      {"blocked_by", t.blocked_by},
      {"waiting_on", t.waiting_on},
  };
  AddUsage(t.usage, &j);  // the totals over the task's attempts
  return j;
}

json ToJson(const AgentPause& p) {
  return json{{"until", TimeJson(p.until)},
              {"since", TimeJson(p.since)},
              {"reason", std::string(ToString(p.reason))},
              {"message", p.message},
              {"pause_seconds", p.pause_ms / 1000}};
}

json ToJson(const AgentState& a) {
  return json{{"name", a.name},
              {"running", a.running},
              {"limit", a.limit},
              {"cost_today_usd", a.cost_today_usd},
              {"daily_limit_usd", a.daily_limit_usd},
              {"paused", a.pause ? ToJson(*a.pause) : json(nullptr)}};
}

json ToJson(const SessionExecution& e) {
  json j{
      {"id", e.id},
      {"task_id", e.task_id},
      {"agent", e.agent},
      {"attempt", e.attempt},
      {"status", std::string(ToString(e.status))},
      {"session_label", e.session_label},
      {"session_id", e.session_id},
      {"resumed_session_id", e.resumed_session_id},
      {"pid", e.pid},
      {"executor_id", e.executor_id},
      {"started_at", TimeJson(e.started_at)},
      {"ended_at", TimeJson(e.ended_at)},
      {"last_output_at", TimeJson(e.last_output_at)},
      {"last_output_line", e.last_output_line},
      {"exit_code", OptIntJson(e.exit_code)},
      {"term_signal", OptIntJson(e.term_signal)},
      {"error_type", std::string(ToString(e.error_type))},
      {"error", e.error},
      {"summary", e.summary},
      {"log_path", e.log_path},
      {"manual", e.manual},
  };
  AddUsage(e.usage, &j);
  return j;
}

json ToJson(const Artifact& a) {
  return json{
      {"id", a.id},     {"task_id", a.task_id}, {"execution_id", a.execution_id},
      {"name", a.name}, {"path", a.path},       {"type", a.type},
      {"size", a.size}, {"sha256", a.sha256},   {"created_at", TimeJson(a.created_at)},
  };
}

json ToJson(const TaskDetails& d) {
  json j = ToJson(d.task);
  json execs = json::array();
  for (const auto& e : d.executions) execs.push_back(ToJson(e));
  json arts = json::array();
  for (const auto& a : d.artifacts) arts.push_back(ToJson(a));
  j["executions"] = std::move(execs);
  j["artifacts"] = std::move(arts);
  auto neighbours = [](const std::vector<Task>& tasks) {
    json list = json::array();
    for (const Task& t : tasks) {
      list.push_back({{"id", t.id},
                      {"title", t.title},
                      {"status", std::string(ToString(t.status))},
                      {"error_message", t.error_message},
                      {"waiting_on", t.waiting_on}});
    }
    return list;
  };
  j["dependencies"] = neighbours(d.dependencies);
  j["dependents"] = neighbours(d.dependents);
  return j;
}

json ToJson(const ServiceStatus& s) {
  json active = json::array();
  for (const auto& e : s.active_executions) active.push_back(ToJson(e));
  json usage = json::object();
  for (const auto& [agent, u] : s.usage_by_agent) {
    json one = json::object();
    AddUsage(u, &one);
    one.erase("model");
    usage[agent] = std::move(one);
  }
  json paused = json::object();
  for (const auto& [agent, p] : s.paused_agents) paused[agent] = ToJson(p);
  json executors = json::array();
  for (const ExecutorRecord& r : s.executors) {
    executors.push_back({{"executor_id", r.executor_id},
                         {"host", r.host},
                         {"pid", r.pid},
                         {"started_at", TimeJson(r.started_at)},
                         {"heartbeat_at", TimeJson(r.heartbeat_at)},
                         {"version", r.version},
                         {"refusing_work", r.refusing_work},
                         {"kept_outcomes", r.kept_outcomes}});
  }
  return json{
      {"engine_running", s.engine_running},
      {"executor_id", s.executor_id},
      {"executors", std::move(executors)},
      {"active_executions", std::move(active)},
      {"stats",
       {{"by_status", s.stats.by_status},
        {"by_agent", s.stats.by_agent},
        {"active_executions", s.stats.active_executions}}},
      {"spawned_sessions", s.spawned_sessions},
      {"resumed_sessions", s.resumed_sessions},
      {"attempt_errors", s.attempt_errors},
      {"budget_stops", s.budget_stops},
      {"refusing_work", s.refusing_work},
      {"kept_outcomes", s.kept_outcomes},
      {"store_write_errors", s.store_write_errors},
      {"paused_agents", std::move(paused)},
      {"pauses_set", s.pauses_set},
      {"running_by_agent", s.running_by_agent},
      {"usage_by_agent", std::move(usage)},
  };
}

json ToJson(const RouteDecision& d) {
  return json{{"agent", d.agent}, {"rule", d.rule}, {"detail", d.detail}};
}

json ToJson(const PruneRequest& request, const PruneReport& report) {
  return json{{"finished_before", FormatIso8601(request.finished_before)},
              {"dry_run", request.dry_run},
              {"tasks", report.tasks},
              {"executions", report.executions},
              {"artifacts", report.artifacts},
              {"files", report.files},
              {"kept", report.kept},
              {"kept_reasons", report.kept_reasons},
              {"file_errors", report.file_errors}};
}

json ToJson(const WorkspaceInfo& w) {
  auto time = [](TimeMs t) { return t > 0 ? json(FormatIso8601(t)) : json(nullptr); };
  return json{{"task_id", w.task_id},
              {"path", w.path},
              {"bytes", w.bytes},
              {"git_worktree", w.git_worktree},
              {"task_status", w.has_task ? json(w.status) : json(nullptr)},
              {"finished_at", time(w.finished_at)},
              {"modified_at", time(w.modified_at)},
              {"verdict", w.verdict},
              {"reason", w.reason}};
}

json ToJson(const WorkspaceGcReport& report, bool dry_run) {
  json removed = json::array();
  for (const WorkspaceInfo& w : report.removed) removed.push_back(ToJson(w));
  return json{{"dry_run", dry_run},
              {"removed", std::move(removed)},
              {"bytes", report.bytes},
              {"kept", report.kept},
              {"errors", report.errors}};
}

Status FromJson(const json& j, Task* out) {
  FieldReader r(j);
  r.Str("id", &out->id);
  r.Str("title", &out->title);
  r.Str("description", &out->description);
  r.Str("type", &out->type);
  r.Prio("priority", &out->priority);
  r.Str("assigned_to", &out->assigned_to);
  r.TaskStat("status", &out->status);
  r.Str("source", &out->source);
  r.Str("notion_page_id", &out->notion_page_id);
  r.Str("notion_url", &out->notion_url);
  r.Str("context_json", &out->context_json);
  r.Integer("retry_count", &out->retry_count);
  r.Integer("max_retries", &out->max_retries);
  r.Time("next_attempt_at", &out->next_attempt_at);
  r.Str("claimed_by", &out->claimed_by);
  r.Str("lease_owner", &out->lease_owner);
  r.Time("lease_expires_at", &out->lease_expires_at);
  r.Bool("cancel_requested", &out->cancel_requested);
  r.Str("requested_execution_id", &out->requested_execution_id);
  r.Str("requested_agent", &out->requested_agent);
  r.ErrType("error_type", &out->error_type);
  r.Str("error_message", &out->error_message);
  r.Str("output_summary", &out->output_summary);
  r.Str("session_id", &out->session_id);
  r.Str("question", &out->question);
  r.Str("reply", &out->reply);
  r.Time("created_at", &out->created_at);
  r.Time("updated_at", &out->updated_at);
  r.Time("started_at", &out->started_at);
  r.Time("completed_at", &out->completed_at);
  r.Time("last_retry_at", &out->last_retry_at);
  r.Integer("version", &out->version);
  r.Bool("requested_force", &out->requested_force);
  r.Real("max_cost_usd", &out->limits.max_cost_usd);
  r.Integer("max_tokens", &out->limits.max_tokens);
  r.Integer("max_attempts", &out->limits.max_attempts);
  r.Integer("max_seconds", &out->limits.max_seconds);
  r.Integer("attempts", &out->attempts);
  r.Integer("run_ms", &out->run_ms);
  r.StrList("blocked_by", &out->blocked_by);
  r.StrList("waiting_on", &out->waiting_on);
  ReadUsage(r, &out->usage);
  return r.status();
}

Status FromJson(const json& j, SessionExecution* out) {
  FieldReader r(j);
  r.Str("id", &out->id);
  r.Str("task_id", &out->task_id);
  r.Str("agent", &out->agent);
  r.Integer("attempt", &out->attempt);
  r.ExecStat("status", &out->status);
  r.Str("session_label", &out->session_label);
  r.Str("session_id", &out->session_id);
  r.Str("resumed_session_id", &out->resumed_session_id);
  r.Integer("pid", &out->pid);
  r.Str("executor_id", &out->executor_id);
  r.Time("started_at", &out->started_at);
  r.Time("ended_at", &out->ended_at);
  r.Time("last_output_at", &out->last_output_at);
  r.Str("last_output_line", &out->last_output_line);
  r.OptInt("exit_code", &out->exit_code);
  r.OptInt("term_signal", &out->term_signal);
  r.ErrType("error_type", &out->error_type);
  r.Str("error", &out->error);
  r.Str("summary", &out->summary);
  r.Str("log_path", &out->log_path);
  r.Bool("manual", &out->manual);
  ReadUsage(r, &out->usage);
  return r.status();
}

Status FromJson(const json& j, Artifact* out) {
  FieldReader r(j);
  r.Str("id", &out->id);
  r.Str("task_id", &out->task_id);
  r.Str("execution_id", &out->execution_id);
  r.Str("name", &out->name);
  r.Str("path", &out->path);
  r.Str("type", &out->type);
  r.Integer("size", &out->size);
  r.Str("sha256", &out->sha256);
  r.Time("created_at", &out->created_at);
  return r.status();
}

Status CheckTaskLimits(const TaskLimits& l) {
  // The same ranges as the budget.* settings (docs/configuration.md).
  if (l.max_cost_usd < 0 || l.max_cost_usd > 1e9) {
    return Status::InvalidArgument(
        "max_cost_usd: must be a number 0..1000000000 (0 = the setting's)");
  }
  if (l.max_tokens < 0 || l.max_tokens > 2'000'000'000) {
    return Status::InvalidArgument(
        "max_tokens: must be an integer 0..2000000000 (0 = the setting's)");
  }
  if (l.max_attempts < 0 || l.max_attempts > 100000) {
    return Status::InvalidArgument(
        "max_attempts: must be an integer 0..100000 (0 = the setting's)");
  }
  if (l.max_seconds < 0 || l.max_seconds > 31'536'000) {
    return Status::InvalidArgument(
        "max_seconds: must be an integer 0..31536000 (0 = the setting's)");
  }
  return Status::OK();
}

Status ParseNewTask(const json& j, NewTask* out) {
  if (!j.is_object()) return Status::InvalidArgument("task: expected a JSON object");
  static const std::set<std::string> kAllowed = {
      "id",         "title",          "description", "type",      "priority",     "assigned_to",
      "notion_url", "notion_page_id", "max_retries", "context",   "context_json", "max_cost_usd",
      "max_tokens", "max_attempts",   "max_seconds", "blocked_by"};
  for (const auto& item : j.items()) {
    if (kAllowed.count(item.key()) == 0) {
      return Status::InvalidArgument("unknown field \"" + item.key() +
                                     "\" (allowed: id, title, description, type, priority, "
                                     "assigned_to, notion_url, notion_page_id, max_retries, "
                                     "context, context_json, max_cost_usd, max_tokens, "
                                     "max_attempts, max_seconds, blocked_by)");
    }
  }
  auto title = j.find("title");
  if (title == j.end()) return Status::InvalidArgument("title: required");
  if (!title->is_string()) return Status::InvalidArgument("title: must be a string");
  if (IsBlank(title->get<std::string>()))
    return Status::InvalidArgument("title: must not be blank");

  NewTask t = *out;
  FieldReader r(j);
  r.Str("id", &t.id);
  r.Str("title", &t.title);
  r.Str("description", &t.description);
  r.Str("type", &t.type);
  r.Prio("priority", &t.priority);
  r.Str("assigned_to", &t.assigned_to);
  r.Str("notion_url", &t.notion_url);
  r.Str("notion_page_id", &t.notion_page_id);
  r.Integer("max_retries", &t.max_retries);
  r.Real("max_cost_usd", &t.limits.max_cost_usd);
  r.Integer("max_tokens", &t.limits.max_tokens);
  r.Integer("max_attempts", &t.limits.max_attempts);
  r.Integer("max_seconds", &t.limits.max_seconds);
  r.StrList("blocked_by", &t.blocked_by);
  if (!r.status().ok()) return r.status();
  if (Status s = CheckTaskLimits(t.limits); !s.ok()) return s;
  if (!t.notion_page_id.empty() && !CanonicalNotionPageId(t.notion_page_id, &t.notion_page_id)) {
    return Status::InvalidArgument(
        "notion_page_id: expected a Notion page id (32 hex digits, with or without dashes)");
  }

  if (!t.notion_url.empty() && t.notion_url.rfind("https://", 0) != 0 &&
      t.notion_url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument("notion_url: must be an http(s) URL");
  }
  if (t.max_retries < -1 || t.max_retries > 100) {
    return Status::InvalidArgument("max_retries: must be an integer -1..100");
  }
  auto context = j.find("context");
  auto context_json = j.find("context_json");
  if (context != j.end() && context_json != j.end()) {
    return Status::InvalidArgument("context: give either context or context_json, not both");
  }
  if (context != j.end() && !context->is_null()) {
    if (!context->is_object()) return Status::InvalidArgument("context: must be a JSON object");
    t.context_json = DumpJson(*context);
  }
  if (context_json != j.end() && !context_json->is_null()) {
    if (!context_json->is_string()) {
      return Status::InvalidArgument("context_json: must be a string holding a JSON object");
    }
    json parsed =
        json::parse(context_json->get<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) {
      return Status::InvalidArgument("context_json: must be a string holding a JSON object");
    }
    t.context_json = context_json->get<std::string>();
  }
  *out = std::move(t);
  return Status::OK();
}

Status ParseTaskPatch(const json& j, TaskPatch* out) {
  if (!j.is_object()) return Status::InvalidArgument("task edit: expected a JSON object");
  static const std::set<std::string> kAllowed = {"title",    "description", "type",
                                                 "priority", "assigned_to", "blocked_by"};
  for (const auto& item : j.items()) {
    if (kAllowed.count(item.key()) == 0) {
      return Status::InvalidArgument("unknown field \"" + item.key() +
                                     "\" (allowed: title, description, type, priority, "
                                     "assigned_to, blocked_by)");
    }
    if (item.value().is_null()) {
      return Status::InvalidArgument(item.key() + ": must not be null (leave it out to keep it)");
    }
  }
  TaskPatch p;
  FieldReader r(j);
  auto text = [&](const char* name, std::optional<std::string>* field) {
    if (!j.contains(name)) return;
    std::string v;
    r.Str(name, &v);
    *field = std::move(v);
  };
  text("title", &p.title);
  text("description", &p.description);
  text("type", &p.type);
  text("assigned_to", &p.assigned_to);
  if (j.contains("priority")) {
    Priority prio = Priority::kNormal;
    r.Prio("priority", &prio);
    p.priority = prio;
  }
  if (j.contains("blocked_by")) {
    std::vector<std::string> ids;
    r.StrList("blocked_by", &ids);
    p.blocked_by = std::move(ids);
  }
  if (!r.status().ok()) return r.status();
  if (p.title && IsBlank(*p.title)) return Status::InvalidArgument("title: must not be blank");
  *out = std::move(p);
  return Status::OK();
}

std::string DumpJson(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

json ErrorJson(const std::string& code, const std::string& message) {
  return json{{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace taskexec
