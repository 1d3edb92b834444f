#include "server/metrics.h"

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

std::string RenderMetrics(const ServiceStatus& s) {
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
  Header(o, "taskexec_running_sessions", "gauge", "Sessions this engine runs, by agent.");
  Labelled(o, "taskexec_running_sessions", "agent", s.running_by_agent);
  Header(o, "taskexec_engine_running", "gauge", "1 when the engine runs in this process.");
  o << "taskexec_engine_running " << (s.engine_running ? 1 : 0) << '\n';
  return o.str();
}

}  // namespace taskexec
