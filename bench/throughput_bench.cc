// Measures, in one run:
//  1. the machine's limit: a bare posix_spawn + waitpid loop of /bin/true;
//  2. tasks per second through the whole service (EngineService + SQLite store +
//     runner) with /bin/true as the agent, launched as `taskexec serve`
//     launches them (the attempt watchdog, each agent through the per-attempt
//     supervisor), with the default executor caps (max_concurrent 8,
//     per_agent_limit 4: one agent runs 4 at once);
//  3. the same without the per-attempt supervisor (agents as the service's
//     own children), for its cost;
//  3b. the floor of the default containment: loops that start /bin/true as
//     the service does by default, through taskexec-attempt in a fresh
//     cgroup scope with its own log and exit record, and nothing else (no
//     store, no work dir, no prompt file), one at a time and four at once (as
//     many as the default caps run), the supervisors spawned, then made by
//     the zygote (as the service makes them);
//  4. the latency from AddTask to the agent process starting (p50, p99),
//     with an agent that prints its start time, launched as in 2 and as
//     in 3.
// taskexec (the watchdog's program) and taskexec-attempt are found in the
// directory above this program's.
// Usage: throughput_bench [tasks=2000] [latency_samples=300 (0: none)] [served]
// With `served` only the bare loop and the service as served run (for A/B
// comparisons of builds, and for a profiler). TASKEXEC_AGENT_NICE sets
// agent.nice for the attempts the service and the contained loops start.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/engine_service.h"
#include "runner/attempt_cgroup.h"
#include "runner/attempt_zygote.h"
#include "runner/exit_record.h"
#include "runner/spawn_setup.h"
#include "served_launchers.h"
#include "service_runs.h"
#include "store/sqlite/sqlite_store.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace taskexec;
using taskexec::bench::BareLoop;
using taskexec::bench::Seconds;
using taskexec::bench::WaitAllDone;

namespace {

int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// `n` attempts one after another as the default launcher contains them: a
// scope made, the supervisor started as the service starts it (made by the
// `zygote` when given, else spawned with SpawnSetup: the attempt's log as fd
// 3, its go already sent as fd 4, the scope as fd 5), /bin/true born inside,
// the exit record written by the supervisor; then the record and the log
// removed, the scope left for the next attempt (as the service does).
void ContainedLoop(int n, const std::string& shim, AttemptCgroups& cgroups, const fs::path& dir,
                   AttemptZygote* zygote) {
  fs::create_directories(dir);
  const std::string record = (dir / "exit.json").string();
  const std::string log = (dir / "attempt.log").string();
  // At agent.nice, as the service starts them.
  std::vector<std::string> argv_text = {
      shim, record, "0", "0", std::to_string(bench::BenchAgentNice()), "/bin/true"};
  std::vector<char*> args;
  for (std::string& a : argv_text) args.push_back(a.data());
  args.push_back(nullptr);
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) std::abort();
  for (int i = 0; i < n; ++i) {
    std::string scope;
    int scope_fd = -1;
    if (!cgroups.CreateScope(&scope, &scope_fd).ok()) std::abort();
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int go[2];
    if (log_fd < 0 || pipe2(go, O_CLOEXEC) != 0 || write(go[1], "g", 1) != 1) std::abort();
    close(go[1]);
    pid_t pid;
    if (zygote != nullptr) {
      AttemptZygote::Request r;
      r.argv = argv_text;
      r.cwd = dir.string();
      r.stdout_fd = r.stderr_fd = null_fd;
      r.log_fd = log_fd;
      r.go_fd = go[0];
      r.scope_fd = scope_fd;
      int error = 0;
      if (zygote->Spawn(r, &pid, &error) != AttemptZygote::Outcome::kStarted) std::abort();
    } else {
      SpawnSetup setup;
      if (!setup.Build(-1, null_fd, null_fd, dir.string(), {log_fd, go[0], scope_fd}).ok())
        std::abort();
      if (posix_spawn(&pid, shim.c_str(), setup.actions(), setup.attributes(), args.data(),
                      environ) != 0)
        std::abort();
    }
    for (int fd : {log_fd, go[0], scope_fd}) close(fd);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) std::abort();
    unlink(record.c_str());
    unlink(log.c_str());
    if (!cgroups.Recycle(scope)) std::abort();
  }
  close(null_fd);
}

// Contained attempts per second with `at_once` loops side by side, their
// supervisors made by one zygote when `through_zygote` (as the service
// makes them), else each spawned; 0 when this process may not make cgroup
// scopes (the floor would not be the one the service pays).
double ContainedRate(int n, int at_once, const std::string& shim, const fs::path& dir,
                     bool through_zygote) {
  std::string why;
  std::unique_ptr<AttemptCgroups> cgroups = AttemptCgroups::Detect(&why);
  if (!cgroups) {
    std::fprintf(stderr, "no cgroup scopes here (%s): contained loops skipped\n", why.c_str());
    return 0;
  }
  std::unique_ptr<AttemptZygote> zygote;
  if (through_zygote && (zygote = AttemptZygote::Start(shim, &why)) == nullptr) {
    std::fprintf(stderr, "no zygote (%s)\n", why.c_str());
    std::abort();
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> loops;
  for (int k = 0; k < at_once; ++k)
    loops.emplace_back([&, k] {
      ContainedLoop(n / at_once, shim, *cgroups, dir / ("loop-" + std::to_string(k)), zygote.get());
    });
  for (std::thread& t : loops) t.join();
  return n / at_once * at_once / Seconds(t0, std::chrono::steady_clock::now());
}

// The defaults but for where the files go and what runs.
double ServiceRate(const fs::path& dir, int n, const std::string& taskexec, const std::string& shim,
                   double* cpu_ms_per_task = nullptr) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config c = bench::BenchConfig(dir, {"/bin/true"});
  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::Open(c.store.db_path, c.store, &store).ok()) std::abort();
  return bench::ServiceRate(c, store.get(), n, taskexec, shim, cpu_ms_per_task);
}

