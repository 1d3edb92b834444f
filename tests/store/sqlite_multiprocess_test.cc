// Two processes on one SQLite file share 2,000 tasks: every task must be
// claimed (and run) exactly once. The children are fork()ed from this test
// process, which has no other threads at that point, and each opens its own
// SqliteStore; they report what they claimed through a file each.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/store_conformance.h"
#include "store/temp_dir.h"

namespace taskexec::store_test {
namespace {

constexpr int kTasks = 2000;
constexpr int kProcesses = 2;

// The body of a child: the claim -> start -> complete loop of an executor.
// Returns the process exit code (0 = fine); never uses gtest.
int ClaimLoop(const std::string& db, const std::string& executor, const std::string& report) {
  std::unique_ptr<SqliteStore> store;
  Status s = SqliteStore::Open(db, StoreConfig{}, &store);
  if (!s.ok()) {
    fprintf(stderr, "%s: open: %s\n", executor.c_str(), s.ToString().c_str());
    return 10;
  }
  FILE* out = fopen(report.c_str(), "w");
  if (out == nullptr) return 11;
  int seq = 0;
  for (;;) {
    std::vector<Task> runnable;
    s = store->ListRunnable(kT0, 32, false, &runnable);
    if (!s.ok()) {
      fprintf(stderr, "%s: list: %s\n", executor.c_str(), s.ToString().c_str());
      return 12;
    }
    if (runnable.empty()) break;
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
      s = store->Claim(r, &c);
      if (s.IsConflict()) continue;  // the other process won this one
      if (!s.ok()) {
        fprintf(stderr, "%s: claim: %s\n", executor.c_str(), s.ToString().c_str());
        return 13;
      }
      fprintf(out, "%s\n", t.id.c_str());
      s = store->MarkStarted(t.id, r.execution_id, executor, getpid(), kT0 + 1);
      AttemptOutcome o;
      o.task_id = t.id;
      o.execution_id = r.execution_id;
      o.executor_id = executor;
      o.task_status = TaskStatus::kCompleted;
      o.execution_status = ExecutionStatus::kCompleted;
      o.summary = "done by " + executor;
      o.now = kT0 + 2;
      if (s.ok()) s = store->FinishAttempt(o, nullptr);
      if (!s.ok()) {
        fprintf(stderr, "%s: run: %s\n", executor.c_str(), s.ToString().c_str());
        return 14;
      }
    }
  }
  return fclose(out) == 0 ? 0 : 15;
}

TEST(SqliteMultiProcess, TwoProcessesRunEachOf2000TasksOnce) {
  TempDir dir;
  const std::string db = dir.File("shared.db");
  {
    std::unique_ptr<SqliteStore> store;
    ASSERT_TRUE(SqliteStore::Open(db, StoreConfig{}, &store).ok());
    for (int i = 0; i < kTasks; ++i) {
      NewTask nt;
      nt.id = "t" + std::to_string(i);
      nt.title = "task " + std::to_string(i);
      Task t;
      ASSERT_TRUE(store->AddTask(nt, kT0, &t).ok());
    }
  }  // closed before fork: no connection is shared with the children

  // The children block on a pipe until all exist, so they start together and
  // really contend for the same tasks.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const std::string executor = "proc" + std::to_string(p);
    const std::string report = dir.File(executor + ".txt");
    fflush(nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      close(go[1]);
      char c;
      if (read(go[0], &c, 1) != 0) _exit(20);  // EOF = go
      _exit(ClaimLoop(db, executor, report));
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // releases every child at once
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child died abnormally";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed; see its stderr";
  }

  std::map<std::string, int> claims;
  for (int p = 0; p < kProcesses; ++p) {
    std::ifstream in(dir.File("proc" + std::to_string(p) + ".txt"));
    std::string id;
    while (std::getline(in, id)) ++claims[id];
  }
  EXPECT_EQ(claims.size(), static_cast<size_t>(kTasks));
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << id << " claimed more than once";

  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(db, StoreConfig{}, &store).ok());
  StoreStats st;
  ASSERT_TRUE(store->GetStats(&st).ok());
  EXPECT_EQ(st.by_status["completed"], kTasks);
  EXPECT_EQ(st.active_executions, 0);
  for (int i = 0; i < kTasks; ++i) {
    std::vector<SessionExecution> execs;
    ASSERT_TRUE(store->ListExecutions("t" + std::to_string(i), &execs).ok());
    ASSERT_EQ(execs.size(), 1u) << "t" << i;
    EXPECT_EQ(execs[0].status, ExecutionStatus::kCompleted);
  }
}

}  // namespace
}  // namespace taskexec::store_test
