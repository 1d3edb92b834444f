#include "server/metrics.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

namespace taskexec {
namespace {

// Label values escape backslash, double quote and newline (exposition format).
std::string EscapeLabel(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Header(std::ostringstream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
}

void Labelled(std::ostringstream& o, const char* name, const char* label,
              const std::map<std::string, int64_t>& values) {
  for (const auto& [key, value] : values) {
    o << name << '{' << label << "=\"" << EscapeLabel(key) << "\"} " << value << '\n';
  }
}

}  // namespace

void RenderHistogram(std::ostream& o, const std::string& name, const std::string& labels,
                     const Histogram& h) {
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < h.upper_bounds().size(); ++i) {
    o << name << "_bucket{" << labels << sep << "le=\"" << h.upper_bounds()[i] << "\"} "
      << h.CumulativeCount(i) << '\n';
  }
  o << name << "_bucket{" << labels << sep << "le=\"+Inf\"} " << h.count() << '\n';
  o << name << "_sum" << (labels.empty() ? "" : "{" + labels + "}") << ' ' << std::fixed
    << std::setprecision(3) << h.sum() << std::defaultfloat << '\n';
  o << name << "_count" << (labels.empty() ? "" : "{" + labels + "}") << ' ' << h.count() << '\n';
}

std::string RenderMetrics(const ServiceStatus& s, const std::vector<AgentState>& agents,
                          TimeMs now) {
  std::ostringstream o;
  std::map<std::string, int64_t> by_status;
  for (TaskStatus st : AllTaskStatuses()) by_status[std::string(ToString(st))] = 0;
  for (const auto& [k, v] : s.stats.by_status) by_status[k] = v;

  Header(o, "taskexec_tasks", "gauge", "Tasks in the store by status.");
  Labelled(o, "taskexec_tasks", "status", by_status);
  Header(o, "taskexec_tasks_by_agent", "gauge", "Tasks in the store by agent.");
  Labelled(o, "taskexec_tasks_by_agent", "agent", s.stats.by_agent);
  Header(o, "taskexec_active_executions", "gauge", "Executions currently active (all executors).");
  o << "taskexec_active_executions " << s.stats.active_executions << '\n';
  Header(o, "taskexec_spawned_sessions_total", "counter",
         "Agent sessions spawned since this engine started.");
  o << "taskexec_spawned_sessions_total " << s.spawned_sessions << '\n';
  Header(o, "taskexec_resumed_sessions_total", "counter",
         "Of the sessions spawned, those that continued the task's earlier agent session.");
  o << "taskexec_resumed_sessions_total " << s.resumed_sessions << '\n';
  Header(o, "taskexec_attempt_errors_total", "counter",
         "Attempts this engine recorded with an error, by error type (stalled: no output for "
         "agent.stall_seconds).");
  Labelled(o, "taskexec_attempt_errors_total", "error_type", s.attempt_errors);
  Header(o, "taskexec_budget_exhausted_total", "counter",
         "Tasks this engine ended with error type budget_exhausted: before a start, or instead "
         "of a retry.");
  o << "taskexec_budget_exhausted_total " << s.budget_stops << '\n';
  Header(o, "taskexec_refusing_work", "gauge",
         "1 while this engine takes no new work because the service cannot record or start an "
         "attempt (the store refuses writes: a full disk, a read-only file system; an attempt's "
         "files cannot be made); `taskexec status` says why.");
  o << "taskexec_refusing_work " << (s.refusing_work.empty() ? 0 : 1) << '\n';
  Header(o, "taskexec_kept_outcomes", "gauge",
         "Ended attempts whose outcomes the store has not taken yet: kept by this engine and "
         "written again every second.");
  o << "taskexec_kept_outcomes " << s.kept_outcomes << '\n';
  Header(o, "taskexec_store_write_errors_total", "counter",
         "Store writes this engine had refused with an I/O error since it started.");
  o << "taskexec_store_write_errors_total " << s.store_write_errors << '\n';
  Header(o, "taskexec_agent_paused", "gauge",
         "1 for each agent this engine holds paused (its circuit opened, or its usage limit "
         "was reached), by agent and reason.");
  for (const auto& [agent, p] : s.paused_agents) {
    o << "taskexec_agent_paused{agent=\"" << EscapeLabel(agent) << "\",reason=\""
      << ToString(p.reason) << "\"} 1\n";
  }
  Header(o, "taskexec_agent_pauses_total", "counter",
         "Pauses this engine set since it started, by reason.");
  Labelled(o, "taskexec_agent_pauses_total", "reason", s.pauses_set);
  Header(o, "taskexec_running_sessions", "gauge", "Sessions this engine runs, by agent.");
  Labelled(o, "taskexec_running_sessions", "agent", s.running_by_agent);
  // The agent whose running session went quiet longest (all executors): a
  // session about to stall shows here before agent.stall_seconds stops it.
  std::map<std::string, int64_t> quiet;
  for (const SessionExecution& e : s.active_executions) {
    const TimeMs since = e.last_output_at != 0 ? e.last_output_at : e.started_at;
    if (since == 0) continue;
    const int64_t secs = std::max<int64_t>(0, (now - since) / 1000);
    int64_t& slot = quiet[e.agent.empty() ? "unknown" : e.agent];
    slot = std::max(slot, secs);
  }
  Header(o, "taskexec_session_quiet_seconds", "gauge",
         "Longest time a running session of the agent has written no output (since its start "
         "when none yet).");
  Labelled(o, "taskexec_session_quiet_seconds", "agent", quiet);
  Header(o, "taskexec_agent_tokens_total", "counter",
         "Tokens the agents reported for the attempts this engine recorded, by agent and kind "
         "(input excludes cache reads).");
  for (const auto& [agent, u] : s.usage_by_agent) {
    const std::string a = EscapeLabel(agent);
    for (const auto& [kind, n] : {std::pair<const char*, int64_t>{"input", u.input_tokens},
                                  {"output", u.output_tokens},
                                  {"cache_read", u.cache_read_tokens},
                                  {"cache_write", u.cache_write_tokens}}) {
      o << "taskexec_agent_tokens_total{agent=\"" << a << "\",kind=\"" << kind << "\"} " << n
        << '\n';
    }
  }
  Header(o, "taskexec_agent_cost_usd_total", "counter",
         "Cost in US dollars the agents reported for the attempts this engine recorded, by agent.");
  for (const auto& [agent, u] : s.usage_by_agent) {
    o << "taskexec_agent_cost_usd_total{agent=\"" << EscapeLabel(agent) << "\"} " << std::fixed
      << std::setprecision(6) << u.cost_usd.value_or(0.0) << std::defaultfloat << '\n';
  }
  Header(o, "taskexec_attempts_total", "counter",
         "Attempts this engine recorded since it started, by agent and outcome (the attempt's "
         "end status).");
  for (const auto& [key, n] : s.attempts.ended) {
    o << "taskexec_attempts_total{agent=\"" << EscapeLabel(key.first) << "\",outcome=\""
      << EscapeLabel(key.second) << "\"} " << n << '\n';
  }
  Header(o, "taskexec_retries_total", "counter",
         "Attempts after which this engine scheduled the task to be retried.");
  o << "taskexec_retries_total " << s.attempts.retries << '\n';
  Header(o, "taskexec_attempt_run_seconds", "histogram",
         "How long this engine's attempts ran, start to end, by agent.");
  for (const auto& [agent, h] : s.attempts.run_seconds)
    RenderHistogram(o, "taskexec_attempt_run_seconds", "agent=\"" + EscapeLabel(agent) + "\"", h);
  Header(o, "taskexec_queue_wait_seconds", "histogram",
         "How long tasks waited for the attempts this engine started, from when they were due "
         "(created, or their retry time) to the start, by agent.");
  for (const auto& [agent, h] : s.attempts.queue_wait_seconds)
    RenderHistogram(o, "taskexec_queue_wait_seconds", "agent=\"" + EscapeLabel(agent) + "\"", h);
  Header(o, "taskexec_agent_running", "gauge", "Attempts running on the agent, every executor's.");
  for (const AgentState& a : agents)
    o << "taskexec_agent_running{agent=\"" << EscapeLabel(a.name) << "\"} " << a.running << '\n';
  Header(o, "taskexec_agent_limit", "gauge",
         "How many attempts may run on the agent at once (executor.per_agent_limit or its "
         "executor.agent_limits entry).");
  for (const AgentState& a : agents)
    o << "taskexec_agent_limit{agent=\"" << EscapeLabel(a.name) << "\"} " << a.limit << '\n';
  Header(o, "taskexec_services", "gauge",
         "Services running on the store (live heartbeats, every process's).");
  o << "taskexec_services " << s.executors.size() << '\n';
  Header(o, "taskexec_engine_running", "gauge", "1 when the engine runs in this process.");
  o << "taskexec_engine_running " << (s.engine_running ? 1 : 0) << '\n';
  return o.str();
}

}  // namespace taskexec
