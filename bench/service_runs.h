// What several benches measure the same way: the bare spawn loop (the
// machine's limit), and a burst of /bin/true tasks through an in-process
// EngineService on a given store, its agents launched as `taskexec serve`
// launches them (served_launchers.h).
#pragma once

#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

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

// `n` tasks added to an EngineService on `store` (configured by `c`, whose
// agent command is /bin/true) and run to the end: tasks per second.
inline double ServiceRate(const Config& c, TaskStore* store, int n, const std::string& taskexec,
                          const std::string& shim, int watch_every_ms = 2) {
  EngineService p(c, store, SystemClock::Default(), ServedLaunchers(c, taskexec, shim));
  if (!p.Start().ok()) std::abort();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    NewTask t;
    t.title = "bench " + std::to_string(i);
    Task out;
    if (!p.AddTask(t, &out).ok()) std::abort();
  }
  if (!WaitAllDone(store, n, 600, watch_every_ms)) std::fprintf(stderr, "service run timed out\n");
  double rate = n / Seconds(t0, std::chrono::steady_clock::now());
  StoreStats st;
  store->GetStats(&st);
  if (st.by_status["completed"] != n)
    std::fprintf(stderr, "warning: %lld of %d completed\n",
                 static_cast<long long>(st.by_status["completed"]), n);
  p.Stop();
  return rate;
}

}  // namespace taskexec::bench
