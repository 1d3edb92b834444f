// WorkspaceJanitor over a real SQLite store, real folders and a real git
// repository: which workspaces go (workspace.keep, max_age_days), what
// stays (unfinished tasks, folders no task owns, a workspace an attempt
// holds, whatever a link points to), the before_remove hook and worktrees.
#include "engine/workspace_janitor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "runner/workspace_lock.h"
#include "store/sqlite/sqlite_store.h"
#include "store/temp_dir.h"

namespace taskexec {
namespace {

namespace fs = std::filesystem;
using store_test::TempDir;

constexpr TimeMs kT0 = 1'700'000'000'000;
constexpr TimeMs kDay = 86'400'000;

void Touch(const std::string& path, const std::string& data = "x") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << data;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class WorkspaceJanitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SqliteStore::Open(dir_.File("store.db"), StoreConfig{}, &store_).ok());
    config_.work_dir = dir_.File("work");
    config_.log_dir = dir_.File("logs");
  }

  WorkspaceJanitor& Janitor() {
    janitor_ = std::make_unique<WorkspaceJanitor>(config_, store_.get(), &clock_,
                                                  AgentEnvironment(ProcessEnvironment(), {}));
    return *janitor_;
  }

  // A task in `status` (ended at kT0 when final).
  void AddTask(const std::string& id, TaskStatus status) {
    NewTask nt;
    nt.id = id;
    nt.title = id;
    nt.status = status;
    Task t;
    ASSERT_TRUE(store_->AddTask(nt, kT0, &t).ok());
  }

  // The same, with a workspace holding one 5-byte file.
  std::string TaskWithWorkspace(const std::string& id, TaskStatus status) {
    AddTask(id, status);
    Touch(Workspace(id) + "/src/main.c", "hello");
    return id;
  }

  std::string Workspace(const std::string& id) { return config_.work_dir + "/" + id; }

  const WorkspaceInfo* Find(const std::vector<WorkspaceInfo>& all, const std::string& id) {
    for (const WorkspaceInfo& w : all)
      if (w.task_id == id) return &w;
    return nullptr;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  AgentConfig config_;
  ManualClock clock_{kT0 + 1000};
  std::unique_ptr<WorkspaceJanitor> janitor_;
};

// The default (keep = failed, 14 days): a completed task's workspace goes at
// once, a failed one's after 14 days; unfinished tasks and folders no task
// owns stay; an attempt's own folder is not a workspace.
TEST_F(WorkspaceJanitorTest, KeepsFailedOnesForMaxAgeAndTheRestNot) {
  TaskWithWorkspace("done", TaskStatus::kCompleted);
  TaskWithWorkspace("broke", TaskStatus::kFailed);
  TaskWithWorkspace("stopped", TaskStatus::kCancelled);
  TaskWithWorkspace("queued", TaskStatus::kPending);
  Touch(Workspace("stranger") + "/notes.txt");
  // An attempt's own folder (prompt, artifacts) is not listed.
  Task running;
  NewTask nt;
  nt.title = "running";
  ASSERT_TRUE(store_->AddTask(nt, kT0, &running).ok());
  ClaimRequest req;
  req.task_id = running.id;
  req.expected_version = running.version;
  req.executor_id = "e1";
  req.agent = "main";
  req.execution_id = "exec-running";
  req.now = kT0;
  req.lease_expires_at = kT0 + 30'000;
  Claim claim;
  ASSERT_TRUE(store_->Claim(req, &claim).ok());
  Touch(Workspace("exec-running") + "/prompt.md");

  std::vector<WorkspaceInfo> all;
  ASSERT_TRUE(Janitor().List(&all).ok());
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(Find(all, "done")->verdict, "remove");
  EXPECT_EQ(Find(all, "done")->reason, "completed (workspace.keep = failed)");
  EXPECT_EQ(Find(all, "done")->bytes, 5);
  EXPECT_EQ(Find(all, "done")->status, "completed");
  EXPECT_EQ(Find(all, "done")->finished_at, kT0);
  EXPECT_EQ(Find(all, "broke")->verdict, "keep");
  EXPECT_EQ(Find(all, "broke")->reason, "failed (workspace.keep = failed), removed in 14 days");
  EXPECT_EQ(Find(all, "stopped")->verdict, "keep");
  EXPECT_EQ(Find(all, "queued")->verdict, "keep");
  EXPECT_EQ(Find(all, "queued")->reason, "task is pending");
  EXPECT_EQ(Find(all, "stranger")->verdict, "keep");
  EXPECT_FALSE(Find(all, "stranger")->has_task);
  EXPECT_EQ(Find(all, "exec-running"), nullptr);

  WorkspaceGcReport report;
  ASSERT_TRUE(Janitor().Collect(/*dry_run=*/true, &report).ok());
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_TRUE(fs::exists(Workspace("done")));  // a dry run removes nothing

  ASSERT_TRUE(Janitor().Collect(/*dry_run=*/false, &report).ok());
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_EQ(report.removed[0].task_id, "done");
  EXPECT_EQ(report.bytes, 5);
  EXPECT_EQ(report.kept, 4);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_FALSE(fs::exists(Workspace("done")));
  EXPECT_TRUE(fs::exists(Workspace("broke")));

  clock_.Advance(14 * kDay);
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  EXPECT_EQ(report.removed.size(), 2u);  // broke, stopped
  EXPECT_FALSE(fs::exists(Workspace("broke")));
  EXPECT_FALSE(fs::exists(Workspace("stopped")));
  EXPECT_TRUE(fs::exists(Workspace("queued")));
  EXPECT_TRUE(fs::exists(Workspace("stranger")));
  EXPECT_TRUE(fs::exists(Workspace("exec-running")));
}

