#include "runner/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace taskexec {
namespace {

Status Read(rlimit* rl) {
  if (getrlimit(RLIMIT_NOFILE, rl) != 0)
    return Status::IOError(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  return Status::OK();
}

}  // namespace

Status ReadOpenFileLimit(OpenFileLimit* limit) {
  rlimit rl{};
  if (Status s = Read(&rl); !s.ok()) return s;
  limit->before = rl.rlim_cur;
  limit->soft = rl.rlim_cur;
  limit->hard = rl.rlim_max;
  return Status::OK();
}

Status RaiseOpenFileLimit(OpenFileLimit* limit) {
  if (Status s = ReadOpenFileLimit(limit); !s.ok()) return s;
  rlimit rl{};
  rl.rlim_max = limit->hard;
  rl.rlim_cur = limit->hard;  // never RLIM_INFINITY: the kernel caps it at fs.nr_open
  if (rl.rlim_cur <= limit->soft) return Status::OK();
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return Status::IOError(std::string("setrlimit(RLIMIT_NOFILE, ") + std::to_string(rl.rlim_cur) +
                           "): " + std::strerror(errno));
  limit->soft = rl.rlim_cur;
  return Status::OK();
}

bool SupervisorHoldsWorkspaceLock(const AgentConfig& agent) {
  return agent.workspace.after_run.empty() && agent.verify.empty() && !agent.require_changes;
}

uint64_t DescriptorsPerAttempt(const AgentConfig& agent, bool supervised) {
  const WorkspaceConfig& w = agent.workspace;
  const uint64_t lock = w.mode == "task" ? 1 : 0;
  // A pidfd, stdout, stderr and the log of a child of the service's own.
  constexpr uint64_t kOwnChild = 4;
  uint64_t n = supervised ? 1 + (SupervisorHoldsWorkspaceLock(agent) ? 0 : lock) : kOwnChild + lock;
  const bool helpers = !w.after_create.empty() || !w.before_run.empty() || !w.after_run.empty() ||
                       !w.git_repo.empty() || !agent.verify.empty();
  if (helpers) n = std::max(n, kOwnChild + lock);
  return n;
}

int MaxSessionsFor(uint64_t soft_limit, uint64_t per_attempt) {
  const uint64_t each = std::max<uint64_t>(per_attempt, 1);
  if (soft_limit <= kDescriptorsReserved + each) return 1;
  const uint64_t n = (soft_limit - kDescriptorsReserved) / each;
  return static_cast<int>(std::min<uint64_t>(n, 1000000));
}

std::string SessionLimitMetrics(int configured, int running) {
  return "# HELP taskexec_session_limit Sessions this engine runs at most at once: "
         "executor.max_concurrent, or fewer when the open-file limit holds fewer (the service "
         "log says why).\n"
         "# TYPE taskexec_session_limit gauge\n"
         "taskexec_session_limit " +
         std::to_string(running) +
         "\n# HELP taskexec_session_limit_configured executor.max_concurrent as configured.\n"
         "# TYPE taskexec_session_limit_configured gauge\n"
         "taskexec_session_limit_configured " +
         std::to_string(configured) + "\n";
}

std::string SessionLimitProblem(int wanted, const OpenFileLimit& limit, uint64_t per_attempt) {
  const int fits = MaxSessionsFor(limit.soft, per_attempt);
  if (wanted <= fits) return "";
  const uint64_t needed = kDescriptorsReserved + per_attempt * static_cast<uint64_t>(wanted);
  return "executor.max_concurrent = " + std::to_string(wanted) + " needs about " +
         std::to_string(needed) + " open files, but this process may open " +
         std::to_string(limit.soft) + " (hard limit " + std::to_string(limit.hard) + "): at most " +
         std::to_string(fits) +
         " sessions run at once; raise the hard limit (ulimit -Hn, systemd LimitNOFILE=) to run "
         "more";
}

}  // namespace taskexec
