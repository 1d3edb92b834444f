// The TaskStore conformance suite on PostgreSQL: a throwaway server
// (pg_server.h) for the whole binary, a fresh schema for each test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/pg_test_server.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_store.h"
#include "store/store_conformance.h"

namespace taskexec {
namespace {

using store_test::PgServer;

PgServer* Server() { return store_test::TestPgServer(); }

std::unique_ptr<TaskStore> FreshPgStore() {
  if (Server() == nullptr) return nullptr;
  PgStoreOptions o;
  Status s = Server()->FreshSchema(&o.connect.conninfo);
  if (!s.ok()) {
    ADD_FAILURE() << s.ToString();
    return nullptr;
  }
  std::unique_ptr<PgStore> store;
  s = PgStore::Open(o, &store);
  if (!s.ok()) {
    ADD_FAILURE() << "cannot open the PostgreSQL store: " << s.ToString();
    return nullptr;
  }
  return store;
}

// Waits for pushes from a subscription, counting them.
class PushCounter {
 public:
  std::function<void()> Callback() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++pushes_;
      cv_.notify_all();
    };
  }
  // True once more than `seen` pushes arrived (within 30 s).
  bool WaitBeyond(int seen) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return pushes_ > seen; });
  }
  int pushes() {
    std::lock_guard<std::mutex> lock(mu_);
    return pushes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pushes_ = 0;
};

std::unique_ptr<PgStore> OpenOn(const std::string& conninfo) {
  PgStoreOptions o;
  o.connect.conninfo = conninfo;
  std::unique_ptr<PgStore> store;
  Status s = PgStore::Open(o, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

// A task added through one service's store reaches another's at once, by
// NOTIFY, not at its next poll; neither a board in another schema nor the
// writer itself is woken.
TEST(PgChanges, AWriteByAnotherProcessIsPushed) {
  ASSERT_NE(Server(), nullptr);
  std::string info, other_info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  ASSERT_TRUE(Server()->FreshSchema(&other_info).ok());
  auto writer = OpenOn(info), watcher = OpenOn(info), other = OpenOn(other_info);
  ASSERT_TRUE(writer && watcher && other);
  PushCounter pushed, elsewhere, own;
  auto sub = watcher->SubscribeToChanges(pushed.Callback());
  auto own_sub = writer->SubscribeToChanges(own.Callback());
  auto other_sub = other->SubscribeToChanges(elsewhere.Callback());
  ASSERT_NE(sub, nullptr);
  int64_t before = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&before).ok());
  NewTask nt;
  nt.title = "pushed";
  Task t;
  ASSERT_TRUE(writer->AddTask(nt, store_test::kT0, &t).ok());
  ASSERT_TRUE(pushed.WaitBeyond(0));
  int64_t after = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&after).ok());
  EXPECT_NE(after, before);
  // A cancel request is a task write too.
  const int seen = pushed.pushes();
  ASSERT_TRUE(writer->RequestCancel(t.id, "no longer needed", store_test::kT0, &t).ok());
  ASSERT_TRUE(pushed.WaitBeyond(seen));
  EXPECT_EQ(elsewhere.pushes(), 0) << "another schema's board was woken";
  EXPECT_EQ(own.pushes(), 0) << "a store was told of its own writes";
  // After the subscription ends, no more calls.
  sub.reset();
  const int final_count = pushed.pushes();
  ASSERT_TRUE(writer->AddTask(nt, store_test::kT0, &t).ok());
  ASSERT_TRUE(watcher->ChangeCounter(&after).ok());
  EXPECT_EQ(pushed.pushes(), final_count);
}

// The listener's connection dies with the server; it comes back by itself
// and says that changes may have been missed.
TEST(PgChanges, TheListenerReconnectsAfterAServerRestart) {
  ASSERT_NE(Server(), nullptr);
  std::string info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  auto watcher = OpenOn(info);
  ASSERT_NE(watcher, nullptr);
  PushCounter pushed;
  auto sub = watcher->SubscribeToChanges(pushed.Callback());
  int64_t before = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&before).ok());
  ASSERT_TRUE(Server()->Stop(/*immediate=*/true).ok());
  ASSERT_TRUE(Server()->StartAgain().ok());
  ASSERT_TRUE(pushed.WaitBeyond(0)) << "no push after the reconnect";
  // Pushes flow again: a write after the restart is heard.
  auto writer = OpenOn(info);
  ASSERT_NE(writer, nullptr);
  const int seen = pushed.pushes();
  NewTask nt;
  nt.title = "after the restart";
  Task t;
  ASSERT_TRUE(writer->AddTask(nt, store_test::kT0, &t).ok());
  ASSERT_TRUE(pushed.WaitBeyond(seen));
  int64_t after = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&after).ok());
  EXPECT_NE(after, before);
}

