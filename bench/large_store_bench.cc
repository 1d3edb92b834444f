// What a person sees with a million tasks (docs/benchmarks.md, "A million
// tasks"): the time of the reads behind `taskexec status`, `tasks`,
// `task show`, the dashboard's first page and `/metrics`, through the real
// HTTP server over StoreTaskService on SQLite, for a store of 3,000 tasks
// (the baseline) and one of `big` tasks, in the same run; then the time per
// task of `taskexec prune` removing every finished task (10 %) of each.
//
// The tasks are bulk-loaded with SQL in one transaction after the store is
// opened (so the schema and its triggers are in place), in the shares a
// busy board has: most queued, some finished, a few failed.
//
// With --postgres, the same on the PostgreSQL store, on a throwaway server
// with its durable defaults (tests/store/pg_server.h; only in builds with
// the tests).
//
// Usage: large_store_bench [big=1000000] [repeat=20] [--postgres]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/pruner.h"
#include "bulk_load.h"
#include "engine/store_service.h"
#include "routing/agent_router.h"
#include "server/http_server.h"
#include "store/sqlite/sqlite_store.h"
#ifdef TASKEXEC_BENCH_POSTGRES
#include "store/pg_server.h"
#include "store/postgres/pg_store.h"
#endif

namespace fs = std::filesystem;
using namespace taskexec;

namespace {

// Task i: 90 % pending, 8 % completed, 2 % failed; six agents.
void BulkLoad(const std::string& path, int n) {
  static const char* kAgents[] = {"mongke", "temujin", "chagatai", "jochi", "ogedei", "kublai"};
  sqlite3* db = bench::OpenForBulkLoad(path);
  sqlite3_stmt* st = nullptr;
  bench::CheckSqlite(
      sqlite3_prepare_v2(db,
                         "INSERT INTO tasks(id, title, assigned_to, claimed_by, status, "
                         "created_at, updated_at, routed_agent, completed_at) VALUES(?1, ?2, ?3, "
                         "?4, ?5, ?6, ?6, ?3, ?7)",
                         -1, &st, nullptr),
      db, "prepare");
  for (int i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "task-big-%08d", i);
    const char* agent = kAgents[i % 6];
    const int share = i % 100;
    const char* status = share < 90 ? "pending" : share < 98 ? "completed" : "failed";
    std::string title = "task " + std::to_string(i);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, title.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, share < 90 ? "" : agent, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, 1700000000000 + i);
    sqlite3_bind_int64(st, 7, share < 90 ? 0 : 1700000000000 + i + 1);
    bench::CheckSqlite(sqlite3_step(st), db, "insert");
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  bench::CommitAndClose(db);
}

#ifdef TASKEXEC_BENCH_POSTGRES
// The same rows as BulkLoad, in one statement (one NOTIFY), then ANALYZE so
// the planner knows the table's size as it would after autovacuum.
void BulkLoadPostgres(PgStore* store, const std::string& conninfo, int n) {
  (void)store;  // its Open created the schema
  pg::ConnectParams params;
  params.conninfo = conninfo;
  std::unique_ptr<pg::Connection> c;
  if (!pg::Connection::Open(params, &c).ok()) std::abort();
  const std::string agent =
      "(ARRAY['mongke','temujin','chagatai','jochi','ogedei','kublai'])[i % 6 + 1]";
  Status s = c->Exec(
      "INSERT INTO tasks(id, title, assigned_to, claimed_by, status, created_at, updated_at, "
      "routed_agent, completed_at) SELECT 'task-big-' || lpad(i::text, 8, '0'), 'task ' || i, " +
      agent + ", CASE WHEN i % 100 < 90 THEN '' ELSE " + agent +
      " END, CASE WHEN i % 100 < 90 THEN 'pending' WHEN i % 100 < 98 THEN 'completed' ELSE "
      "'failed' END, 1700000000000 + i, 1700000000000 + i, " +
      agent +
      ", CASE WHEN i % 100 < 90 THEN 0 ELSE 1700000000000 + i + 1 END "
      "FROM generate_series(0, " +
      std::to_string(n - 1) + ") AS i; ANALYZE tasks");
  if (!s.ok()) {
    std::fprintf(stderr, "bulk load: %s\n", s.ToString().c_str());
    std::abort();
  }
}
#endif

// The store a Measure reads: SQLite in `dir`, or a fresh PostgreSQL schema,
// filled with `n` tasks.
using StoreMaker = std::function<std::unique_ptr<TaskStore>(const fs::path& dir, int n)>;

std::unique_ptr<TaskStore> MakeSqlite(const fs::path& dir, int n) {
  const std::string db = (dir / "big.db").string();
  StoreConfig store_config;
  {
    std::unique_ptr<SqliteStore> schema;
    if (!SqliteStore::Open(db, store_config, &schema).ok()) std::abort();
  }
  BulkLoad(db, n);
  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::Open(db, store_config, &store).ok()) std::abort();
  return store;
}

struct Probe {
  std::string name;
  std::function<bool()> run;  // false = the request failed
};

