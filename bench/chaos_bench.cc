// Faults without duplicates, measured: N tasks shared by S `taskexec serve`
// processes on one SQLite file, while the bench SIGKILLs services (each
// restarted at once) and SIGSTOPs others for 5 s (each resumed then), at
// random. The agent (chaos_agent.cc) judges for itself whether two attempts
// of its task were alive at once (a lock it holds while it works) and says
// when it finished its work. Printed at the end, per run:
//  - tasks completed, failed, cancelled (nobody asks for a cancel here, so
//    every cancel is a fault taken for a person's request);
//  - overlaps: attempts that found another attempt of their task alive;
//  - finished twice: tasks whose agent finished its work more than once.
// Run 0 is the baseline: the same tasks and services with no fault.
// Usage: chaos_bench [tasks=2000] [kills=16] [stops=4] [services=3] [runs=1]
// (taskexec and chaos_agent are found beside this program).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace taskexec;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  int tasks = 2000;
  int kills = 16;
  int stops = 4;
  int services = 3;
  int runs = 1;
};

pid_t StartService(const std::string& binary, const std::string& config, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> args = {binary, "--config", config, "serve"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    std::perror("posix_spawn taskexec");
    std::exit(1);
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::map<std::string, int> CountLines(const std::string& path) {
  std::map<std::string, int> by_task;
  std::ifstream in(path);
  std::string task, execution;
  while (in >> task >> execution) by_task[task]++;
  return by_task;
}

struct Fault {
  double at_s;
  bool kill;  // else a 5 s stop
};

int RunOnce(const Options& o, const std::string& here, int run) {
  const fs::path dir = fs::temp_directory_path() /
                       ("taskexec_chaos_" + std::to_string(getpid()) + "_" + std::to_string(run));
  fs::remove_all(dir);
  fs::create_directories(dir / "locks");
  const std::string config = (dir / "taskexec.toml").string();
  std::ofstream(config) << "[store]\ndb_path = \"" << (dir / "chaos.db").string()
                        << "\"\n\n[executor]\nmax_retries = 20\nretry_delay_seconds = 0\n"
                           "store_poll_ms = 100\npoll_interval_seconds = 1\nlease_seconds = 3\n"
                           "max_concurrent = 8\nper_agent_limit = 8\nshutdown_grace_seconds = 2\n\n"
                           "[agent]\ncommand = [\""
                        << here << "/chaos_agent\", \"" << dir.string() << "\"]\nwork_dir = \""
                        << (dir / "work").string() << "\"\nlog_dir = \"" << (dir / "logs").string()
                        << "\"\ntimeout_seconds = 60\nkill_grace_seconds = 1\n"
                           "circuit_failures = 0\n\n[server]\nlisten = \"\"\n";
  std::unique_ptr<SqliteStore> store;
  StoreConfig sc;
  if (Status s = SqliteStore::Open((dir / "chaos.db").string(), sc, &store); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<NewTask> batch;
  for (int i = 0; i < o.tasks; ++i) {
    NewTask t;
    t.title = "Chaos task " + std::to_string(i);
    t.assigned_to = "main";
    batch.push_back(std::move(t));
  }
  std::vector<Status> added;
  if (Status s = store->AddTasks(batch, SystemClock::Default()->NowMs(), &added); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }

  const std::string binary = here + "/../taskexec";
  std::vector<pid_t> services;
  for (int i = 0; i < o.services; ++i)
    services.push_back(
        StartService(binary, config, (dir / ("service-" + std::to_string(i) + ".log")).string()));

  // The faults, in random order, one every 400 ms from the first second.
  std::mt19937 rng(static_cast<unsigned>(run) * 7919u + 17u);
  std::vector<Fault> faults;
  for (int i = 0; i < o.kills; ++i) faults.push_back({0, true});
  for (int i = 0; i < o.stops; ++i) faults.push_back({0, false});
  std::shuffle(faults.begin(), faults.end(), rng);
  for (size_t i = 0; i < faults.size(); ++i) faults[i].at_s = 1.0 + 0.4 * static_cast<double>(i);
  std::vector<Steady::time_point> stopped_until(services.size());
  int kills = 0, stops = 0;

  const auto t0 = Steady::now();
  size_t next = 0;
  int64_t final_tasks = 0;
  while (Steady::now() - t0 < std::chrono::seconds(600)) {
    const double now_s = std::chrono::duration<double>(Steady::now() - t0).count();
    for (size_t i = 0; i < services.size(); ++i) {
      if (stopped_until[i] != Steady::time_point{} && Steady::now() >= stopped_until[i]) {
        kill(services[i], SIGCONT);
        stopped_until[i] = Steady::time_point{};
      }
    }
    if (next < faults.size() && now_s >= faults[next].at_s) {
      // A running, not stopped, service.
      std::vector<size_t> free;
      for (size_t i = 0; i < services.size(); ++i)
        if (stopped_until[i] == Steady::time_point{}) free.push_back(i);
      if (!free.empty()) {
        const size_t i = free[std::uniform_int_distribution<size_t>(0, free.size() - 1)(rng)];
        if (faults[next].kill) {
          kill(services[i], SIGKILL);
          waitpid(services[i], nullptr, 0);
          services[i] = StartService(binary, config,
                                     (dir / ("service-" + std::to_string(i) + ".log")).string());
          ++kills;
        } else {
          kill(services[i], SIGSTOP);
          stopped_until[i] = Steady::now() + std::chrono::seconds(5);
          ++stops;
        }
        ++next;
      }
    }
    StoreStats st;
    if (store->GetStats(&st).ok()) {
      final_tasks = st.by_status["completed"] + st.by_status["failed"] + st.by_status["cancelled"];
      if (final_tasks == o.tasks && next == faults.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  for (size_t i = 0; i < services.size(); ++i) {
    if (stopped_until[i] != Steady::time_point{}) kill(services[i], SIGCONT);
    kill(services[i], SIGTERM);
    waitpid(services[i], nullptr, 0);
  }

  StoreStats st;
  store->GetStats(&st);
  TaskFilter failed_filter;
  failed_filter.status = TaskStatus::kFailed;
  std::vector<Task> failed;
  store->ListTasks(failed_filter, &failed);
  std::map<std::string, int> failed_by_type;
  for (const Task& t : failed) failed_by_type[std::string(ToString(t.error_type))]++;
  int cancelled_errors = static_cast<int>(st.by_status["cancelled"]);
  for (const auto& [type, n] : failed_by_type)
    if (type == "cancelled") cancelled_errors += n;
  const std::map<std::string, int> overlaps = CountLines((dir / "overlaps").string());
  const std::map<std::string, int> finished = CountLines((dir / "finished").string());
  int twice = 0, extra_runs = 0;
  for (const auto& [task, n] : finished) {
    if (n > 1) {
      ++twice;
      extra_runs += n - 1;
    }
  }
  int overlap_count = 0;
  for (const auto& [task, n] : overlaps) overlap_count += n;
  std::printf(
      "run %d: %d tasks, %d services, %d SIGKILL + %d SIGSTOP (5 s), lease 3 s: %.1f s; "
      "completed %lld, failed %lld, cancelled (nobody asked) %d; overlapping attempts %d; "
      "tasks whose agent finished twice %d (%d extra runs)\n",
      run, o.tasks, o.services, kills, stops, seconds,
      static_cast<long long>(st.by_status["completed"]),
      static_cast<long long>(st.by_status["failed"]), cancelled_errors, overlap_count, twice,
      extra_runs);
  for (const auto& [type, n] : failed_by_type) std::printf("  failed %s: %d\n", type.c_str(), n);
  // What the store says of each task whose agent finished twice: which
  // attempts ended how, to tell which fault it came from.
  for (const auto& [task, n] : finished) {
    if (n < 2) continue;
    std::vector<SessionExecution> executions;
    store->ListExecutions(task, &executions);
    std::printf("  finished %d times: %s\n", n, task.c_str());
    for (const SessionExecution& e : executions) {
      std::printf("    %s %s %s\n", e.id.c_str(), std::string(ToString(e.status)).c_str(),
                  e.error.c_str());
    }
  }
  std::fflush(stdout);
  const bool clean = final_tasks == o.tasks && st.by_status["completed"] == o.tasks &&
                     overlap_count == 0 && cancelled_errors == 0 && twice == 0;
  if (clean)
    fs::remove_all(dir);
  else
    std::printf("  kept %s\n", dir.string().c_str());
  return clean ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc > 1) o.tasks = std::atoi(argv[1]);
  if (argc > 2) o.kills = std::atoi(argv[2]);
  if (argc > 3) o.stops = std::atoi(argv[3]);
  if (argc > 4) o.services = std::atoi(argv[4]);
  if (argc > 5) o.runs = std::atoi(argv[5]);
  const std::string here = fs::canonical("/proc/self/exe").parent_path().string();
  // The baseline, in the same run: the same tasks and services, no faults.
  Options calm = o;
  calm.kills = calm.stops = 0;
  int worst = RunOnce(calm, here, 0);
  for (int run = 1; run <= o.runs; ++run) worst = std::max(worst, RunOnce(o, here, run));
  return worst;
}
