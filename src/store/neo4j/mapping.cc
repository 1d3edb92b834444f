#include "store/neo4j/mapping.h"

#include <algorithm>
#include <cmath>

#include "bolt/graph_types.h"

namespace taskexec::neo4j {

using bolt::Map;
using bolt::Value;

namespace {

// Property readers with the defaults described in mapping.h.
class Props {
 public:
  explicit Props(const Map& m) : m_(m) {}
  std::string Str(const char* k, const char* fallback = "") const {
    const Value* v = m_.Find(k);
    if (v == nullptr || v->is_null()) return fallback;
    if (v->is_string()) return v->as_string().empty() ? fallback : v->as_string();
    if (v->is_int()) return std::to_string(v->as_int());
    return fallback;
  }
  int64_t Int(const char* k, int64_t fallback = 0) const {
    const Value* v = m_.Find(k);
    if (v == nullptr) return fallback;
    if (v->is_int()) return v->as_int();
    if (v->is_float() && std::isfinite(v->as_float()) && std::fabs(v->as_float()) < 9e18) {
      return static_cast<int64_t>(v->as_float());
    }
    return fallback;
  }
  std::optional<int> OptInt(const char* k) const {
    const Value* v = m_.Find(k);
    if (v == nullptr || !v->is_int()) return std::nullopt;
    return static_cast<int>(v->as_int());
  }
  std::optional<double> OptReal(const char* k) const {
    const Value* v = m_.Find(k);
    if (v == nullptr) return std::nullopt;
    if (v->is_float() && std::isfinite(v->as_float())) return v->as_float();
    if (v->is_int()) return static_cast<double>(v->as_int());
    return std::nullopt;
  }
  // The AgentUsage properties (the same names on tasks and executions).
  AgentUsage Usage() const {
    AgentUsage u;
    u.input_tokens = Int("input_tokens");
    u.output_tokens = Int("output_tokens");
    u.cache_read_tokens = Int("cache_read_tokens");
    u.cache_write_tokens = Int("cache_write_tokens");
    u.cost_usd = OptReal("cost_usd");
    u.model = Str("model");
    u.num_turns = static_cast<int>(Int("num_turns"));
    return u;
  }
  bool Bool(const char* k) const {
    const Value* v = m_.Find(k);
    if (v == nullptr) return false;
    if (v->is_bool()) return v->as_bool();
    if (v->is_int()) return v->as_int() != 0;
    return false;
  }
  // A list of strings; absent, null or not a list reads as empty, and
  // entries that are not strings are skipped.
  std::vector<std::string> StrList(const char* k) const {
    std::vector<std::string> out;
    const Value* v = m_.Find(k);
    if (v == nullptr || !v->is_list()) return out;
    for (const Value& item : v->as_list())
      if (item.is_string()) out.push_back(item.as_string());
    return out;
  }
  TimeMs Time(const char* k) const {
    const Value* v = m_.Find(k);
    int64_t ms = 0;
    if (v == nullptr || !bolt::ToEpochMillis(*v, &ms)) return 0;
    return ms;
  }

