// SQLite schema versions: fresh files, upgrades of hand-made old files
// (including rows with NULLs written by another tool), refusal of newer ones.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/raw_sqlite.h"
#include "store/sql/queue_statements.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_conformance.h"
#include "store/temp_dir.h"

namespace taskexec::store_test {
namespace {

TEST(SqliteSchema, FreshDatabaseIsAtTheLatestVersionInWalMode) {
  TempDir dir;
  const std::string path = dir.File("fresh.db");
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(path, StoreConfig{}, &store).ok());
  int v = 0;
  ASSERT_TRUE(store->SchemaVersion(&v).ok());
  EXPECT_EQ(v, sqlite::LatestSchemaVersion());
  EXPECT_GE(sqlite::LatestSchemaVersion(), 2);
  // Migrations are numbered 1..N without gaps.
  const auto& all = sqlite::Migrations();
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int>(i + 1));
  EXPECT_EQ(RawCount(path, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode='wal'"), 1);
  // Opening again is a no-op.
  store.reset();
  ASSERT_TRUE(SqliteStore::Open(path, StoreConfig{}, &store).ok());
  ASSERT_TRUE(store->SchemaVersion(&v).ok());
  EXPECT_EQ(v, sqlite::LatestSchemaVersion());
}

// A version-1 file as an older taskexec (or another tool) could have left
// it: loose column types and rows full of NULLs.
TEST(SqliteSchema, UpgradesAHandMadeVersion1Database) {
  TempDir dir;
  const std::string path = dir.File("v1.db");
  RawExec(path, R"sql(
    CREATE TABLE tasks (id TEXT PRIMARY KEY, title, description, type, priority,
      priority_weight, assigned_to, status, source, notion_page_id, notion_url, context_json,
      retry_count, max_retries, next_attempt_at, claimed_by, lease_owner, lease_expires_at,
      cancel_requested, requested_execution_id, requested_agent, error_type, error_message,
      output_summary, created_at, updated_at, started_at, completed_at, last_retry_at, version);
    CREATE TABLE executions (id TEXT PRIMARY KEY, task_id, agent, attempt, status,
      session_label, session_id, pid, executor_id, started_at, ended_at, exit_code, term_signal,
      error_type, error, summary, log_path, manual);
    CREATE TABLE artifacts (id TEXT PRIMARY KEY, task_id, execution_id, name, path, type, size,
      sha256, created_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value);
    INSERT INTO tasks (id, title) VALUES ('legacy-1', 'made elsewhere');
    INSERT INTO tasks (id, title, status, priority, assigned_to, created_at)
      VALUES ('legacy-2', 'claimed by the old system', 'claimed', 'high', 'jochi', 5);
    INSERT INTO tasks (id, title, status) VALUES ('legacy-3', 'odd', 'weird');
    INSERT INTO executions (id, task_id) VALUES ('legacy-exec', 'legacy-2');
    INSERT INTO meta (key, value) VALUES ('kept', 'yes');
    PRAGMA user_version = 1;
  )sql");

  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(path, StoreConfig{}, &store);
  ASSERT_TRUE(s.ok()) << s.ToString();
  int v = 0;
  ASSERT_TRUE(store->SchemaVersion(&v).ok());
  EXPECT_EQ(v, sqlite::LatestSchemaVersion());
  EXPECT_EQ(
      RawCount(path, "SELECT COUNT(*) FROM sqlite_master WHERE name='tasks_cancel_requested'"), 1);
  // Made by version 2, dropped by version 16.
  EXPECT_EQ(RawCount(path, "SELECT COUNT(*) FROM sqlite_master WHERE name='tasks_runnable'"), 0);
  // Made by version 2, dropped by version 18.
  EXPECT_EQ(RawCount(path, "SELECT COUNT(*) FROM sqlite_master WHERE name='tasks_status_agent'"),
            0);
  // Schema 5 counted the rows that were there (task_counts).
  StoreStats stats;
  ASSERT_TRUE(store->GetStats(&stats).ok());
  EXPECT_EQ(stats.by_status,
            (std::map<std::string, int64_t>{{"pending", 1}, {"claimed", 1}, {"weird", 1}}));
  EXPECT_EQ(stats.by_agent, (std::map<std::string, int64_t>{{"jochi", 1}, {"unassigned", 2}}));

  Task t;
  ASSERT_TRUE(store->GetTask("legacy-1", &t).ok());
  EXPECT_EQ(t.title, "made elsewhere");
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.priority, Priority::kNormal);
  EXPECT_EQ(t.context_json, "{}");
  EXPECT_EQ(t.max_retries, -1);
  EXPECT_EQ(t.version, 1);
  std::string kept;
  ASSERT_TRUE(store->GetMeta("kept", &kept).ok());
  EXPECT_EQ(kept, "yes");

  // A NULL-filled task is runnable and claimable like any other.
  std::vector<Task> runnable;
  ASSERT_TRUE(store->ListRunnable(kT0, 0, false, &runnable).ok());
  ASSERT_EQ(runnable.size(), 1u);
  EXPECT_EQ(runnable[0].id, "legacy-1");
  // Rows from before schema 4 have no route: the engine routes them.
  EXPECT_EQ(RawCount(path, "SELECT COUNT(*) FROM sqlite_master WHERE name='tasks_agent_queue'"), 1);
  std::vector<Task> unrouted;
  ASSERT_TRUE(store->ListUnrouted(10, &unrouted).ok());
  ASSERT_EQ(unrouted.size(), 1u);
  EXPECT_EQ(unrouted[0].id, "legacy-1");
  EXPECT_EQ(unrouted[0].routed_agent, "");
  ClaimRequest r;
  r.task_id = "legacy-1";
  r.expected_version = runnable[0].version;
  r.executor_id = "exec-A";
  r.agent = "main";
  r.execution_id = "exec-new";
  r.now = kT0;
  r.lease_expires_at = kT0 + 1000;
  Claim c;
  s = store->Claim(r, &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.task.version, 2);

  // The old system's claimed task with no lease counts as expired, and can
  // be recovered by fencing on its (empty) lease owner.
  std::vector<Task> expired;
  ASSERT_TRUE(store->ListExpiredLeases(kT0, &expired).ok());
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, "legacy-2");
  AttemptOutcome o;
  o.task_id = "legacy-2";
  o.require_expired_lease = true;
  o.task_status = TaskStatus::kRetrying;
  o.execution_status = ExecutionStatus::kLost;
  o.retry_count = 1;
  o.now = kT0;
  s = store->FinishAttempt(o, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  SessionExecution e;
  ASSERT_TRUE(store->GetExecution("legacy-exec", &e).ok());
  EXPECT_EQ(e.status, ExecutionStatus::kLost);

  // An unknown status is reported, not guessed.
  EXPECT_EQ(store->GetTask("legacy-3", &t).code(), Status::Code::kCorruption);
}

// GetStats reads task_counts, kept by triggers: writes of other tools (raw
// SQL here) are counted like the store's own, and match a full count.
// The plan SQLite picks for `sql`: its EXPLAIN QUERY PLAN details, joined.
std::string RawPlan(const std::string& path, const std::string& sql) {
  std::string plan;
  for (const std::string& step : RawColumn(path, "EXPLAIN QUERY PLAN " + sql, 3)) {
    plan += step + "\n";
  }
  return plan;
}

// The query plan SQLite makes for `sql` on a new, analyzed store at `path`
// (empty, with every index the schema makes); "" when it cannot be made.
std::string PlanOnNewStore(const std::string& path, const std::string& sql) {
  {
    std::unique_ptr<SqliteStore> store;
    if (!SqliteStore::Open(path, StoreConfig{}, &store).ok()) return "";
  }
  RawExec(path, "ANALYZE");
  return RawPlan(path, sql);
}

// A service looks for cancels asked of its tasks four times a second: the
// read goes through the index of tasks with a cancel asked, not through
// every task the service holds.
TEST(SqliteSchema, TheCancelCheckReadsOnlyTasksWithACancelAsked) {
  TempDir dir;
  // ListCancelRequests' statement (store/sql/sql_store.cc).
  const std::string plan =
      PlanOnNewStore(dir.File("cancel.db"),
                     "SELECT id FROM tasks WHERE lease_owner = 'exec-A' AND cancel_requested <> 0 "
                     "AND status IN ('assigned', 'claimed', 'in_progress') ORDER BY rowid");
  EXPECT_NE(plan.find("tasks_cancel_requested"), std::string::npos) << plan;
}

// The expired-lease scan (every service's sweep) seeks the held statuses
// in an index, at any size of the board, not a scan of every task.
TEST(SqliteSchema, TheExpiredLeaseScanSeeksTheHeldTasks) {
  TempDir dir;
  // ListExpiredLeases' statement (store/sql/sql_store.cc).
  const std::string plan = PlanOnNewStore(
      dir.File("expired.db"),
      "SELECT id FROM tasks WHERE COALESCE(NULLIF(status, ''), 'pending') IN ('assigned', "
      "'claimed', 'in_progress') AND COALESCE(lease_expires_at, 0) < 5 "
      "ORDER BY lease_expires_at, rowid");
  EXPECT_NE(plan.find("SEARCH tasks USING INDEX"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN tasks"), std::string::npos) << plan;
}

// The statements every running service repeats read the partial indexes
// (tasks still to run; held tasks by holder), each a search on an equality,
// never a scan of the tasks: SQLite uses a partial index only when the
// statement repeats its predicate's terms, which a rewording of either would
// silently break.
TEST(SqliteSchema, TheQueueStatementsReadThePartialIndexes) {
  TempDir dir;
  const std::string path = dir.File("queue.db");
  struct Case {
    const char* what;
    std::string sql;
    std::vector<std::string> indexes;  // each used, one per status where two
  };
  const Case cases[] = {
      {"ListRunnable",
       sql::RunnableStatement(SqliteDialect()),
       {"tasks_dispatch", "tasks_requested"}},
      {"ListRunnableFor", sql::RunnableForStatement(SqliteDialect()), {"tasks_agent_queue"}},
      {"ListUnrouted", sql::UnroutedStatement(), {"tasks_agent_queue"}},
      {"ListQueuedAgents", sql::QueuedAgentsStatement(), {"tasks_agent_queue"}},
      {"RenewLeases", sql::RenewLeasesStatement(), {"tasks_lease"}},
  };
  for (const Case& c : cases) {
    const std::string plan = PlanOnNewStore(path, c.sql);
    ASSERT_FALSE(plan.empty()) << c.what;
    for (const std::string& index : c.indexes) {
      EXPECT_NE(plan.find("USING INDEX " + index), std::string::npos) << c.what << "\n" << plan;
    }
    // No walk of the whole table (the partial tasks_requested, which holds
    // only tasks with an execution request, is walked whole by design).
    EXPECT_EQ(plan.find("SCAN tasks\n"), std::string::npos) << c.what << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN tasks USING INDEX tasks_dispatch"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN tasks USING INDEX tasks_agent_queue"), std::string::npos) << plan;
  }
  // The partial predicates are the ones the statements repeat.
  const std::string queue_where =
      "WHERE COALESCE(NULLIF(status, ''), 'pending') = 'pending'\n"
      "     OR COALESCE(NULLIF(status, ''), 'pending') = 'retrying'";
  for (const char* index : {"tasks_dispatch", "tasks_agent_queue"}) {
    const std::vector<std::string> text = RawColumn(
        path, std::string("SELECT sql FROM sqlite_master WHERE name = '") + index + "'", 0);
    ASSERT_EQ(text.size(), 1u) << index;
    EXPECT_NE(text[0].find(queue_where), std::string::npos) << text[0];
  }
}

TEST(SqliteSchema, TaskCountsFollowEveryWriter) {
  TempDir dir;
  const std::string path = dir.File("counts.db");
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(path, StoreConfig{}, &store).ok());
  for (const char* agent : {"", "jochi", "any"}) {
    NewTask n;
    n.title = "t";
    n.assigned_to = agent;
    Task out;
    ASSERT_TRUE(store->AddTask(n, kT0, &out).ok());
  }
  RawExec(path, R"sql(
    INSERT INTO tasks (id, title, status, claimed_by) VALUES ('other-1', 'x', 'completed', 'kublai');
    INSERT INTO tasks (id, title, status) VALUES ('other-2', 'x', '');
    UPDATE tasks SET status = 'failed', claimed_by = 'jochi' WHERE assigned_to = 'jochi';
    UPDATE tasks SET title = 'renamed' WHERE id = 'other-1';
    DELETE FROM tasks WHERE assigned_to = 'any';
  )sql");
  StoreStats stats;
  ASSERT_TRUE(store->GetStats(&stats).ok());
  EXPECT_EQ(stats.by_status,
            (std::map<std::string, int64_t>{{"pending", 2}, {"failed", 1}, {"completed", 1}}));
  EXPECT_EQ(stats.by_agent,
            (std::map<std::string, int64_t>{{"jochi", 1}, {"kublai", 1}, {"unassigned", 2}}));
  // The same as counting every row.
  EXPECT_EQ(RawCount(path, "SELECT COUNT(*) FROM tasks"), 4);
  EXPECT_EQ(RawCount(path, "SELECT SUM(n) FROM task_counts"), 4);
}

TEST(SqliteSchema, RefusesANewerDatabase) {
  TempDir dir;
  const std::string path = dir.File("future.db");
  {
    std::unique_ptr<SqliteStore> store;
    ASSERT_TRUE(SqliteStore::Open(path, StoreConfig{}, &store).ok());
  }
  RawExec(path, "PRAGMA user_version = " + std::to_string(sqlite::LatestSchemaVersion() + 5));
  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(path, StoreConfig{}, &store);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("newer"), std::string::npos) << s.message();
  EXPECT_EQ(store, nullptr);
  // Nothing was changed on disk.
  EXPECT_EQ(RawCount(path, "PRAGMA user_version"), sqlite::LatestSchemaVersion() + 5);
}

TEST(SqliteSchema, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const std::string path = dir.File("junk.db");
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is not an sqlite database, just some text long enough to have a header........", f);
  fclose(f);
  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(path, StoreConfig{}, &store);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(store, nullptr);
}

}  // namespace
}  // namespace taskexec::store_test
