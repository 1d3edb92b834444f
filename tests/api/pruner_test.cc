// Pruner over a real SQLite store and real files: what goes (tasks,
// attempts, artifact records, meta keys, logs and work dirs inside the
// configured dirs), what stays (queued and recent tasks, files outside the
// dirs, tasks a hook keeps), the archive, and dry runs.
#include "api/pruner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/outcome_path.h"
#include "notion/prune_rules.h"
#include "store/sqlite/sqlite_store.h"
#include "store/temp_dir.h"

namespace taskexec {
namespace {

namespace fs = std::filesystem;
using store_test::TempDir;

constexpr TimeMs kT0 = 1'700'000'000'000;
constexpr TimeMs kDay = 86'400'000;

void Touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "x";
}

class PrunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SqliteStore::Open(dir_.File("store.db"), StoreConfig{}, &store_).ok());
    setup_.log_dir = dir_.File("logs");
    setup_.work_dir = dir_.File("work");
  }

  // A task that ran once and ended `status` at `at`, with its log, work dir
  // and one artifact.
  Task Finished(const std::string& title, TaskStatus status, TimeMs at,
                const std::string& log_path = "") {
    NewTask nt;
    nt.title = title;
    Task t;
    EXPECT_TRUE(store_->AddTask(nt, at - 10, &t).ok());
    ClaimRequest r;
    r.task_id = t.id;
    r.expected_version = t.version;
    r.executor_id = "exec-A";
    r.agent = "main";
    r.execution_id = "exec-" + title;
    r.log_path = log_path.empty() ? setup_.log_dir + "/" + r.execution_id + ".log" : log_path;
    r.now = at - 5;
    r.lease_expires_at = at + 30'000;
    Claim c;
    EXPECT_TRUE(store_->Claim(r, &c).ok());
    EXPECT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 42, at - 4).ok());
    Touch(r.log_path);
    Touch(PromptFilePath(r.log_path));
    Touch(setup_.work_dir + "/" + r.execution_id + "/report.md");  // the attempt's artifact
    Touch(setup_.work_dir + "/" + t.id + "/src/main.c");           // the task's workspace
    AttemptOutcome o;
    o.task_id = t.id;
    o.execution_id = c.execution.id;
    o.executor_id = "exec-A";
    o.task_status = status;
    o.execution_status =
        status == TaskStatus::kCompleted ? ExecutionStatus::kCompleted : ExecutionStatus::kFailed;
    o.now = at;
    Artifact a;
    a.name = "report.md";
    a.path = setup_.work_dir + "/" + r.execution_id + "/report.md";
    o.artifacts.push_back(a);
    Task out;
    EXPECT_TRUE(store_->FinishAttempt(o, &out).ok());
    return out;
  }

  bool Exists(const std::string& id) {
    Task t;
    return store_->GetTask(id, &t).ok();
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  PruneSetup setup_;
};

TEST_F(PrunerTest, DeletesOldFinishedTasksWithTheirRecordsAndFiles) {
  Task old_done = Finished("old", TaskStatus::kCompleted, kT0);
  Task old_failed = Finished("failed", TaskStatus::kFailed, kT0 + 1);
  Task recent = Finished("recent", TaskStatus::kCompleted, kT0 + 10 * kDay);
  Task queued;
  NewTask nt;
  nt.title = "queued";
  ASSERT_TRUE(store_->AddTask(nt, kT0 - kDay, &queued).ok());

  PruneRequest req;
  req.finished_before = kT0 + kDay;
  req.batch = 1;  // several batches
  PruneReport report;
  ASSERT_TRUE(Pruner(store_.get(), setup_).Run(req, &report).ok());
  EXPECT_EQ(report.tasks, 2);
  EXPECT_EQ(report.executions, 2);
  EXPECT_EQ(report.artifacts, 2);
  // Two logs, their prompts, two attempt dirs, two task workspaces.
  EXPECT_EQ(report.files, 8);
  EXPECT_TRUE(report.file_errors.empty());
  EXPECT_FALSE(Exists(old_done.id));
  EXPECT_FALSE(Exists(old_failed.id));
  EXPECT_TRUE(Exists(recent.id));
  EXPECT_TRUE(Exists(queued.id));
  EXPECT_FALSE(fs::exists(setup_.log_dir + "/exec-old.log"));
  EXPECT_FALSE(fs::exists(setup_.log_dir + "/exec-old.prompt.md"));
  EXPECT_FALSE(fs::exists(setup_.work_dir + "/exec-old"));
  EXPECT_FALSE(fs::exists(setup_.work_dir + "/" + old_done.id));
  EXPECT_TRUE(fs::exists(setup_.log_dir + "/exec-recent.log"));
  EXPECT_TRUE(fs::exists(setup_.log_dir + "/exec-recent.prompt.md"));
  EXPECT_TRUE(fs::exists(setup_.work_dir + "/exec-recent"));
  EXPECT_TRUE(fs::exists(setup_.work_dir + "/" + recent.id + "/src/main.c"));
  StoreStats stats;
  ASSERT_TRUE(store_->GetStats(&stats).ok());
  EXPECT_EQ(stats.by_status["completed"], 1);
  EXPECT_EQ(stats.by_status["failed"], 0);
}