 private:
  const Map& m_;
};

Status NodeProps(const Value& v, const char* label, Map* out) {
  bolt::Node n;
  if (Status s = bolt::Node::FromValue(v, &n); !s.ok()) {
    return Status::Corruption(std::string("expected a :") + label + " node: " + s.message());
  }
  *out = std::move(n.properties);
  return Status::OK();
}

Value OrNull(const std::string& s) { return s.empty() ? Value() : Value(s); }
Value IntOrNull(int64_t v) { return v == 0 ? Value() : Value(v); }
// A list property, absent (null) while empty like the other optional ones.
Value ListOrNull(const std::vector<std::string>& items) {
  if (items.empty()) return Value();
  bolt::List list;
  for (const std::string& item : items) list.emplace_back(item);
  return Value(std::move(list));
}

void SetUsage(const AgentUsage& u, Map* props) {
  props->Set("input_tokens", u.input_tokens);
  props->Set("output_tokens", u.output_tokens);
  props->Set("cache_read_tokens", u.cache_read_tokens);
  props->Set("cache_write_tokens", u.cache_write_tokens);
  props->Set("cost_usd", u.cost_usd ? Value(*u.cost_usd) : Value());
  props->Set("model", OrNull(u.model));
  props->Set("num_turns", u.num_turns);
}

}  // namespace

int64_t DispatchKey(Priority priority, TimeMs created_at) {
  constexpr int64_t kSpan = int64_t{1} << 43;
  const int64_t weight = PriorityWeight(priority);
  return (4 - weight) * kSpan + std::clamp<int64_t>(created_at, 0, kSpan - 1);
}

Status TaskFromNode(const Value& node, Task* out) {
  Map m;
  if (Status s = NodeProps(node, "Task", &m); !s.ok()) return s;
  Props p(m);
  Task t;
  t.id = p.Str("id");
  t.title = p.Str("title");
  // Tasks made by other Notion syncs on the graph carry the page title in
  // description and may have no title.
  if (t.title.empty()) t.title = p.Str("description");
  t.description = p.Str("description");
  t.type = p.Str("type");
  t.priority = PriorityOrNormal(p.Str("priority"));
  t.assigned_to = p.Str("assigned_to");
  const std::string status = p.Str("status", "pending");
  auto parsed = ParseTaskStatus(status);
  if (!parsed) return Status::Corruption("task " + t.id + " has unknown status \"" + status + "\"");
  t.status = *parsed;
  t.source = p.Str("source", "store");
  t.notion_page_id = p.Str("notion_page_id");
  t.notion_url = p.Str("notion_url");
  t.context_json = p.Str("context_json", "{}");
  t.retry_count = static_cast<int>(p.Int("retry_count"));
  t.max_retries = static_cast<int>(p.Int("max_retries", -1));
  t.next_attempt_at = p.Time("next_attempt_at");
  t.claimed_by = p.Str("claimed_by");
  t.lease_owner = p.Str("lease_owner");
  t.lease_expires_at = p.Time("lease_expires_at");
  t.cancel_requested = p.Bool("cancel_requested");
  t.requested_execution_id = p.Str("requested_execution_id");
  t.requested_agent = p.Str("requested_agent");
  t.error_type = ErrorTypeOrUnknown(p.Str("error_type"));
  t.error_message = p.Str("error_message");
  t.output_summary = p.Str("output_summary");
  t.created_at = p.Time("created_at");
  t.updated_at = p.Time("updated_at");
  t.started_at = p.Time("started_at");
  t.completed_at = p.Time("completed_at");
  t.last_retry_at = p.Time("last_retry_at");
  t.version = p.Int("version", 0);
  t.routed_agent = p.Str("routed_agent");
  t.usage = p.Usage();
  t.session_id = p.Str("session_id");
  t.question = p.Str("question");
  t.reply = p.Str("reply");
  t.limits.max_cost_usd = p.OptReal("max_cost_usd").value_or(0.0);
  t.limits.max_tokens = p.Int("max_tokens");
  t.limits.max_attempts = static_cast<int>(p.Int("max_attempts"));
  t.limits.max_seconds = p.Int("max_seconds");
  t.attempts = static_cast<int>(p.Int("attempts"));
  t.run_ms = p.Int("run_ms");
  t.requested_force = p.Bool("requested_force");
  t.blocked_by = p.StrList("blocked_by");
  t.waiting_on = p.StrList("waiting_on");
  *out = std::move(t);
  return Status::OK();
}

Status ExecutionFromNode(const Value& node, SessionExecution* out) {
  Map m;
  if (Status s = NodeProps(node, "SessionExecution", &m); !s.ok()) return s;
  Props p(m);
  SessionExecution e;
  e.id = p.Str("id");
  e.task_id = p.Str("task_id");
  e.agent = p.Str("agent");
  e.attempt = static_cast<int>(p.Int("attempt", 1));
  const std::string status = p.Str("status", "active");
  auto parsed = ParseExecutionStatus(status);
  if (!parsed) {
    return Status::Corruption("execution " + e.id + " has unknown status \"" + status + "\"");
  }
  e.status = *parsed;
  e.session_label = p.Str("session_label");
  e.session_id = p.Str("session_id");
  e.resumed_session_id = p.Str("resumed_session_id");
  e.pid = p.Int("pid");
  e.executor_id = p.Str("executor_id");
  e.started_at = p.Time("started_at");
  // Executions written by other tools on the shared graph name it created_at.
  if (e.started_at == 0) e.started_at = p.Time("created_at");
  e.ended_at = p.Time("ended_at");
  e.last_output_at = p.Time("last_output_at");
  e.last_output_line = p.Str("last_output_line");
  e.exit_code = p.OptInt("exit_code");
  e.term_signal = p.OptInt("term_signal");
  e.error_type = ErrorTypeOrUnknown(p.Str("error_type"));
  e.error = p.Str("error");
  e.summary = p.Str("summary");
  e.log_path = p.Str("log_path");
  e.manual = p.Bool("manual");
  e.usage = p.Usage();
  *out = std::move(e);
  return Status::OK();
}

Status ArtifactFromNode(const Value& node, Artifact* out) {
  Map m;
  if (Status s = NodeProps(node, "Artifact", &m); !s.ok()) return s;
  Props p(m);
  Artifact a;
  a.id = p.Str("id");
  a.task_id = p.Str("task_id");
  a.execution_id = p.Str("execution_id");
  a.name = p.Str("name");
  a.path = p.Str("path");
  a.type = p.Str("type", "file");
  a.size = p.Int("size");
  a.sha256 = p.Str("sha256");
  a.created_at = p.Time("created_at");
  *out = std::move(a);
  return Status::OK();
}

void TaskParams(const Task& t, Map* params) {
  Map props;
  props.Set("id", t.id);
  props.Set("title", t.title);
  props.Set("description", OrNull(t.description));
  props.Set("type", OrNull(t.type));
  props.Set("priority", std::string(ToString(t.priority)));
  // Other tools' pending polls order by priority_weight.
  props.Set("priority_weight", PriorityWeight(t.priority));
  props.Set("assigned_to", OrNull(t.assigned_to));
  props.Set("status", std::string(ToString(t.status)));
  props.Set("source", t.source);
  props.Set("notion_page_id", OrNull(t.notion_page_id));
  props.Set("notion_url", OrNull(t.notion_url));
  props.Set("context_json", t.context_json);
  props.Set("retry_count", t.retry_count);
  props.Set("max_retries", t.max_retries);
  props.Set("claimed_by", OrNull(t.claimed_by));
  props.Set("lease_owner", OrNull(t.lease_owner));
  props.Set("cancel_requested", t.cancel_requested);
  props.Set("requested_execution_id", OrNull(t.requested_execution_id));
  props.Set("requested_agent", OrNull(t.requested_agent));
  props.Set("error_type", OrNull(std::string(ToString(t.error_type))));
  props.Set("error_message", OrNull(t.error_message));
  props.Set("output_summary", OrNull(t.output_summary));
  props.Set("version", t.version);
  // Always set ('' = not routed), so taskexec's own nodes have both
  // dispatch properties and are in the agent queue index.
  props.Set("routed_agent", t.routed_agent);
  // A waiting task has none, which keeps it out of the queue index.
  props.Set("dispatch_key",
            t.waiting_on.empty() ? Value(DispatchKey(t.priority, t.created_at)) : Value());
  SetUsage(t.usage, &props);
  props.Set("session_id", OrNull(t.session_id));
  props.Set("question", OrNull(t.question));
  props.Set("reply", OrNull(t.reply));
  // Limits and spending: absent (null) while zero, like the other optional
  // properties, so other tools' nodes and taskexec's read the same.
  props.Set("max_cost_usd", t.limits.max_cost_usd > 0 ? Value(t.limits.max_cost_usd) : Value());
  props.Set("max_tokens", IntOrNull(t.limits.max_tokens));
  props.Set("max_attempts", IntOrNull(t.limits.max_attempts));
  props.Set("max_seconds", IntOrNull(t.limits.max_seconds));
  props.Set("attempts", t.attempts);
  props.Set("run_ms", t.run_ms);
  props.Set("requested_force", t.requested_force ? Value(true) : Value());
  props.Set("blocked_by", ListOrNull(t.blocked_by));
  props.Set("waiting_on", ListOrNull(t.waiting_on));
  Map times;
  times.Set("next_attempt_at", t.next_attempt_at);
  times.Set("lease_expires_at", t.lease_expires_at);
  times.Set("created_at", t.created_at);
  times.Set("updated_at", t.updated_at);
  times.Set("started_at", t.started_at);
  times.Set("completed_at", t.completed_at);
  times.Set("last_retry_at", t.last_retry_at);
  params->Set("props", std::move(props));
  params->Set("times", std::move(times));
}

void ExecutionParams(const SessionExecution& e, Map* params) {
  Map props;
  props.Set("id", e.id);
  props.Set("task_id", e.task_id);
  props.Set("agent", OrNull(e.agent));
  props.Set("attempt", e.attempt);
  props.Set("status", std::string(ToString(e.status)));
  props.Set("session_label", OrNull(e.session_label));
  props.Set("session_id", OrNull(e.session_id));
  props.Set("resumed_session_id", OrNull(e.resumed_session_id));
  props.Set("pid", e.pid);
  props.Set("executor_id", OrNull(e.executor_id));
  props.Set("exit_code", e.exit_code ? Value(*e.exit_code) : Value());
  props.Set("term_signal", e.term_signal ? Value(*e.term_signal) : Value());
  props.Set("error_type", OrNull(std::string(ToString(e.error_type))));
  props.Set("error", OrNull(e.error));
  props.Set("summary", OrNull(e.summary));
  props.Set("last_output_line", OrNull(e.last_output_line));
  props.Set("log_path", OrNull(e.log_path));
  props.Set("manual", e.manual);
  SetUsage(e.usage, &props);
  Map times;
  times.Set("started_at", e.started_at);
  times.Set("ended_at", e.ended_at);
  times.Set("last_output_at", e.last_output_at);
  times.Set("created_at", e.started_at);
  params->Set("props", std::move(props));
  params->Set("times", std::move(times));
}

void ArtifactParams(const Artifact& a, Map* params) {
  Map props;
  props.Set("id", a.id);
  props.Set("task_id", a.task_id);
  props.Set("execution_id", OrNull(a.execution_id));
  props.Set("name", OrNull(a.name));
  props.Set("path", OrNull(a.path));
  props.Set("type", a.type);
  props.Set("size", a.size);
  props.Set("sha256", OrNull(a.sha256));
  params->Set("props", std::move(props));
  params->Set("created_at", a.created_at);
}

}  // namespace taskexec::neo4j
