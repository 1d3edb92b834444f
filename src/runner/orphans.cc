#include "runner/orphans.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

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

// True if /proc/<pid>/environ names `execution_id`: the process is the very
// attempt we recorded, not an unrelated process that reused the pid.
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

}  // namespace

bool KillOrphanedExecution(const SessionExecution& e) {
  if (e.pid <= 1) return false;
  const std::string host = HostName();
  // Executor ids generated here start with the host name (core/ids.h).
  if (host.empty() || e.executor_id.rfind(host + "-", 0) != 0) return false;
  if (!ProcessRunsExecution(e.pid, e.id)) return false;
  spdlog::warn("killing the orphaned process group {} of lost execution {}", e.pid, e.id);
  kill(static_cast<pid_t>(-e.pid), SIGKILL);
  kill(static_cast<pid_t>(e.pid), SIGKILL);
  return true;
}

}  // namespace taskexec
