// Dispatch cost against queue depth (docs/benchmarks.md, "Queue depth"):
// with the default caps (max_concurrent 8, per_agent_limit 4), the time to
// run the first `run` tasks of a queue of one agent, for a shallow queue
// (run * 1.5 tasks) and a deep one (`deep` tasks), in the same run. Dispatch
// that costs O(free slots) gives a ratio near 1; one that reads the backlog
// of an agent at its cap grows with the depth.
//
// The queue is bulk-loaded with SQL in one transaction after a first start
// of the service (rows as AddTask writes them: routed to their agent, under
// the routing configuration the service recorded); the service then runs
// them with
// /bin/true as the agent. A second line loads the deep queue without routes
// (rows written by another tool), which the engine must route as it goes.
//
// Usage: queue_depth_bench [deep=1000000] [run=2000]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

#include "bulk_load.h"
#include "engine/engine_service.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;
using namespace taskexec;

namespace {

// Inserts `n` pending tasks assigned to mongke, oldest first.
void BulkLoad(const std::string& path, int n, bool routed) {
  sqlite3* db = bench::OpenForBulkLoad(path);
  sqlite3_stmt* st = nullptr;
  bench::CheckSqlite(
      sqlite3_prepare_v2(db,
                         "INSERT INTO tasks(id, title, assigned_to, status, priority, "
                         "priority_weight, created_at, updated_at, routed_agent) "
                         "VALUES(?1, ?2, 'mongke', 'pending', 'normal', 2, ?3, ?3, ?4)",
                         -1, &st, nullptr),
      db, "prepare");
  const int64_t t0 = 1700000000000;
  for (int i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "task-bulk-%08d", i);
    std::string title = "queued task " + std::to_string(i);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, title.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, t0 + i);
    sqlite3_bind_text(st, 4, routed ? "mongke" : "", -1, SQLITE_STATIC);
    bench::CheckSqlite(sqlite3_step(st), db, "insert");
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  bench::CommitAndClose(db);
}

long MaxRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// Seconds until `run` tasks of a queue of `depth` have finished.
double RunQueue(const fs::path& dir, int depth, int run, bool routed) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config c;  // default caps: max_concurrent 8, per_agent_limit 4
  c.store.db_path = (dir / "queue.db").string();
  c.agent.command = {"/bin/true"};
  c.agent.work_dir = (dir / "work").string();
  c.agent.log_dir = (dir / "logs").string();
  {
    // A service that ran once: tables created, routing configuration
    // recorded, so rows routed by this configuration are taken as they are.
    std::unique_ptr<SqliteStore> first;
    if (!SqliteStore::Open(c.store.db_path, c.store, &first).ok()) std::abort();
    EngineService once(c, first.get());
    if (!once.Start().ok()) std::abort();
    once.Stop();
  }
  auto l0 = std::chrono::steady_clock::now();
  BulkLoad(c.store.db_path, depth, routed);
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - l0).count();

  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::Open(c.store.db_path, c.store, &store).ok()) std::abort();
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
  EngineCallbacks cb;
  auto one_done = [&] {
    std::lock_guard<std::mutex> l(mu);
    if (++finished == run) cv.notify_all();
  };
  cb.on_task_complete = [&](const std::string&, const std::string&) { one_done(); };
  cb.on_task_fail = [&](const std::string&, ErrorType, const std::string&) { one_done(); };
  EngineService p(c, store.get());
  p.SetCallbacks(cb);
  auto t0 = std::chrono::steady_clock::now();
  if (!p.Start().ok()) std::abort();
  bool done = false;
  {
    std::unique_lock<std::mutex> l(mu);
    done = cv.wait_for(l, std::chrono::seconds(900), [&] { return finished >= run; });
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.Stop();
  std::printf("  queue %9d (%s): load %6.1f s, first %d done in %7.2f s (%6.0f tasks/s)%s\n", depth,
              routed ? "routed" : "unrouted", load_s, run, s, run / s, done ? "" : "  TIMED OUT");
  std::fflush(stdout);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int deep = argc > 1 ? std::atoi(argv[1]) : 1000000;
  const int run = argc > 2 ? std::atoi(argv[2]) : 2000;
  spdlog::set_level(spdlog::level::warn);
  fs::path base = fs::temp_directory_path() / "taskexec_queue_bench";
  std::printf(
      "queue depth bench: defaults (max_concurrent 8, per_agent_limit 4), one agent, "
      "/bin/true\n");
  double shallow = RunQueue(base, run * 3 / 2, run, true);
  double deep_routed = RunQueue(base, deep, run, true);
  double deep_unrouted = RunQueue(base, deep, run, false);
  fs::remove_all(base);
  std::printf("deep/shallow time ratio: routed %.2f, unrouted %.2f; max RSS %ld MB\n",
              deep_routed / shallow, deep_unrouted / shallow, MaxRssMb());
  return 0;
}
