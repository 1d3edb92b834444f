#include "runner/attempt_watchdog.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "runner/attempt_cgroup.h"
#include "runner/orphans.h"
#include "runner/spawn_setup.h"

extern char** environ;

namespace taskexec {

namespace {

// SIGTERM to every process carrying a watched attempt's marker, SIGKILL to
// those left after the grace.
void StopMarkedProcesses(const std::set<std::string>& watched, int64_t grace_ms) {
  int found = 0;
  for (const auto& id : watched) found += SignalAttemptProcesses(id, SIGTERM);
  if (found == 0) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int left = 0;
    for (const auto& id : watched) left += SignalAttemptProcesses(id, 0);
    if (left == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const auto& id : watched) SignalAttemptProcesses(id, SIGKILL);
}

// The lease fence: when the launcher's last renewal stops covering its
// attempts (steady-clock ms; 0 = none armed). Once it passed (`lapsed`),
// an attempt watched before the next renewal is `late`: its launcher was
// frozen between a claim and the start, its lease has lapsed, and it is
// stopped as soon as its processes exist.
struct Fence {
  int64_t deadline = 0;
  int64_t grace_ms = 0;
  bool lapsed = false;
  std::set<std::string> late;
};

// Stops every watched attempt because the fence's deadline passed.
void CarryOut(Fence* fence, const std::set<std::string>& watched, pid_t launcher) {
  if (!watched.empty()) {
    std::fprintf(stderr,
                 "taskexec watchdog: the leases of service pid %d were not renewed in time; "
                 "stopping its %zu attempt(s) before another service may claim them\n",
                 static_cast<int>(launcher), watched.size());
    StopMarkedProcesses(watched, fence->grace_ms);
  }
  fence->deadline = 0;
  fence->lapsed = true;
}

// Applies one line from the launcher.
void Apply(const std::string& line, std::set<std::string>* watched, Fence* fence, pid_t launcher) {
  if (line.size() < 2) return;
  const std::string id = line.substr(1);
  if (line[0] == '+') {
    watched->insert(id);
    if (fence->lapsed) fence->late.insert(id);
  }
  if (line[0] == '-') {
    watched->erase(id);
    fence->late.erase(id);
  }
  if (line[0] != 'F') return;
  long long deadline = 0, grace = 0, sent_at = 0;
  if (std::sscanf(line.c_str() + 1, "%lld %lld %lld", &deadline, &grace, &sent_at) != 3) return;
  // A renewal made after the fence's deadline does not undo it: the leases
  // lapsed in between.
  if (fence->deadline != 0 && sent_at >= fence->deadline) CarryOut(fence, *watched, launcher);
  // The attempts started during the lapse stay late: their claims lapsed.
  // What is watched from now on is covered by this renewal.
  fence->lapsed = false;
  fence->deadline = deadline;
  fence->grace_ms = grace;
}

}  // namespace

int RunAttemptWatchdog(int64_t grace_ms, int64_t launcher_pid) {
  // Only end of file on the pipe stops it: not a terminal's signals.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  // Named by the launcher, not read with getppid(): on a loaded machine the
  // launcher may die before this process gets here.
  const pid_t launcher = static_cast<pid_t>(launcher_pid);
  std::set<std::string> watched;
  Fence fence;
  std::string pending;
  char chunk[4096];
  for (;;) {
    int timeout = -1;
    if (fence.deadline != 0) {
      timeout = static_cast<int>(
          std::clamp<int64_t>(fence.deadline - MonotonicMs(), 0, static_cast<int64_t>(INT_MAX)));
    }
    // A late attempt's process may not exist yet: look again soon.
    constexpr int kLateLookMs = 20;
    if (!fence.late.empty() && (timeout < 0 || timeout > kLateLookMs)) timeout = kLateLookMs;
    pollfd in{STDIN_FILENO, POLLIN, 0};
    const int ready = poll(&in, 1, timeout);
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0) {
      const ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the launcher closed the pipe, or died
      pending.append(chunk, static_cast<size_t>(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        Apply(pending.substr(0, nl), &watched, &fence, launcher);
        pending.erase(0, nl + 1);
      }
    }
    // What was read first: a renewal sent in time but read late still counts.
    if (fence.deadline != 0 && MonotonicMs() >= fence.deadline) CarryOut(&fence, watched, launcher);
    if (!fence.late.empty()) StopMarkedProcesses(fence.late, fence.grace_ms);
  }
  if (watched.empty()) return 0;
  StopMarkedProcesses(watched, grace_ms);
  // What left the attempts' groups and shed the marker is still in their
  // cgroup scopes (runner/attempt_cgroup.h). Only once the launcher is dead
  // (we were re-parented): a live one may run other supervisors' attempts.
  // The pipe closes as the dying launcher's descriptors go, a moment before
  // the kernel re-parents us: give it that moment.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (getppid() == launcher && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (getppid() != launcher) KillScopesOf(launcher);
  return 0;
}

Status AttemptWatchdog::Start(const std::string& program, int64_t grace_ms,
                              std::unique_ptr<AttemptWatchdog>* out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return Status::IOError("watchdog pipe: " + std::string(strerror(errno)));
  // Its own process group (a Ctrl-C to the service's group must not stop
  // it), the pipe as stdin, nothing else inherited but stderr.
  const int null_out = open("/dev/null", O_WRONLY | O_CLOEXEC);
  SpawnSetup setup;
  Status s = null_out < 0 ? Status::IOError("/dev/null: " + std::string(strerror(errno)))
                          : setup.Build(fds[0], null_out, STDERR_FILENO, "/");
  const std::string grace = std::to_string(grace_ms);
  const std::string launcher = std::to_string(getpid());
  std::vector<char*> argv = {const_cast<char*>(program.c_str()), const_cast<char*>("__watchdog"),
                             const_cast<char*>(grace.c_str()), const_cast<char*>(launcher.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int err = s.ok() ? posix_spawn(&pid, program.c_str(), setup.actions(), setup.attributes(),
                                       argv.data(), environ)
                         : 0;
  if (null_out >= 0) close(null_out);
  close(fds[0]);
  if (!s.ok()) {
    close(fds[1]);
    return Status::IOError("cannot start the attempt watchdog: " + s.message());
  }
  if (err != 0) {
    close(fds[1]);
    return Status::IOError("cannot start the attempt watchdog " + program + ": " + strerror(err));
  }
  out->reset(new AttemptWatchdog(pid, fds[1]));
  return Status::OK();
}

AttemptWatchdog::~AttemptWatchdog() {
  {
    MutexLock lock(&mu_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void AttemptWatchdog::Watch(const std::string& execution_id) { Send("+" + execution_id + "\n"); }

void AttemptWatchdog::Unwatch(const std::string& execution_id) { Send("-" + execution_id + "\n"); }

void AttemptWatchdog::FenceIn(int64_t fence_in_ms, int64_t grace_ms) {
  const int64_t now = MonotonicMs();
  Send("F" + std::to_string(now + fence_in_ms) + " " + std::to_string(grace_ms) + " " +
       std::to_string(now) + "\n");
}

void AttemptWatchdog::Send(const std::string& line) {
  MutexLock lock(&mu_);
  if (fd_ < 0) return;
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = write(fd_, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The helper is gone: attempts run on unwatched, as before it existed.
      spdlog::error("attempt watchdog (pid {}) is gone: {}", pid_, strerror(errno));
      close(fd_);
      fd_ = -1;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

}  // namespace taskexec