void Latency(const fs::path& dir, const std::string& agent, int samples,
             const std::string& taskexec, const std::string& shim, double* p50, double* p99) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config c = bench::BenchConfig(dir, {agent});
  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::Open(c.store.db_path, c.store, &store).ok()) std::abort();
  EngineService p(c, store.get(), SystemClock::Default(),
                  bench::ServedLaunchers(c, taskexec, shim));
  if (!p.Start().ok()) std::abort();
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    NewTask t;
    t.title = "latency " + std::to_string(i);
    Task out;
    int64_t added = RealtimeNs();
    if (!p.AddTask(t, &out).ok()) std::abort();
    if (!WaitAllDone(store.get(), i + 1, 60)) std::abort();
    ms.push_back((bench::AgentStartNs(store.get(), out.id) - added) / 1e6);
  }
  p.Stop();
  bench::Percentiles(ms, p50, p99);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  int samples = argc > 2 ? std::atoi(argv[2]) : 300;
  spdlog::set_level(spdlog::level::warn);
  fs::path dir = fs::temp_directory_path() / ("taskexec_bench_" + std::to_string(getpid()));
  const std::string agent = (fs::absolute(argv[0]).parent_path() / "bench_agent").string();
  const auto [taskexec, shim] = bench::FindServedPrograms(argv[0]);
  if (argc > 3 && std::string(argv[3]) == "served") {
    const double cpu0 = bench::CpuMs();
    const double bare = BareLoop(n);
    const double bare_cpu = (bench::CpuMs() - cpu0) / n;
    double cpu = 0;
    double served = ServiceRate(dir / "rate", n, taskexec, shim, &cpu);
    fs::remove_all(dir);
    std::printf(
        "served %.0f/s, %.3f ms CPU each; bare loop %.0f/s, %.3f ms CPU each: %.1f%% of bare, "
        "%.2fx its CPU\n",
        served, cpu, bare, bare_cpu, 100.0 * served / bare, cpu / bare_cpu);
    return 0;
  }

  const double cpu0 = bench::CpuMs();
  double bare = BareLoop(n);
  const double bare_cpu = (bench::CpuMs() - cpu0) / n;
  const int at_once = Config().executor.per_agent_limit;  // one agent: its cap is the bound
  double contained_serial = ContainedRate(n, 1, shim, dir / "floor", false);
  double floor_exec = ContainedRate(n, at_once, shim, dir / "floor", false);
  double floor = ContainedRate(n, at_once, shim, dir / "floor", true);
  double served_cpu = 0;
  double served = ServiceRate(dir / "rate", n, taskexec, shim, &served_cpu);
  double direct = ServiceRate(dir / "direct", n, taskexec, "");
  double p50 = 0, p99 = 0, direct_p50 = 0, direct_p99 = 0;
  if (samples > 0) {
    Latency(dir / "latency", agent, samples, taskexec, shim, &p50, &p99);
    Latency(dir / "latency-direct", agent, samples, taskexec, "", &direct_p50, &direct_p99);
  }
  fs::remove_all(dir);

  std::printf("bare spawn+reap loop of /bin/true        : %8.0f per second, %.3f ms CPU each\n",
              bare, bare_cpu);
  if (floor > 0) {
    std::printf("the same through the supervisor, scoped  : %8.0f per second (%.0f%% of bare)\n",
                contained_serial, 100.0 * contained_serial / bare);
    std::printf("the same, %d at once                      : %8.0f per second (%.0f%% of bare)\n",
                at_once, floor_exec, 100.0 * floor_exec / bare);
    std::printf("the same, made by the zygote (the floor) : %8.0f per second (%.0f%% of bare)\n",
                floor, 100.0 * floor / bare);
  }
  std::printf("service as served, /bin/true, defaults   : %8.0f tasks per second (%.0f%% of bare",
              served, 100.0 * served / bare);
  if (floor > 0) std::printf(", %.0f%% of the floor", 100.0 * served / floor);
  std::printf(")\n");
  std::printf("  CPU per task (service, supervisor, agent): %.3f ms, %.1fx the bare loop's\n",
              served_cpu, served_cpu / bare_cpu);
  std::printf(
      "the same, agents the service's children  : %8.0f tasks per second (%.0f%% of bare)\n",
      direct, 100.0 * direct / bare);
  if (samples > 0) {
    std::printf(
        "add -> agent start latency (as served)   : p50 %.2f ms, p99 %.2f ms (%d samples)\n", p50,
        p99, samples);
    std::printf("the same, agents the service's children  : p50 %.2f ms, p99 %.2f ms\n", direct_p50,
                direct_p99);
  }
  return 0;
}
