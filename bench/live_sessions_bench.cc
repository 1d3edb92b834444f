// Measures what many long-running agent sessions cost the service, in one
// run:
//  1. the baseline: this process spawns N sessions of bench/chatty_agent
//     (a line every interval) and reads their output (stdout and stderr on
//     one pipe each) with one bare epoll loop, nothing else;
//  2. the service as served: EngineService with the SQLite store runs N
//     tasks of the same agent at once (max_concurrent = per_agent_limit =
//     N), each through the per-attempt supervisor, with the attempt watchdog
//     (launched as `taskexec serve` launches them);
//  3. the same with the agents as the service's own children (no
//     supervisor), where the service writes the logs itself; skipped when
//     the open-file limit cannot hold them (4 descriptors and the
//     workspace lock each, against 1 through the supervisor).
// For each, once all N run: CPU time of this process over the window (as %
// of one core), its RSS and its thread count (/proc/self/status). Children
// are separate processes and not counted.
// Usage: live_sessions_bench [sessions=1000] [window_s=30] [interval_ms=5000]
// As served, a session costs the service one descriptor
// (runner/descriptor_budget.h): 10,000 fit a hard limit of 20,000.
#include <fcntl.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/engine_service.h"
#include "runner/descriptor_budget.h"
#include "runner/exit_record.h"
#include "served_launchers.h"
#include "store/sqlite/sqlite_store.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace taskexec;

namespace {

struct Usage {
  double cpu_percent = 0;  // of one core, over the window
  long rss_kb = 0;
  long threads = 0;
};

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

long StatusField(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + ":", 0) == 0) return std::atol(line.c_str() + name.size() + 1);
  return 0;
}

// CPU of this process while `wait` runs for `window_s`, then RSS and threads.
template <typename Wait>
Usage Measure(int window_s, Wait wait) {
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  wait(t0 + std::chrono::seconds(window_s));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Usage u;
  u.cpu_percent = 100.0 * (CpuSeconds() - cpu0) / wall;
  u.rss_kb = StatusField("VmRSS");
  u.threads = StatusField("Threads");
  return u;
}

// How many chatty_agent processes run on this machine (/proc/*/comm): the
// sessions whose agent has started, whoever its parent.
int RunningAgents() {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] < '0' || name[0] > '9') continue;
    std::ifstream comm(e.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == "chatty_agent") ++n;
  }
  return n;
}

Usage Bare(const std::string& agent, int n, int window_s, int interval_ms) {
  const std::string interval = std::to_string(interval_ms);
  std::vector<pid_t> pids;
  std::vector<int> fds;
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < n; ++i) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
      std::perror("pipe2");
      std::exit(1);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out[1], 2);
    char* argv[] = {const_cast<char*>(agent.c_str()), const_cast<char*>(interval.c_str()), nullptr};
    pid_t pid;
    if (posix_spawn(&pid, agent.c_str(), &fa, nullptr, argv, environ) != 0) std::abort();
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    for (int fd : {out[0]}) {
      fds.push_back(fd);
      fcntl(fd, F_SETFL, O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    pids.push_back(pid);
  }
  Usage u = Measure(window_s, [&](std::chrono::steady_clock::time_point end) {
    std::vector<epoll_event> events(256);
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      int k = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < k; ++i)
        while (read(events[i].data.fd, buf, sizeof buf) > 0) {
        }
    }
  });
  for (pid_t pid : pids) kill(pid, SIGKILL);
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
  for (int fd : fds) close(fd);
  close(ep);
  return u;
}