// A plain connection to `conninfo` (nullptr after a test failure).
std::unique_ptr<pg::Connection> Connect(const std::string& conninfo) {
  pg::ConnectParams p;
  p.conninfo = conninfo;
  std::unique_ptr<pg::Connection> c;
  Status s = pg::Connection::Open(p, &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

// The tasks by status, counted by scanning them, as "status=n,..." (the
// truth the kept counts must match).
std::string ScannedCounts(const std::string& conninfo) {
  auto c = Connect(conninfo);
  if (c == nullptr) return "";
  std::string out;
  Status s = c->ExecValue(
      "SELECT string_agg(status || '=' || n, ',' ORDER BY status) FROM (SELECT "
      "COALESCE(NULLIF(status, ''), 'pending') AS status, COUNT(*) AS n FROM tasks GROUP BY 1) t",
      &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string KeptCounts(TaskStore& store) {
  StoreStats stats;
  Status s = store.GetStats(&stats);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::string out;
  for (const auto& [status, n] : stats.by_status)
    out += (out.empty() ? "" : ",") + status + "=" + std::to_string(n);
  return out;
}

int64_t CountRows(const std::string& conninfo) {
  auto c = Connect(conninfo);
  if (c == nullptr) return -1;
  std::string n;
  if (!c->ExecValue("SELECT COUNT(*) FROM task_counts", &n).ok()) return -1;
  return std::atoll(n.c_str());
}

// Two stores (two services) add and finish tasks from four threads while
// folds run beside them: the counts read equal the counts scanned, no write
// failed on a counter, and a fold leaves one row per group.
TEST(PgCounts, ConcurrentWritersAndFoldsKeepTheCountsExact) {
  ASSERT_NE(Server(), nullptr);
  std::string info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  auto a = OpenOn(info), b = OpenOn(info);
  ASSERT_TRUE(a && b);
  constexpr int kPerThread = 40;
  std::atomic<bool> writing{true};
  std::thread folder([&] {
    while (writing) EXPECT_TRUE(b->FoldCounts().ok());
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      PgStore& store = (w % 2 == 0) ? *a : *b;
      for (int i = 0; i < kPerThread; ++i) {
        NewTask nt;
        nt.title = "count me";
        nt.assigned_to = "agent" + std::to_string(w);
        Task t;
        Status s = store.AddTask(nt, store_test::kT0 + i, &t);
        ASSERT_TRUE(s.ok()) << s.ToString();
        // Two of three tasks end: completed, cancelled; the third stays.
        if (i % 3 == 0) continue;
        const TaskStatus to = i % 3 == 1 ? TaskStatus::kCompleted : TaskStatus::kCancelled;
        s = store.SetStatus(t.id, to, "", store_test::kT0 + i + 1, nullptr);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : writers) t.join();
  writing = false;
  folder.join();
  const std::string scanned = ScannedCounts(info);
  EXPECT_EQ(scanned, "cancelled=52,completed=52,pending=56");
  EXPECT_EQ(KeptCounts(*a), scanned);
  int64_t pending = 0;
  TaskFilter f;
  f.status = TaskStatus::kPending;
  f.agent = "agent3";
  ASSERT_TRUE(b->CountTasks(f, &pending).ok());
  EXPECT_EQ(pending, 14);
  // Folded: one row per (status, agent) that has tasks: 3 statuses x 4
  // agents.
  int64_t folded = 0;
  ASSERT_TRUE(a->FoldCounts(&folded).ok());
  EXPECT_EQ(CountRows(info), 12);
  EXPECT_EQ(KeptCounts(*b), scanned);
  ASSERT_TRUE(a->FoldCounts(&folded).ok());
  EXPECT_EQ(folded, 0) << "a folded table was folded again";
}

// Deleting tasks (prune) and moving them between agents keep the counts;
// a group that empties leaves no row behind once folded.
TEST(PgCounts, DeletesAndReassignmentsAreCounted) {
  ASSERT_NE(Server(), nullptr);
  std::string info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  auto store = OpenOn(info);
  ASSERT_NE(store, nullptr);
  std::vector<NewTask> batch(10);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].id = "b" + std::to_string(i);
    batch[i].title = "batch";
  }
  std::vector<Status> added;
  ASSERT_TRUE(store->AddTasks(batch, store_test::kT0, &added).ok());
  ASSERT_EQ(added.size(), 10u);
  TaskPatch patch;
  patch.assigned_to = "kublai";
  ASSERT_TRUE(store->UpdateTask("b0", patch, -1, store_test::kT0 + 1, nullptr).ok());
  auto c = Connect(info);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Exec("DELETE FROM tasks WHERE assigned_to = ''").ok());
  StoreStats stats;
  ASSERT_TRUE(store->GetStats(&stats).ok());
  EXPECT_EQ(stats.by_status, (std::map<std::string, int64_t>{{"pending", 1}}));
  EXPECT_EQ(stats.by_agent, (std::map<std::string, int64_t>{{"kublai", 1}}));
  ASSERT_TRUE(store->FoldCounts().ok());
  EXPECT_EQ(CountRows(info), 1);
}

// A board that existed before the counts (schema version 2) is counted by
// the migration that adds them.
TEST(PgCounts, TheMigrationCountsTheTasksAlreadyThere) {
  ASSERT_NE(Server(), nullptr);
  std::string info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  {
    auto c = Connect(info);
    ASSERT_NE(c, nullptr);
    ASSERT_GE(pg::Migrations().size(), 3u);
    ASSERT_EQ(pg::Migrations()[2].version, 3);
    ASSERT_TRUE(c->Exec(std::string(pg::Migrations()[0].sql) + pg::Migrations()[1].sql).ok());
    ASSERT_TRUE(c->Exec("CREATE TABLE taskexec_schema (version INTEGER PRIMARY KEY, description "
                        "TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); "
                        "INSERT INTO taskexec_schema(version, description) VALUES (1, ''), (2, '')")
                    .ok());
    ASSERT_TRUE(c->Exec("INSERT INTO tasks(id, status, claimed_by) VALUES ('a', '', ''), "
                        "('b', 'in_progress', 'jochi'), ('c', 'completed', '')")
                    .ok());
  }
  auto store = OpenOn(info);
  ASSERT_NE(store, nullptr);
  int version = 0;
  ASSERT_TRUE(store->SchemaVersion(&version).ok());
  EXPECT_EQ(version, pg::LatestSchemaVersion());
  StoreStats stats;
  ASSERT_TRUE(store->GetStats(&stats).ok());
  EXPECT_EQ(stats.by_status,
            (std::map<std::string, int64_t>{{"completed", 1}, {"in_progress", 1}, {"pending", 1}}));
  EXPECT_EQ(stats.by_agent, (std::map<std::string, int64_t>{{"jochi", 1}, {"unassigned", 2}}));
}

// sslmode and the other libpq options in postgres.url reach libpq: a server
// that takes TLS only is reached with verify-full and its certificate, the
// connection is encrypted, and a wrong host name or no TLS is refused with
// the server's or libpq's reason.
TEST(PgTls, TheUrlsSslmodeIsHonoured) {
  std::unique_ptr<PgServer> server;
  Status s = PgServer::Start(&server, /*durable=*/false, /*tls=*/true);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string tcp = "hostaddr=127.0.0.1 port=" + std::to_string(server->port()) +
                          " user=taskexec dbname=postgres connect_timeout=10";
  const std::string verified =
      "host=localhost " + tcp + " sslmode=verify-full sslrootcert=" + server->CertPath();
  auto store = OpenOn(verified);
  ASSERT_NE(store, nullptr);
  NewTask nt;
  nt.title = "over TLS";
  Task t;
  ASSERT_TRUE(store->AddTask(nt, store_test::kT0, &t).ok());
  int64_t total = 0;
  ASSERT_TRUE(store->CountTasks(TaskFilter{}, &total).ok());
  EXPECT_EQ(total, 1);
  {
    auto c = Connect(verified);
    ASSERT_NE(c, nullptr);
    std::string ssl;
    ASSERT_TRUE(
        c->ExecValue("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &ssl).ok());
    EXPECT_EQ(ssl, "true");
  }
  PgStoreOptions o;
  std::unique_ptr<PgStore> refused;
  o.connect.conninfo = "host=localhost " + tcp + " sslmode=disable";
  s = PgStore::Open(o, &refused);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("no encryption"), std::string::npos) << s.ToString();
  o.connect.conninfo =
      "host=wrong.invalid " + tcp + " sslmode=verify-full sslrootcert=" + server->CertPath();
  s = PgStore::Open(o, &refused);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("does not match host name"), std::string::npos) << s.ToString();
}

// postgres.pool_size bounds the connections a store opens: six threads
// writing and reading at once through a pool of two never hold more than
// two sessions on the server.
TEST(PgPool, ThePoolSizeBoundsTheConnections) {
  ASSERT_NE(Server(), nullptr);
  std::string info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  PgStoreOptions o;
  o.connect.conninfo = info + " application_name=pool_bound_test";
  o.pool_size = 2;
  std::unique_ptr<PgStore> store;
  ASSERT_TRUE(PgStore::Open(o, &store).ok());
  auto watch = Connect(info);
  ASSERT_NE(watch, nullptr);
  auto sessions = [&] {
    std::string n;
    EXPECT_TRUE(watch
                    ->ExecValue("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = "
                                "'pool_bound_test'",
                                &n)
                    .ok());
    return std::atoi(n.c_str());
  };
  std::atomic<bool> running{true};
  int most = 0;
  std::thread watcher([&] {
    while (running) most = std::max(most, sessions());
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        NewTask nt;
        nt.title = "pooled " + std::to_string(w) + "/" + std::to_string(i);
        Task t;
        ASSERT_TRUE(store->AddTask(nt, store_test::kT0, &t).ok());
        StoreStats stats;
        ASSERT_TRUE(store->GetStats(&stats).ok());
      }
    });
  }
  for (auto& t : workers) t.join();
  running = false;
  watcher.join();
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 1) << "the watcher never saw the store's sessions";
  EXPECT_LE(sessions(), 2);
  int64_t total = 0;
  ASSERT_TRUE(store->CountTasks(TaskFilter{}, &total).ok());
  EXPECT_EQ(total, 150);
}

}  // namespace

namespace store_test {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"postgres", FreshPgStore}),
                         StoreFactoryName);

}  // namespace store_test
}  // namespace taskexec
