// SqliteStore: the conformance suite, plus what only a file-backed store has:
// persistence across reopen, several stores on one file, the factory.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/store_conformance.h"
#include "store/store_factory.h"
#include "store/temp_dir.h"

namespace taskexec::store_test {
namespace {

// One directory for every store the conformance factory makes in this run.
TempDir& SuiteDir() {
  static TempDir dir;
  return dir;
}

std::unique_ptr<TaskStore> MakeSqliteStore() {
  static std::atomic<int> n{0};
  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(SuiteDir().File("conf-" + std::to_string(++n) + ".db"),
                               StoreConfig{}, &store);
  if (!s.ok()) {
    ADD_FAILURE() << s.ToString();
    return nullptr;
  }
  return store;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"sqlite", MakeSqliteStore}),
                         StoreFactoryName);

std::unique_ptr<SqliteStore> MustOpen(const std::string& path) {
  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(path, StoreConfig{}, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

TEST(SqliteStore, ReopenPersistsEverything) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  std::string exec_id;
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    NewTask nt;
    nt.id = "task-p";
    nt.title = "persist me";
    nt.notion_page_id = "page-p";
    Task t;
    ASSERT_TRUE(store->AddTask(nt, kT0, &t).ok());
    ClaimRequest r;
    r.task_id = t.id;
    r.expected_version = t.version;
    r.executor_id = "exec-A";
    r.agent = "kublai";
    r.execution_id = exec_id = "exec-p1";
    r.now = kT0 + 1;
    r.lease_expires_at = kT0 + 30'001;
    Claim c;
    ASSERT_TRUE(store->Claim(r, &c).ok());
    ASSERT_TRUE(store->MarkStarted(t.id, exec_id, "exec-A", 77, kT0 + 2).ok());
    AttemptOutcome o;
    o.task_id = t.id;
    o.execution_id = exec_id;
    o.executor_id = "exec-A";
    o.task_status = TaskStatus::kRetrying;
    o.execution_status = ExecutionStatus::kTimedOut;
    o.error_type = ErrorType::kTimeout;
    o.retry_count = 1;
    o.next_attempt_at = kT0 + 60'000;
    o.term_signal = 9;
    o.now = kT0 + 3;
    Artifact a;
    a.id = "art-p";
    a.name = "out.txt";
    o.artifacts = {a};
    ASSERT_TRUE(store->FinishAttempt(o, nullptr).ok());
    ASSERT_TRUE(store->SetMeta("k", "v").ok());
  }
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  Task t;
  ASSERT_TRUE(store->FindByNotionPage("page-p", &t).ok());
  EXPECT_EQ(t.id, "task-p");
  EXPECT_EQ(t.status, TaskStatus::kRetrying);
  EXPECT_EQ(t.retry_count, 1);
  EXPECT_EQ(t.next_attempt_at, kT0 + 60'000);
  EXPECT_EQ(t.claimed_by, "kublai");
  EXPECT_EQ(t.started_at, kT0 + 1);  // the claim's time: the claim starts the attempt
  EXPECT_EQ(t.last_retry_at, kT0 + 3);
  EXPECT_EQ(t.version, 3);  // add, claim, outcome: the pid is the execution's
  SessionExecution e;
  ASSERT_TRUE(store->GetExecution(exec_id, &e).ok());
  EXPECT_EQ(e.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(e.term_signal, std::optional<int>(9));
  EXPECT_EQ(e.exit_code, std::nullopt);
  EXPECT_EQ(e.pid, 77);
  std::vector<Artifact> arts;
  ASSERT_TRUE(store->ListArtifacts("task-p", &arts).ok());
  ASSERT_EQ(arts.size(), 1u);
  EXPECT_EQ(arts[0].id, "art-p");
  std::string v;
  ASSERT_TRUE(store->GetMeta("k", &v).ok());
  EXPECT_EQ(v, "v");
}

TEST(SqliteStore, ChangeCounterSeesOtherStoresOnTheFile) {
  TempDir dir;
  auto a = MustOpen(dir.File("t.db"));
  auto b = MustOpen(dir.File("t.db"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  int64_t before = 0;
  int64_t again = 0;
  ASSERT_TRUE(a->ChangeCounter(&before).ok());
  ASSERT_TRUE(a->ChangeCounter(&again).ok());
  EXPECT_EQ(before, again);
  ASSERT_TRUE(b->SetMeta("x", "1").ok());
  int64_t after = 0;
  ASSERT_TRUE(a->ChangeCounter(&after).ok());
  EXPECT_NE(after, before);
  // And what b wrote is visible to a.
  std::string v;
  ASSERT_TRUE(a->GetMeta("x", &v).ok());
  EXPECT_EQ(v, "1");
}

TEST(SqliteStore, TwoStoresInThreadsShareWorkWithoutErrors) {
  // Each store has its own connections, as two processes would; threads in
  // both hammer the same file with claims and outcomes.
  TempDir dir;
  auto a = MustOpen(dir.File("t.db"));
  auto b = MustOpen(dir.File("t.db"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kTasks = 200;
  for (int i = 0; i < kTasks; ++i) {
    NewTask nt;
    nt.title = "t" + std::to_string(i);
    Task t;
    ASSERT_TRUE(a->AddTask(nt, kT0, &t).ok());
  }
  std::atomic<int> done{0};
  std::atomic<int> errors{0};
  auto worker = [&](TaskStore* store, const std::string& executor) {
    int seq = 0;
    for (;;) {
      std::vector<Task> runnable;
      if (!store->ListRunnable(kT0, 8, false, &runnable).ok()) {
        ++errors;
        return;
      }
      if (runnable.empty()) return;
      for (const Task& t : runnable) {
        ClaimRequest r;
        r.task_id = t.id;
        r.expected_version = t.version;
        r.executor_id = executor;
        r.agent = "main";
        r.execution_id = executor + "-" + std::to_string(++seq);
        r.now = kT0;
        r.lease_expires_at = kT0 + 30'000;
        Claim c;
        Status s = store->Claim(r, &c);
        if (s.IsConflict()) continue;
        if (!s.ok()) {
          ADD_FAILURE() << s.ToString();
          ++errors;
          return;
        }
        AttemptOutcome o;
        o.task_id = t.id;
        o.execution_id = r.execution_id;
        o.executor_id = executor;
        // Cancelled (allowed from assigned) so the task leaves the queue.
        o.task_status = TaskStatus::kCancelled;
        o.execution_status = ExecutionStatus::kCancelled;
        o.now = kT0;
        s = store->FinishAttempt(o, nullptr);
        if (!s.ok()) {
          ADD_FAILURE() << s.ToString();
          ++errors;
          return;
        }
        ++done;
      }
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(worker, a.get(), "a1");
  threads.emplace_back(worker, a.get(), "a2");
  threads.emplace_back(worker, b.get(), "b1");
  threads.emplace_back(worker, b.get(), "b2");
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(done.load(), kTasks);
  StoreStats st;
  ASSERT_TRUE(b->GetStats(&st).ok());
  EXPECT_EQ(st.by_status["cancelled"], kTasks);
  EXPECT_EQ(st.active_executions, 0);
}

TEST(SqliteStore, WriteOutwaitsALockHeldLongerThanTheBusyTimeout) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  StoreConfig cfg;
  cfg.busy_timeout_ms = 10;
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(path, cfg, &store).ok());
  // Another "process" takes the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<bool> finished{false};
  Status result;
  std::thread writer([&] {
    result = store->SetMeta("k", "v");
    finished = true;
  });
  // Twenty busy timeouts: the writer must still be waiting, not failed.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(finished.load());
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  writer.join();
  sqlite3_close(other);
  EXPECT_TRUE(result.ok()) << result.ToString();
  std::string v;
  ASSERT_TRUE(store->GetMeta("k", &v).ok());
  EXPECT_EQ(v, "v");
}

TEST(StoreFactory, OpensSqliteAndRefusesOthers) {
  TempDir dir;
  Config cfg;
  cfg.store.db_path = dir.File("f.db");
  std::unique_ptr<TaskStore> store;
  ASSERT_TRUE(OpenStore(cfg, &store).ok());
  ASSERT_NE(store, nullptr);
  Task t;
  NewTask nt;
  nt.title = "via factory";
  EXPECT_TRUE(store->AddTask(nt, kT0, &t).ok());

  cfg.store.backend = "neo4j";
  Status s = OpenStore(cfg, &store);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("not built in"), std::string::npos);
  cfg.store.backend = "mysql";
  EXPECT_TRUE(OpenStore(cfg, &store).IsInvalidArgument());
}

TEST(StoreFactory, Neo4jHookIsUsedWhenInstalled) {
  SetNeo4jStoreOpener([](const Config&, std::unique_ptr<TaskStore>*) {
    return Status::Unavailable("fake neo4j opener");
  });
  Config cfg;
  cfg.store.backend = "neo4j";
  std::unique_ptr<TaskStore> store;
  Status s = OpenStore(cfg, &store);
  SetNeo4jStoreOpener(nullptr);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
}

TEST(SqliteStore, OpenFailsCleanlyOnAnUnusablePath) {
  TempDir dir;
  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(dir.File("missing-dir/t.db"), StoreConfig{}, &store);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(store, nullptr);
  EXPECT_TRUE(SqliteStore::Open("", StoreConfig{}, &store).IsInvalidArgument());
}

}  // namespace
}  // namespace taskexec::store_test
