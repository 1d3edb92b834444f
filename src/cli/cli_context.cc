#include "cli/cli_context.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>
#include <utility>

#include "api/json_codec.h"

namespace taskexec {

CliContext::CliContext(CliDeps deps, std::ostream& out, std::ostream& err, std::istream& in,
                       std::map<std::string, std::string> env)
    : deps_(std::move(deps)), out_(out), err_(err), in_(in), env_(std::move(env)) {}

Status CliContext::LoadConfig(Config* out) {
  if (config_) {
    *out = *config_;
    return Status::OK();
  }
  if (!deps_.load_config) return Status::Internal("no configuration loader");
  std::string path = options.config_path;
  if (path.empty()) {
    auto it = env_.find("TASKEXEC_CONFIG");
    if (it != env_.end()) path = it->second;
  }
  // Precedence among flags: --set, then the dedicated flags (--db, and the
  // subcommand's own such as serve --listen), which name one key explicitly.
  ConfigOverrides all;
  for (const std::string& kv : options.sets) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--set \"" + kv + "\": expected key=value");
    }
    all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!options.db_path.empty()) all["store.db_path"] = options.db_path;
  for (const auto& [k, v] : overrides) all[k] = v;

  Config cfg;
  Status s = deps_.load_config(path, env_, all, &cfg);
  if (!s.ok()) return s;
  config_ = cfg;
  *out = cfg;
  return Status::OK();
}

Status CliContext::OpenService(std::unique_ptr<TaskService>* out, StoreUse use) {
  Config cfg;
  Status s = LoadConfig(&cfg);
  if (!s.ok()) return s;

  if (!deps_.open_service) return Status::Internal("no service factory");
  return deps_.open_service(cfg, use, out);
}

int CliContext::Fail(const Status& s) {
  err_ << "taskexec: error: " << s.message() << '\n';
  return 1;
}

void CliContext::WarnWithoutService(TaskService& service) {
  ServiceStatus st;
  if (!service.GetStatus(&st).ok() || !st.executors.empty()) return;
  err_ << "taskexec: warning: no service runs on this store: nothing runs the task until "
          "`taskexec serve` starts (taskexec status lists the services)\n";
}

void CliContext::PrintJson(const nlohmann::json& j) { out_ << DumpJson(j, 2) << '\n'; }

size_t CliContext::TerminalColumns() const {
  if (auto it = env_.find("COLUMNS"); it != env_.end()) {
    const std::string& v = it->second;
    if (!v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos) {
      const size_t n = std::stoul(v);
      if (n > 0) return n;
    }
  }
  if (&out_ != &std::cout || isatty(STDOUT_FILENO) == 0) return 0;
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

void CliContext::PrintTable(const Table& table) { table.Print(out_, TerminalColumns()); }

}  // namespace taskexec