Usage Service(const fs::path& dir, const std::string& agent, int n, int window_s, int interval_ms,
              const std::string& taskexec, const std::string& shim, double* ramp_s) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config c;
  c.store.db_path = (dir / "bench.db").string();
  c.agent.command = {agent, std::to_string(interval_ms)};
  c.agent.work_dir = (dir / "work").string();
  c.agent.log_dir = (dir / "logs").string();
  c.agent.timeout_seconds = 3600;
  c.executor.max_concurrent = n;
  c.executor.per_agent_limit = n;
  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::Open(c.store.db_path, c.store, &store).ok()) std::abort();
  EngineService p(c, store.get(), SystemClock::Default(),
                  bench::ServedLaunchers(c, taskexec, shim));
  if (!p.Start().ok()) std::abort();
  std::vector<NewTask> tasks(n);
  for (int i = 0; i < n; ++i) tasks[i].title = "session " + std::to_string(i);
  std::vector<Status> results;
  const auto t0 = std::chrono::steady_clock::now();
  if (!p.AddTasks(tasks, &results).ok()) std::abort();
  // Claimed is not running: wait for every agent process.
  for (int running = 0; (running = RunningAgents()) < n;) {
    if (std::chrono::steady_clock::now() - t0 > std::chrono::minutes(10)) {
      std::fprintf(stderr, "only %d of %d sessions started\n", running, n);
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  *ramp_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Usage u = Measure(window_s, [](std::chrono::steady_clock::time_point end) {
    std::this_thread::sleep_until(end);
  });
  p.Stop();
  return u;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int window_s = argc > 2 ? std::atoi(argv[2]) : 30;
  const int interval_ms = argc > 3 ? std::atoi(argv[3]) : 5000;
  spdlog::set_level(spdlog::level::warn);
  OpenFileLimit limit;
  RaiseOpenFileLimit(&limit);
  // What `serve` would allow (runner/descriptor_budget.h), with the bench's
  // configuration (the defaults but for the command).
  const AgentConfig defaults;
  auto fits = [&](bool supervised) {
    return static_cast<uint64_t>(
               MaxSessionsFor(limit.soft, DescriptorsPerAttempt(defaults, supervised))) >=
           static_cast<uint64_t>(n);
  };
  if (!fits(true)) {
    std::fprintf(stderr, "%d sessions need about %llu open files; this process may open %llu\n", n,
                 static_cast<unsigned long long>(kDescriptorsReserved +
                                                 DescriptorsPerAttempt(defaults, true) * n),
                 static_cast<unsigned long long>(limit.soft));
    return 1;
  }
  const fs::path dir = fs::temp_directory_path() / ("taskexec_live_" + std::to_string(getpid()));
  const std::string agent = (fs::absolute(argv[0]).parent_path() / "chatty_agent").string();
  const auto [taskexec, shim] = bench::FindServedPrograms(argv[0]);

  const Usage bare = Bare(agent, n, window_s, interval_ms);
  double ramp = 0, direct_ramp = 0;
  const Usage service =
      Service(dir / "served", agent, n, window_s, interval_ms, taskexec, shim, &ramp);
  const bool direct_fits = fits(false);
  const Usage direct = direct_fits ? Service(dir / "direct", agent, n, window_s, interval_ms,
                                             taskexec, "", &direct_ramp)
                                   : Usage{};
  fs::remove_all(dir);

  std::printf("%d sessions, a line each every %d ms, %d s window\n", n, interval_ms, window_s);
  std::printf("bare epoll reader  : %6.2f %% of one core, RSS %6ld MB, %ld threads\n",
              bare.cpu_percent, bare.rss_kb / 1024, bare.threads);
  auto row = [&](const char* name, const Usage& u, double ramp_s) {
    std::printf(
        "%s: %6.2f %% of one core, RSS %6ld MB, %ld threads (%.1fx the bare reader's CPU); all %d "
        "running %.1f s after the add\n",
        name, u.cpu_percent, u.rss_kb / 1024, u.threads,
        bare.cpu_percent > 0 ? u.cpu_percent / bare.cpu_percent : 0.0, n, ramp_s);
  };
  row("service as served ", service, ramp);
  if (direct_fits) {
    row("without supervisor", direct, direct_ramp);
  } else {
    std::printf("without supervisor: skipped, %llu descriptors each do not fit %llu\n",
                static_cast<unsigned long long>(DescriptorsPerAttempt(defaults, false)),
                static_cast<unsigned long long>(limit.soft));
  }
  return 0;
}
