#include "runner/orphans.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <spdlog/spdlog.h>

namespace taskexec {
namespace {

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "";
  return host;
}

}  // namespace

bool ProcessRunsExecution(int64_t pid, const std::string& execution_id) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return false;
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string needle = "TASKEXEC_EXECUTION_ID=" + execution_id;
  size_t pos = 0;
  while ((pos = env.find(needle, pos)) != std::string::npos) {
    const bool starts = pos == 0 || env[pos - 1] == '\0';
    const size_t end = pos + needle.size();
    const bool ends = end == env.size() || env[end] == '\0';
    if (starts && ends) return true;
    pos = end;
  }
  return false;
}

int SignalAttemptProcesses(const std::string& execution_id, int signal) {
  int signalled = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int64_t pid = std::stoll(name);
    if (pid == getpid() || !ProcessRunsExecution(pid, execution_id)) continue;
    if (kill(static_cast<pid_t>(pid), signal) == 0) ++signalled;
  }
  return signalled;
}

bool KillOrphanedExecution(const SessionExecution& e) {
  const std::string host = HostName();
  // Executor ids generated here start with the host name (core/ids.h).
  if (host.empty() || e.executor_id.rfind(host + "-", 0) != 0) return false;
  if (e.pid <= 1) {
    // No pid recorded: the attempt was still in its workspace steps (a hook,
    // git) when its executor died, or its agent started after the record.
    // Its processes carry the execution id.
    const int killed = SignalAttemptProcesses(e.id, SIGKILL);
    if (killed > 0) {
      spdlog::warn("killed {} orphaned processes of lost execution {}", killed, e.id);
    }
    return killed > 0;
  }
  if (!ProcessRunsExecution(e.pid, e.id)) return false;
  spdlog::warn("killing the orphaned process group {} of lost execution {}", e.pid, e.id);
  kill(static_cast<pid_t>(-e.pid), SIGKILL);
  kill(static_cast<pid_t>(e.pid), SIGKILL);
  return true;
}

}  // namespace taskexec