TEST_F(PrunerTest, NeverRemovesFilesOutsideTheConfiguredDirs) {
  const std::string outside = dir_.File("elsewhere/precious.log");
  Task t = Finished("foreign", TaskStatus::kCompleted, kT0, outside);
  PruneRequest req;
  req.finished_before = kT0 + 1;
  PruneReport report;
  ASSERT_TRUE(Pruner(store_.get(), setup_).Run(req, &report).ok());
  EXPECT_EQ(report.tasks, 1);
  EXPECT_TRUE(fs::exists(outside));
  EXPECT_TRUE(fs::exists(PromptFilePath(outside)));
  EXPECT_FALSE(fs::exists(setup_.work_dir + "/exec-foreign"));

  // Unset dirs remove nothing (never the current directory's entries).
  Task u = Finished("nodirs", TaskStatus::kCompleted, kT0 + 2);
  PruneReport r2;
  req.finished_before = kT0 + 3;
  ASSERT_TRUE(Pruner(store_.get(), PruneSetup{}).Run(req, &r2).ok());
  EXPECT_EQ(r2.tasks, 1);
  EXPECT_EQ(r2.files, 0);
  EXPECT_TRUE(fs::exists(setup_.log_dir + "/exec-nodirs.log"));
  (void)t;
  (void)u;
}

TEST_F(PrunerTest, DryRunCountsAndChangesNothing) {
  Task a = Finished("a", TaskStatus::kCompleted, kT0);
  Finished("b", TaskStatus::kCancelled, kT0 + 1);
  PruneRequest req;
  req.finished_before = kT0 + 2;
  req.dry_run = true;
  req.batch = 1;
  std::ostringstream archive;
  req.archive = &archive;
  PruneReport report;
  ASSERT_TRUE(Pruner(store_.get(), setup_).Run(req, &report).ok());
  EXPECT_EQ(report.tasks, 2);
  EXPECT_EQ(report.executions, 2);
  EXPECT_EQ(report.files, 0);
  EXPECT_TRUE(Exists(a.id));
  EXPECT_TRUE(fs::exists(setup_.log_dir + "/exec-a.log"));
  EXPECT_TRUE(archive.str().empty());
}

TEST_F(PrunerTest, ArchivesEachTaskBeforeDeletingIt) {
  Task a = Finished("a", TaskStatus::kCompleted, kT0);
  PruneRequest req;
  req.finished_before = kT0 + 1;
  std::ostringstream archive;
  req.archive = &archive;
  PruneReport report;
  ASSERT_TRUE(Pruner(store_.get(), setup_).Run(req, &report).ok());
  std::istringstream lines(archive.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["task"]["id"], a.id);
  EXPECT_EQ(j["task"]["status"], "completed");
  ASSERT_EQ(j["executions"].size(), 1u);
  EXPECT_EQ(j["executions"][0]["id"], "exec-a");
  ASSERT_EQ(j["artifacts"].size(), 1u);
  EXPECT_EQ(j["artifacts"][0]["name"], "report.md");
  EXPECT_FALSE(std::getline(lines, line));
}

TEST_F(PrunerTest, RefusesARequestWithoutADateOrBatch) {
  PruneReport report;
  EXPECT_TRUE(Pruner(store_.get(), setup_).Run(PruneRequest{}, &report).IsInvalidArgument());
  PruneRequest req;
  req.finished_before = kT0;
  req.batch = 0;
  EXPECT_TRUE(Pruner(store_.get(), setup_).Run(req, &report).IsInvalidArgument());
}

// A finished Notion task whose final state the board has not accepted yet
// stays (else its card would stay in its last column); once synced it goes
// with the sync's meta keys.
TEST_F(PrunerTest, NotionRulesKeepUnsyncedCardsAndDropTheSyncKeys) {
  NewTask nt;
  nt.title = "card";
  nt.source = "notion";
  nt.notion_page_id = "page-1";
  nt.status = TaskStatus::kCompleted;
  Task card;
  ASSERT_TRUE(store_->AddTask(nt, kT0, &card).ok());
  ASSERT_TRUE(store_->SetMeta("notion.written." + card.id, "{}").ok());

  PruneSetup setup = notion::PruneRules(store_.get(), /*board_synced=*/true);
  PruneRequest req;
  req.finished_before = kT0 + 1;
  PruneReport report;
  ASSERT_TRUE(Pruner(store_.get(), setup).Run(req, &report).ok());
  EXPECT_EQ(report.tasks, 0);
  EXPECT_EQ(report.kept, 1);
  ASSERT_EQ(report.kept_reasons.size(), 1u);
  EXPECT_NE(report.kept_reasons[0].find("page-1"), std::string::npos);
  EXPECT_TRUE(Exists(card.id));

  ASSERT_TRUE(store_->SetMeta("notion.synced." + card.id, std::to_string(card.version)).ok());
  ASSERT_TRUE(Pruner(store_.get(), setup).Run(req, &report).ok());
  EXPECT_EQ(report.tasks, 1);
  EXPECT_FALSE(Exists(card.id));
  std::string value;
  EXPECT_TRUE(store_->GetMeta("notion.synced." + card.id, &value).IsNotFound());
  EXPECT_TRUE(store_->GetMeta("notion.written." + card.id, &value).IsNotFound());
}

}  // namespace
}  // namespace taskexec
