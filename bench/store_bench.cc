// The stores against each other, in one run:
//  1. the machine's limit: a bare posix_spawn + waitpid loop of /bin/true;
//  2. `tasks` /bin/true tasks through the service (an in-process
//     EngineService, agents launched as `taskexec serve` launches them,
//     default caps) on SQLite and on PostgreSQL, and on PostgreSQL with
//     fsync off (what its commits' flushes cost);
//  3. the latency from a task written by another process (this one, straight
//     into the store, as a tool or a service on another host writes it) to
//     its agent starting in a running `taskexec serve`, p50 and p99: on
//     SQLite the service finds it at its store poll (executor.store_poll_ms,
//     1 s by default); on PostgreSQL the store pushes it (LISTEN/NOTIFY).
//     Each add waits a random 0-1 s first, so the samples fall anywhere in
//     the poll's period.
// PostgreSQL is a throwaway server from Debian's package
// (tests/store/pg_server.h), with its durable defaults (fsync on); SQLite's
// file is in $TMPDIR.
// Usage: store_bench [tasks=2000] [sqlite_latency_samples=40] [pg_latency_samples=100]
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
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "service_runs.h"
#include "store/pg_server.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;
using namespace taskexec;

namespace {

int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::unique_ptr<PgStore> OpenPg(const std::string& conninfo) {
  PgStoreOptions o;
  o.connect.conninfo = conninfo;
  std::unique_ptr<PgStore> store;
  if (Status s = PgStore::Open(o, &store); !s.ok()) {
    std::fprintf(stderr, "postgres: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return store;
}

std::unique_ptr<SqliteStore> OpenSqlite(const std::string& path) {
  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::Open(path, StoreConfig(), &store).ok()) std::abort();
  return store;
}

// `taskexec serve` on the given [store]/[postgres] sections, with `agent`
// as the agent and everything else at its default.
class ServeProcess {
 public:
  ServeProcess(const std::string& taskexec, const fs::path& dir, const std::string& store_toml,
               const std::string& agent) {
    fs::create_directories(dir);
    const std::string config = (dir / "serve.toml").string();
    std::ofstream(config) << store_toml << "\n[agent]\ncommand = [\"" << agent
                          << "\"]\nwork_dir = \"" << (dir / "work").string() << "\"\nlog_dir = \""
                          << (dir / "logs").string() << "\"\n\n[server]\nlisten = \"\"\n";
    const std::string log = (dir / "serve.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> args = {taskexec, "--config", config, "serve"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, taskexec.c_str(), &actions, nullptr, argv.data(), environ) != 0)
      std::abort();
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ServeProcess() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
  }

 private:
  pid_t pid_ = -1;
};

// Add -> agent start across processes: `store` is this process's handle on
// the store a running `taskexec serve` uses, its agent `agent` (bench_agent:
// prints its start time). The first task (the service starting) is not
// counted.
void CrossProcessLatency(TaskStore* store, int samples, double* p50, double* p99) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pause_ms(0, 999);
  std::vector<double> ms;
  for (int i = 0; i <= samples; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    NewTask t;
    t.title = "cross-process " + std::to_string(i);
    Task out;
    const int64_t added = RealtimeNs();
    if (!store->AddTask(t, SystemClock::Default()->NowMs(), &out).ok()) std::abort();
    if (!bench::WaitAllDone(store, i + 1, 120, 5)) {
      std::fprintf(stderr, "the service did not run task %d\n", i);
      std::exit(1);
    }
    if (i > 0) ms.push_back((bench::AgentStartNs(store, out.id) - added) / 1e6);
  }
  bench::Percentiles(ms, p50, p99);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int sqlite_samples = argc > 2 ? std::atoi(argv[2]) : 40;
  const int pg_samples = argc > 3 ? std::atoi(argv[3]) : 100;
  spdlog::set_level(spdlog::level::warn);
  const fs::path dir = fs::temp_directory_path() / ("taskexec_bench_" + std::to_string(getpid()));
  const std::string agent = (fs::absolute(argv[0]).parent_path() / "bench_agent").string();
  const auto [taskexec, shim] = bench::FindServedPrograms(argv[0]);

  std::unique_ptr<store_test::PgServer> server;
  if (Status s = store_test::PgServer::Start(&server, /*durable=*/true); !s.ok()) {
    std::fprintf(stderr, "cannot start PostgreSQL: %s\n", s.ToString().c_str());
    return 1;
  }
  auto fresh_schema = [&] {
    std::string info;
    if (!server->FreshSchema(&info).ok()) std::abort();
    return info;
  };

  const double bare = bench::BareLoop(n);
  fs::remove_all(dir);
  fs::create_directories(dir / "sqlite");
  const Config c = bench::BenchConfig(dir / "sqlite", {"/bin/true"});
  const double on_sqlite = [&] {
    auto store = OpenSqlite(c.store.db_path);
    return bench::ServiceRate(c, store.get(), n, taskexec, shim);
  }();
  const double on_pg = [&] {
    auto store = OpenPg(fresh_schema());
    return bench::ServiceRate(c, store.get(), n, taskexec, shim);
  }();
  const double on_pg_unsynced = [&] {
    std::unique_ptr<store_test::PgServer> fast;
    std::string info;
    if (!store_test::PgServer::Start(&fast, /*durable=*/false).ok() ||
        !fast->FreshSchema(&info).ok())
      std::abort();
    auto store = OpenPg(info);
    return bench::ServiceRate(c, store.get(), n, taskexec, shim);
  }();

  double sqlite_p50 = 0, sqlite_p99 = 0, pg_p50 = 0, pg_p99 = 0;
  {
    const fs::path d = dir / "latency-sqlite";
    fs::create_directories(d);
    auto store = OpenSqlite((d / "tasks.db").string());
    ServeProcess serve(taskexec, d, "[store]\ndb_path = \"" + (d / "tasks.db").string() + "\"\n",
                       agent);
    CrossProcessLatency(store.get(), sqlite_samples, &sqlite_p50, &sqlite_p99);
  }
  {
    const fs::path d = dir / "latency-pg";
    const std::string info = fresh_schema();
    auto store = OpenPg(info);
    ServeProcess serve(taskexec, d,
                       "[store]\nbackend = \"postgres\"\n[postgres]\nurl = \"" + info + "\"\n",
                       agent);
    CrossProcessLatency(store.get(), pg_samples, &pg_p50, &pg_p99);
  }
  fs::remove_all(dir);

  std::printf("bare spawn+reap loop of /bin/true        : %8.0f per second\n", bare);
  std::printf(
      "service on SQLite, /bin/true, defaults   : %8.0f tasks per second (%.0f%% of bare)\n",
      on_sqlite, 100.0 * on_sqlite / bare);
  std::printf(
      "service on PostgreSQL (fsync on)         : %8.0f tasks per second (%.0f%% of bare, "
      "%.2fx SQLite)\n",
      on_pg, 100.0 * on_pg / bare, on_pg / on_sqlite);
  std::printf(
      "the same, PostgreSQL with fsync off       : %8.0f tasks per second (%.0f%% of bare)\n",
      on_pg_unsynced, 100.0 * on_pg_unsynced / bare);
  std::printf(
      "add by another process -> agent start, SQLite (store poll 1 s): p50 %.1f ms, p99 "
      "%.1f ms (%d samples)\n",
      sqlite_p50, sqlite_p99, sqlite_samples);
  std::printf("the same, PostgreSQL (LISTEN/NOTIFY)     : p50 %.1f ms, p99 %.1f ms (%d samples)\n",
              pg_p50, pg_p99, pg_samples);
  return 0;
}