// Median milliseconds of `repeat` runs (after one warm-up).
double MedianMs(const Probe& p, int repeat) {
  if (!p.run()) {
    std::fprintf(stderr, "%s failed\n", p.name.c_str());
    std::abort();
  }
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    p.run();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::vector<double> Measure(const fs::path& dir, int n, int repeat, const StoreMaker& make,
                            std::vector<std::string>* names) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::unique_ptr<TaskStore> store = make(dir, n);
  RoutingConfig routing;
  AgentRouter router(routing);
  StoreTaskService service(store.get(), &router, SystemClock::Default());
  ServerConfig server_config;
  server_config.listen = "127.0.0.1:0";
  HttpServer server(server_config, &service);
  if (!server.Start().ok()) std::abort();
  httplib::Client client("127.0.0.1", server.port());
  auto get = [&](const std::string& path) {
    auto r = client.Get(path);
    return r && r->status == 200;
  };
  const std::string some_id =
      "task-big-" + std::string(8 - std::to_string(n / 2).size(), '0') + std::to_string(n / 2);
  std::vector<Probe> probes = {
      {"GET /api/v1/status (taskexec status)", [&] { return get("/api/v1/status"); }},
      {"GET /metrics", [&] { return get("/metrics"); }},
      {"GET /api/v1/tasks?limit=200 (dashboard)", [&] { return get("/api/v1/tasks?limit=200"); }},
      {"GET /api/v1/tasks?status=failed&limit=200",
       [&] { return get("/api/v1/tasks?status=failed&limit=200"); }},
      {"GET /api/v1/tasks?agent=kublai&limit=200",
       [&] { return get("/api/v1/tasks?agent=kublai&limit=200"); }},
      {"GET /api/v1/tasks?agent=kublai&status=failed&limit=200",
       [&] { return get("/api/v1/tasks?agent=kublai&status=failed&limit=200"); }},
      {"GET /api/v1/tasks?after={middle id}&limit=200 (a deep page)",
       [&] { return get("/api/v1/tasks?limit=200&after=" + some_id); }},
      {"GET /api/v1/tasks/{id} (task show)", [&] { return get("/api/v1/tasks/" + some_id); }},
      {"ListTasks limit 50 (taskexec tasks --limit 50)",
       [&] {
         std::vector<Task> out;
         TaskFilter f;
         f.limit = 50;
         return service.ListTasks(f, &out).ok() && out.size() == 50;
       }},
  };
  std::vector<double> out;
  names->clear();
  for (const Probe& p : probes) {
    names->push_back(p.name);
    out.push_back(MedianMs(p, repeat));
  }
  server.Stop();
  // Once: prune every finished task; microseconds per pruned task.
  PruneRequest prune;
  prune.finished_before = 1800000000000;
  PruneReport report;
  auto t0 = std::chrono::steady_clock::now();
  if (!Pruner(store.get(), PruneSetup{}).Run(prune, &report).ok() || report.tasks != n / 10)
    std::abort();
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  names->push_back("prune every finished task (10 %), microseconds per task");
  out.push_back(us / static_cast<double>(report.tasks));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool postgres = std::find(args.begin(), args.end(), "--postgres") != args.end();
  args.erase(std::remove(args.begin(), args.end(), "--postgres"), args.end());
  const int big = args.size() > 0 ? std::atoi(args[0].c_str()) : 1000000;
  const int repeat = args.size() > 1 ? std::atoi(args[1].c_str()) : 20;
  spdlog::set_level(spdlog::level::warn);
  const fs::path dir = fs::temp_directory_path() / "taskexec_large_store_bench";
  StoreMaker make = MakeSqlite;
#ifdef TASKEXEC_BENCH_POSTGRES
  std::unique_ptr<store_test::PgServer> server;
  if (postgres) {
    if (Status s = store_test::PgServer::Start(&server, /*durable=*/true); !s.ok()) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n", s.ToString().c_str());
      return 1;
    }
    make = [&](const fs::path&, int n) -> std::unique_ptr<TaskStore> {
      PgStoreOptions o;
      if (!server->FreshSchema(&o.connect.conninfo).ok()) std::abort();
      std::unique_ptr<PgStore> store;
      if (!PgStore::Open(o, &store).ok()) std::abort();
      BulkLoadPostgres(store.get(), o.connect.conninfo, n);
      return store;
    };
  }
#else
  if (postgres) {
    std::fprintf(stderr, "--postgres needs a build with the tests (TASKEXEC_BUILD_TESTS)\n");
    return 2;
  }
#endif
  std::vector<std::string> names;
  std::vector<double> small = Measure(dir, 3000, repeat, make, &names);
  std::vector<double> large = Measure(dir, big, repeat, make, &names);
  fs::remove_all(dir);
  std::printf("%s: median of %d, milliseconds: %-40s %10s %10s %7s\n",
              postgres ? "PostgreSQL" : "SQLite", repeat, "read", "3,000",
              std::to_string(big).c_str(), "ratio");
  for (size_t i = 0; i < names.size(); ++i) {
    std::printf("%-70s %10.2f %10.2f %7.2f\n", names[i].c_str(), small[i], large[i],
                large[i] / small[i]);
  }
  return 0;
}
