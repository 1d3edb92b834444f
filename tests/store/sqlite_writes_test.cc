// What a write sends SQLite: an UPDATE sets only the columns whose values
// changed (SQLite rewrites the index entries of every column a SET names,
// changed or not). Observed through `AFTER UPDATE OF <column>` triggers,
// which fire exactly when the statement's SET list names the column.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/raw_sqlite.h"
#include "store/sql/row_mapping.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_conformance.h"
#include "store/temp_dir.h"

namespace taskexec::store_test {
namespace {

struct Pair {
  std::string name;
  int64_t size = 0;
};

const std::vector<sql::Column<Pair>>& PairColumns() {
  static const std::vector<sql::Column<Pair>> columns = {
      sql::Field<Pair, &Pair::name>("name"),
      sql::Field<Pair, &Pair::size>("size"),
      // Derived, as priority_weight is: written, never read.
      {"size_class", nullptr,
       [](sql::Stmt& q, int i, const Pair& p) { q.BindOne(i, p.size > 10 ? "big" : "small"); }},
  };
  return columns;
}

std::vector<std::string> Names(const std::vector<const sql::Column<Pair>*>& columns) {
  std::vector<std::string> names;
  for (const sql::Column<Pair>* c : columns) names.push_back(c->name);
  return names;
}

TEST(ChangedColumns, NamesTheColumnsWhoseBoundValuesDiffer) {
  const Pair stored{"a", 5};
  EXPECT_TRUE(Names(sql::ChangedColumns(PairColumns(), stored, stored, "")).empty());
  EXPECT_EQ(Names(sql::ChangedColumns(PairColumns(), stored, Pair{"a", 6}, "")),
            (std::vector<std::string>{"size"}));
  // A derived column follows what it is derived from.
  EXPECT_EQ(Names(sql::ChangedColumns(PairColumns(), stored, Pair{"a", 50}, "")),
            (std::vector<std::string>{"size", "size_class"}));
  // The key is never set.
  EXPECT_EQ(Names(sql::ChangedColumns(PairColumns(), stored, Pair{"b", 5}, "name")),
            std::vector<std::string>{});
  EXPECT_EQ(sql::UpdateSql("pairs", sql::ChangedColumns(PairColumns(), stored, Pair{"b", 50}, "")),
            "UPDATE pairs SET name=?, size=?, size_class=? ");
}

// The columns the UPDATEs since the last call named, sorted (SQLite fires
// triggers in no promised order), and forgets them.
std::vector<std::string> TakeWritten(const std::string& path) {
  std::vector<std::string> cols = RawColumn(path, "SELECT col FROM written ORDER BY col", 0);
  RawExec(path, "DELETE FROM written");
  return cols;
}

TEST(SqliteWrites, AnAttemptSetsOnlyTheColumnsItChanges) {
  TempDir dir;
  const std::string path = dir.File("writes.db");
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(path, StoreConfig{}, &store).ok());
  NewTask n;
  n.title = "write me once";
  n.description = "a long description no claim rewrites";
  Task task;
  ASSERT_TRUE(store->AddTask(n, kT0, &task).ok());
  // One trigger per watched column; each fires when an UPDATE's SET names it.
  std::string triggers = "CREATE TABLE written(col TEXT);";
  for (const char* col : {"title", "description", "status", "lease_owner", "created_at"}) {
    triggers += std::string("CREATE TRIGGER written_") + col + " AFTER UPDATE OF " + col +
                " ON tasks BEGIN INSERT INTO written VALUES ('" + col + "'); END;";
  }
  for (const char* col : {"agent", "log_path", "status", "ended_at"}) {
    triggers += std::string("CREATE TRIGGER written_execution_") + col + " AFTER UPDATE OF " + col +
                " ON executions BEGIN INSERT INTO written VALUES ('executions." + col + "'); END;";
  }
  RawExec(path, triggers);

  ClaimRequest req;
  req.task_id = task.id;
  req.expected_version = task.version;
  req.executor_id = "exec-A";
  req.agent = "temujin";
  req.execution_id = "exec-1";
  req.session_label = "task-" + task.id;
  req.log_path = "/var/log/taskexec/exec-1.log";
  req.now = kT0 + 10;
  req.lease_expires_at = kT0 + 30'000;
  Claim claim;
  ASSERT_TRUE(store->Claim(req, &claim).ok());
  EXPECT_EQ(TakeWritten(path), (std::vector<std::string>{"lease_owner", "status"}));

  AttemptOutcome o;
  o.task_id = task.id;
  o.execution_id = claim.execution.id;
  o.executor_id = "exec-A";
  o.task_status = TaskStatus::kCompleted;
  o.execution_status = ExecutionStatus::kCompleted;
  o.retry_count = claim.task.retry_count;
  o.now = kT0 + 20;
  Task after;
  ASSERT_TRUE(store->FinishAttempt(o, &after).ok());
  EXPECT_EQ(TakeWritten(path), (std::vector<std::string>{"executions.ended_at", "executions.status",
                                                         "lease_owner", "status"}));
  // What was not set is what was there.
  EXPECT_EQ(after.title, "write me once");
  EXPECT_EQ(after.description, n.description);
  EXPECT_EQ(after.status, TaskStatus::kCompleted);
  EXPECT_EQ(after.version, task.version + 2);
  Task read;
  ASSERT_TRUE(store->GetTask(task.id, &read).ok());
  EXPECT_EQ(read.version, after.version);
  EXPECT_EQ(read.updated_at, kT0 + 20);
}

}  // namespace
}  // namespace taskexec::store_test