TEST_F(WorkspaceJanitorTest, KeepAlwaysAndNever) {
  TaskWithWorkspace("done", TaskStatus::kCompleted);
  TaskWithWorkspace("broke", TaskStatus::kFailed);
  config_.workspace.keep = "always";
  config_.workspace.max_age_days = 0;  // for good
  WorkspaceGcReport report;
  clock_.Advance(1000 * kDay);
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  EXPECT_TRUE(report.removed.empty());
  config_.workspace.keep = "never";
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  EXPECT_EQ(report.removed.size(), 2u);
}

// An attempt holds its workspace: the janitor neither removes it nor waits.
TEST_F(WorkspaceJanitorTest, AWorkspaceInUseIsLeftAlone) {
  TaskWithWorkspace("done", TaskStatus::kCompleted);
  std::unique_ptr<WorkspaceLock> attempt;
  ASSERT_TRUE(WorkspaceLock::Take(Workspace("done"), WorkspaceLock::Mode::kShared, &attempt).ok());
  std::vector<WorkspaceInfo> all;
  ASSERT_TRUE(Janitor().List(&all).ok());
  EXPECT_EQ(Find(all, "done")->verdict, "in_use");
  WorkspaceGcReport report;
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  EXPECT_TRUE(report.removed.empty());
  EXPECT_TRUE(fs::exists(Workspace("done/src/main.c")));
  // And while the janitor holds it, an attempt cannot take it.
  attempt.reset();
  std::unique_ptr<WorkspaceLock> janitor, late;
  ASSERT_TRUE(
      WorkspaceLock::Take(Workspace("done"), WorkspaceLock::Mode::kExclusive, &janitor).ok());
  EXPECT_TRUE(
      WorkspaceLock::Take(Workspace("done"), WorkspaceLock::Mode::kShared, &late).IsUnavailable());
}

// Links are removed, never followed: not inside a workspace, and not as a
// work_dir entry named like a task.
TEST_F(WorkspaceJanitorTest, NeverFollowsLinksOutOfTheWorkDir) {
  const std::string precious = dir_.File("outside/precious.txt");
  Touch(precious, "keep me");
  TaskWithWorkspace("done", TaskStatus::kCompleted);
  fs::create_symlink(fs::path(precious).parent_path(), Workspace("done") + "/link-dir");
  fs::create_symlink(precious, Workspace("done") + "/link-file");
  AddTask("linked", TaskStatus::kCompleted);
  fs::create_symlink(fs::path(precious).parent_path(), Workspace("linked"));

  WorkspaceGcReport report;
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_EQ(report.removed[0].task_id, "done");
  EXPECT_EQ(ReadAll(precious), "keep me");
  EXPECT_TRUE(fs::is_symlink(Workspace("linked")));
}

TEST_F(WorkspaceJanitorTest, BeforeRemoveRunsInTheWorkspaceAndAFailureIsReported) {
  TaskWithWorkspace("done", TaskStatus::kCompleted);
  const std::string seen = dir_.File("seen.txt");
  config_.workspace.before_remove = {
      "/bin/sh", "-c",
      "ls src > '" + seen + "'; echo \"$TASKEXEC_TASK_ID\" >> '" + seen + "'; exit 2"};
  WorkspaceGcReport report;
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  EXPECT_EQ(ReadAll(seen), "main.c\ndone\n");
  EXPECT_EQ(report.removed.size(), 1u);  // removed all the same
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("workspace.before_remove exited with 2"), std::string::npos)
      << report.errors[0];
  EXPECT_FALSE(fs::exists(Workspace("done")));
}

// A worktree goes with `git worktree remove`; its branch stays.
TEST_F(WorkspaceJanitorTest, AWorktreeIsRemovedFromItsRepositoryAndItsBranchKept) {
  const std::string repo = dir_.File("repo");
  const std::string ws = Workspace("done");
  const std::string cmd = "git init -q '" + repo + "' && cd '" + repo +
                          "' && echo hi > README && git add README && git -c user.name=t -c "
                          "user.email=t@example.com commit -q -m first && mkdir -p '" +
                          config_.work_dir + "' && git worktree add -q -b taskexec/done '" + ws +
                          "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  AddTask("done", TaskStatus::kCompleted);
  config_.workspace.git_repo = repo;
  std::vector<WorkspaceInfo> all;
  ASSERT_TRUE(Janitor().List(&all).ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].git_worktree);
  WorkspaceGcReport report;
  ASSERT_TRUE(Janitor().Collect(false, &report).ok());
  EXPECT_TRUE(report.errors.empty()) << report.errors[0];
  EXPECT_FALSE(fs::exists(ws));
  const std::string out = dir_.File("git.txt");
  ASSERT_EQ(std::system(("git -C '" + repo + "' worktree list > '" + out + "' && git -C '" + repo +
                         "' branch --list 'taskexec/*' >> '" + out + "'")
                            .c_str()),
            0);
  const std::string listed = ReadAll(out);
  EXPECT_EQ(listed.find(ws), std::string::npos) << listed;
  EXPECT_NE(listed.find("taskexec/done"), std::string::npos) << listed;
}

TEST_F(WorkspaceJanitorTest, AttemptModeHasNoTaskWorkspaces) {
  TaskWithWorkspace("done", TaskStatus::kCompleted);
  config_.workspace.mode = "attempt";
  std::vector<WorkspaceInfo> all;
  ASSERT_TRUE(Janitor().List(&all).ok());
  EXPECT_TRUE(all.empty());
}

}  // namespace
}  // namespace taskexec
