// What several benches measure the same way: the bare spawn loop (the
// machine's limit), and a burst of /bin/true tasks through an in-process
// EngineService on a given store, its agents launched as `taskexec serve`
// launches them (served_launchers.h).
#pragma once

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "engine/engine_service.h"
#include "served_launchers.h"
#include "store/task_store.h"

extern char** environ;

namespace taskexec::bench {

inline double Seconds(std::chrono::steady_clock::time_point a,
                      std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// agent.nice as the service would read it from TASKEXEC_AGENT_NICE (the
// default when unset): set it to compare one build at two priorities.
inline int BenchAgentNice() {
  const char* text = std::getenv("TASKEXEC_AGENT_NICE");
  return text == nullptr ? AgentConfig{}.nice : std::atoi(text);
}

// The default configuration, with `command` as the agent and the store's
// file, work and log folders in `dir` (and BenchAgentNice()).
inline Config BenchConfig(const std::filesystem::path& dir, std::vector<std::string> command) {
  Config c;
  c.agent.nice = BenchAgentNice();
  c.store.db_path = (dir / "bench.db").string();
  c.agent.command = std::move(command);
  c.agent.work_dir = (dir / "work").string();
  c.agent.log_dir = (dir / "logs").string();
  return c;
}

// CPU time (user + system, in ms) this process and its descendants that
// were waited for have used so far. The service's threads, its attempt
// supervisors (each reaped by the service) and their agents (each reaped
// by its supervisor) are all counted; the zygote once it is reaped.
inline double CpuMs() {
  auto ms = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
           (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
  };
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  return ms(self) + ms(children);
}

// posix_spawn + waitpid of /bin/true, `n` times, one after another: per second.
inline double BareLoop(int n) {
  char arg0[] = "/bin/true";
  char* argv[] = {arg0, nullptr};
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) std::abort();
    int st;
    waitpid(pid, &st, 0);
  }
  return n / Seconds(t0, std::chrono::steady_clock::now());
}

// True once `n` tasks of `store` have ended (completed or failed), looked
// at every `every_ms`: a store that counts by scanning (PostgreSQL) wants a
// longer period, or the watching steals the machine it measures.
inline bool WaitAllDone(TaskStore* store, int n, int timeout_s, int every_ms = 2) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    StoreStats st;
    store->GetStats(&st);
    if (st.by_status["completed"] + st.by_status["failed"] >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
  }
  return false;
}

// Counts the tasks an engine ended (completed or failed for good), from
// its callbacks: waiting on it costs the machine nothing while it runs.
class EndedTasks {
 public:
  EngineCallbacks Callbacks() {
    EngineCallbacks cb;
    cb.on_task_complete = [this](const std::string&, const std::string&) { Add(); };
    cb.on_task_fail = [this](const std::string&, ErrorType, const std::string&) { Add(); };
    return cb;
  }
  // True once `n` tasks ended; false after `timeout_s`.
  bool WaitFor(int64_t n, int timeout_s) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(timeout_s), [&] { return ended_ >= n; });
  }

 private:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++ended_;
    changed_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable changed_;
  int64_t ended_ = 0;
};

// `n` tasks added to an EngineService on `store` (configured by `c`, whose
// agent command is /bin/true) and run to the end: tasks per second. With
// `cpu_ms_per_task`, also the CPU time the whole run used per task (the
// service, its supervisors and agents, and the adding of the tasks).
inline double ServiceRate(const Config& c, TaskStore* store, int n, const std::string& taskexec,
                          const std::string& shim, double* cpu_ms_per_task = nullptr) {
  EngineService p(c, store, SystemClock::Default(), ServedLaunchers(c, taskexec, shim));
  EndedTasks ended;
  p.SetCallbacks(ended.Callbacks());
  if (!p.Start().ok()) std::abort();
  const double cpu0 = CpuMs();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    NewTask t;
    t.title = "bench " + std::to_string(i);
    Task out;
    if (!p.AddTask(t, &out).ok()) std::abort();
  }
  if (!ended.WaitFor(n, 600)) std::fprintf(stderr, "service run timed out\n");
  double rate = n / Seconds(t0, std::chrono::steady_clock::now());
  StoreStats st;
  store->GetStats(&st);
  if (st.by_status["completed"] != n)
    std::fprintf(stderr, "warning: %lld of %d completed\n",
                 static_cast<long long>(st.by_status["completed"]), n);
  p.Stop();  // the zygote is reaped: its copies' cost is counted
  if (cpu_ms_per_task != nullptr) *cpu_ms_per_task = (CpuMs() - cpu0) / n;
  return rate;
}

// The wall-clock time (ns) bench_agent printed when task `task_id`'s first
// attempt started (its first log line); aborts when there is none.
inline int64_t AgentStartNs(TaskStore* store, const std::string& task_id) {
  std::vector<SessionExecution> execs;
  store->ListExecutions(task_id, &execs);
  if (execs.empty()) std::abort();
  std::ifstream log(execs[0].log_path);
  long long started = 0;
  log >> started;
  if (started == 0) std::abort();
  return started;
}

// The median and the 99th percentile of `ms` (sorted here); 0 and 0 for
// no samples.
inline void Percentiles(std::vector<double> ms, double* p50, double* p99) {
  if (ms.empty()) {
    *p50 = *p99 = 0;
    return;
  }
  std::sort(ms.begin(), ms.end());
  *p50 = ms[ms.size() / 2];
  *p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
}

}  // namespace taskexec::bench
