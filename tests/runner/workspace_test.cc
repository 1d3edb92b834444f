// Workspaces, their hooks and verified completion (runner/workspace.h,
// runner/attempt_steps.cc), with real child processes and real git
// repositories made in temporary folders.
#include "runner/workspace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "runner/agent_runner.h"
#include "runner/workspace_lock.h"
#include "runner_test_util.h"

namespace taskexec {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::Waiter;
using testing::WaitUntil;
using testing::WriteFile;

// Runs a fixed test command through the shell (test set-up only).
void Shell(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

std::string GitOut(const std::string& dir, const std::string& args) {
  const std::string out = dir + "/../git-out.txt";
  std::string cmd = "git -C '" + dir + "' " + args + " > '" + out + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << ": " << ReadFile(out);
  std::string text = ReadFile(out);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// A failed attempt of a retryable `type` whose error says `text`.
void ExpectRetryableFailure(const AgentResult& r, ErrorType type, const std::string& text) {
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, type);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find(text), std::string::npos) << r.error;
}

// The names in `dir`, sorted.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// A shell agent: `script` runs in the workspace and prints a completion.
std::vector<std::string> Agent(const std::string& script) {
  return {"/bin/sh", "-c", script + "\necho 'TASK_COMPLETE: done'"};
}

class WorkspaceTest : public ::testing::Test {
 protected:
  AgentConfig Config() {
    AgentConfig c;
    c.work_dir = dir_.Sub("work");
    c.log_dir = dir_.Sub("logs");
    c.timeout_seconds = 120;
    c.kill_grace_seconds = 2;
    c.stall_seconds = 0;
    c.command = Agent("true");
    return c;
  }

  AgentRunner& Runner(const AgentConfig& c) {
    runner_ = std::make_unique<AgentRunner>(c, &sup_, &clock_,
                                            AgentEnvironment(ProcessEnvironment(), {}));
    return *runner_;
  }

  static AgentJob Job(const std::string& task, const std::string& exec) {
    AgentJob job;
    job.task.id = task;
    job.task.title = "Work on " + task;
    job.execution.id = exec;
    job.execution.task_id = task;
    job.execution.agent = "main";
    job.execution.attempt = 1;
    return job;
  }

  AgentResult Run(AgentRunner& runner, const AgentJob& job) {
    Waiter<AgentResult> w;
    Status s = runner.Start(
        job, [&](const AgentResult& r) { w.Set(r); }, nullptr);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return AgentResult{};
    auto r = w.Wait();
    EXPECT_TRUE(r.has_value());
    return r.value_or(AgentResult{});
  }

  // A repository with one commit (README) on its default branch.
  std::string MakeRepo() {
    const std::string repo = dir_.Sub("repo");
    Shell("git init -q '" + repo + "' && cd '" + repo +
          "' && echo hello > README && git add README && "
          "git -c user.name=t -c user.email=t@example.com commit -q -m first");
    return repo;
  }

  TempDir dir_;
  ManualClock clock_{1700000000000};
  std::unique_ptr<AgentRunner> runner_;  // destroyed after sup_ has stopped
  ProcessSupervisor sup_;
};

TEST(WorkspaceLayoutTest, PathsPerMode) {
  WorkspaceConfig task;
  WorkspaceLayout per_task(task, "/w");
  EXPECT_EQ(per_task.PathFor("task-1", "exec-1"), "/w/task-1");
  EXPECT_EQ(per_task.AttemptDir("exec-1"), "/w/exec-1");
  WorkspaceConfig attempt;
  attempt.mode = "attempt";
  WorkspaceLayout per_attempt(attempt, "/w");
  EXPECT_EQ(per_attempt.PathFor("task-1", "exec-1"), "/w/exec-1");
  EXPECT_FALSE(per_attempt.uses_git());
}

TEST(WorkspaceLayoutTest, UrlsAreClonedBelowTheWorkDir) {
  WorkspaceConfig c;
  c.git_repo = "https://example.com/team/app.git";
  WorkspaceLayout layout(c, "/w");
  EXPECT_TRUE(layout.RepositoryIsUrl());
  EXPECT_EQ(layout.Repository().rfind("/w/.repos/", 0), 0u) << layout.Repository();
  c.git_repo = "git@example.com:team/app.git";
  EXPECT_TRUE(WorkspaceLayout(c, "/w").RepositoryIsUrl());
  c.git_repo = "/srv/app";
  EXPECT_FALSE(WorkspaceLayout(c, "/w").RepositoryIsUrl());
  EXPECT_EQ(WorkspaceLayout(c, "/w").Repository(), "/srv/app");
  const StepCommand add = WorkspaceLayout(c, "/w").AddWorktree("task-1", false);
  EXPECT_EQ(add.argv,
            (std::vector<std::string>{"git", "-C", "/srv/app", "worktree", "add", "--quiet", "-b",
                                      "taskexec/task-1", "/w/task-1", "HEAD"}));
}

TEST(WorkspaceLayoutTest, ParsesGitStatus) {
  const GitStatus s = ParseGitStatus(
      "# branch.oid 0123abcd\n# branch.head taskexec/t\n1 .M N... 100644 100644 100644 a b f.txt\n"
      "? new.txt\n");
  EXPECT_EQ(s.head, "0123abcd");
  EXPECT_EQ(s.entries.size(), 2u);
  EXPECT_TRUE(ParseGitStatus("# branch.oid 0123abcd\n").entries.empty());
  EXPECT_FALSE(ParseGitStatus("# branch.oid 1\n") == ParseGitStatus("# branch.oid 2\n"));
}

// Task ids are the user's: any id gets a folder of its own, one name deep,
// and the folder tells its task.
TEST(WorkspaceLayoutTest, AnyTaskIdIsOneFolderName) {
  for (const std::string id : {"task-1", "team/web#12", "../up", ".hidden", "50%/x", "%2F"}) {
    const std::string folder = WorkspaceFolderName(id);
    EXPECT_TRUE(CheckPathComponent("folder", folder).ok()) << id << " -> " << folder;
    EXPECT_NE(folder.front(), '.') << id;
    EXPECT_EQ(TaskIdOfFolder(folder), id) << folder;
  }
  EXPECT_EQ(WorkspaceFolderName("task-1"), "task-1");
  EXPECT_EQ(WorkspaceFolderName("team/web#12"), "team%2Fweb#12");
  WorkspaceConfig c;
  EXPECT_EQ(WorkspaceLayout(c, "/w").PathFor("../up", "exec-1"), "/w/%2E.%2Fup");
}

TEST(WorkspaceLayoutTest, IdsMustBeOneFileName) {
  EXPECT_TRUE(CheckPathComponent("task id", "task-1").ok());
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "..", "a/b", std::string("a\0b", 3)}) {
    EXPECT_TRUE(CheckPathComponent("task id", bad).IsInvalidArgument()) << bad;
  }
}

// The default: one workspace per task, kept across its attempts, while each
// attempt keeps its own artifacts folder (the attempt's folder itself) and
// its prompt beside its log.
TEST_F(WorkspaceTest, TaskWorkspaceIsKeptAcrossAttempts) {
  AgentConfig c = Config();
  c.command =
      Agent("echo $TASKEXEC_EXECUTION_ID >> attempts.txt; pwd > \"$TASKEXEC_ARTIFACTS_DIR/cwd\"");
  AgentRunner& runner = Runner(c);
  ASSERT_EQ(Run(runner, Job("task-1", "exec-1")).status, ExecutionStatus::kCompleted);
  ASSERT_EQ(Run(runner, Job("task-1", "exec-2")).status, ExecutionStatus::kCompleted);
  const std::string ws = dir_.Sub("work/task-1");
  EXPECT_EQ(runner.WorkspaceOf(Job("task-1", "exec-1")), ws);
  EXPECT_EQ(ReadFile(ws + "/attempts.txt"), "exec-1\nexec-2\n");
  EXPECT_EQ(ReadFile(runner.ArtifactsDir("exec-2") + "/cwd"), ws + "\n");
  EXPECT_EQ(runner.ArtifactsDir("exec-2"), runner.WorkDir("exec-2"));
  EXPECT_TRUE(fs::exists(runner.PromptFile("exec-1")));
  EXPECT_TRUE(fs::exists(runner.PromptFile("exec-2")));
  // Nothing of taskexec's among the task's files or the attempt's artifacts.
  EXPECT_EQ(Listing(ws), (std::vector<std::string>{"attempts.txt"}));
  EXPECT_EQ(Listing(runner.WorkDir("exec-2")), (std::vector<std::string>{"cwd"}));
}

TEST_F(WorkspaceTest, AttemptModeGivesEachAttemptAFreshFolder) {
  AgentConfig c = Config();
  c.workspace.mode = "attempt";
  c.command = Agent("echo x >> attempts.txt");
  AgentRunner& runner = Runner(c);
  ASSERT_EQ(Run(runner, Job("task-1", "exec-1")).status, ExecutionStatus::kCompleted);
  ASSERT_EQ(Run(runner, Job("task-1", "exec-2")).status, ExecutionStatus::kCompleted);
  EXPECT_EQ(ReadFile(dir_.Sub("work/exec-1/attempts.txt")), "x\n");
  EXPECT_EQ(ReadFile(dir_.Sub("work/exec-2/attempts.txt")), "x\n");
  EXPECT_FALSE(fs::exists(dir_.Sub("work/task-1")));
}

// A git workspace is a worktree of the repository on the task's own branch,
// made from workspace.git_base; a workspace removed by hand is made again
// on the branch, with what was committed there.
TEST_F(WorkspaceTest, GitWorkspaceIsAWorktreeOnTheTasksBranch) {
  const std::string repo = MakeRepo();
  AgentConfig c = Config();
  c.workspace.git_repo = repo;
  c.command = Agent(
      "git rev-parse --abbrev-ref HEAD > \"$TASKEXEC_ARTIFACTS_DIR/branch\"\n"
      "echo $TASKEXEC_EXECUTION_ID > work-$TASKEXEC_EXECUTION_ID.txt && git add . && "
      "git -c user.name=a -c user.email=a@example.com commit -q -m \"$TASKEXEC_EXECUTION_ID\"");
  AgentRunner& runner = Runner(c);
  AgentResult r = Run(runner, Job("task-1", "exec-1"));
  ASSERT_EQ(r.status, ExecutionStatus::kCompleted) << r.error << ReadFile(runner.LogPath("exec-1"));
  const std::string ws = dir_.Sub("work/task-1");
  EXPECT_EQ(ReadFile(runner.ArtifactsDir("exec-1") + "/branch"), "taskexec/task-1\n");
  EXPECT_TRUE(fs::exists(ws + "/README"));
  EXPECT_EQ(GitOut(repo, "log --format=%s -1 taskexec/task-1"), "exec-1");
  EXPECT_EQ(GitOut(repo, "log --format=%s -1 HEAD"), "first");  // the user's branch untouched

  // Removed by hand: the next attempt makes it again from the kept branch.
  fs::remove_all(ws);
  r = Run(runner, Job("task-1", "exec-2"));
  ASSERT_EQ(r.status, ExecutionStatus::kCompleted) << r.error << ReadFile(runner.LogPath("exec-2"));
  EXPECT_TRUE(fs::exists(ws + "/work-exec-1.txt"));
  EXPECT_EQ(GitOut(repo, "log --format=%s -2 taskexec/task-1"), "exec-2\nexec-1");
  // The git commands are in the attempt's log.
  EXPECT_NE(ReadFile(runner.LogPath("exec-2")).find("[taskexec] git worktree add"),
            std::string::npos);
}

TEST_F(WorkspaceTest, GitBaseAndUrlRepositories) {
  const std::string repo = MakeRepo();
  Shell("cd '" + repo +
        "' && git checkout -q -b release && echo r > RELEASE && git add RELEASE && "
        "git -c user.name=t -c user.email=t@example.com commit -q -m release && "
        "git checkout -q -");
  AgentConfig c = Config();
  c.workspace.git_repo = "file://" + repo;
  c.workspace.git_base = "release";
  AgentRunner& runner = Runner(c);
  AgentResult r = Run(runner, Job("task-9", "exec-1"));
  ASSERT_EQ(r.status, ExecutionStatus::kCompleted) << r.error << ReadFile(runner.LogPath("exec-1"));
  EXPECT_TRUE(fs::exists(dir_.Sub("work/task-9/RELEASE")));
  const std::string clone = runner.workspaces().Repository();
  EXPECT_EQ(clone.rfind(dir_.Sub("work/.repos/"), 0), 0u) << clone;
  EXPECT_EQ(GitOut(clone, "rev-parse --abbrev-ref taskexec/task-9"), "taskexec/task-9");
}

TEST_F(WorkspaceTest, AMissingRepositoryIsAWorkspaceError) {
  AgentConfig c = Config();
  c.workspace.git_repo = dir_.Sub("no-such-repo");
  c.command = Agent("touch ran");
  AgentRunner& runner = Runner(c);
  ExpectRetryableFailure(Run(runner, Job("task-1", "exec-1")), ErrorType::kWorkspaceError, "git ");
  EXPECT_FALSE(fs::exists(dir_.Sub("work/task-1/ran")));
}

// after_create runs once per workspace, before_run before every attempt,
// after_run after every attempt with its outcome; all in the workspace, with
// the attempt's environment, their output in the attempt's log.
TEST_F(WorkspaceTest, HooksRunInOrderWithTheAttemptsEnvironment) {
  AgentConfig c = Config();
  const std::string trace = dir_.Sub("trace.txt");
  auto hook = [&](const std::string& name) {
    return std::vector<std::string>{"/bin/sh", "-c",
                                    "echo \"" + name +
                                        " $TASKEXEC_EXECUTION_ID $TASKEXEC_OUTCOME $(pwd)\" >> '" +
                                        trace + "'; echo " + name + "-output"};
  };
  c.workspace.after_create = hook("after_create");
  c.workspace.before_run = hook("before_run");
  c.workspace.after_run = hook("after_run");
  c.command = Agent("echo \"agent $TASKEXEC_EXECUTION_ID\" >> '" + trace + "'");
  AgentRunner& runner = Runner(c);
  int64_t pid = -1;
  Waiter<AgentResult> w;
  ASSERT_TRUE(runner
                  .Start(
                      Job("task-1", "exec-1"), [&](const AgentResult& r) { w.Set(r); }, &pid)
                  .ok());
  EXPECT_EQ(pid, 0);  // steps run before the agent: it starts later
  ASSERT_EQ(w.Wait().value_or(AgentResult{}).status, ExecutionStatus::kCompleted);
  c.command = Agent("echo \"agent $TASKEXEC_EXECUTION_ID\" >> '" + trace + "'; exit 3");
  AgentRunner& second = Runner(c);
  EXPECT_EQ(Run(second, Job("task-1", "exec-2")).status, ExecutionStatus::kFailed);
  const std::string ws = dir_.Sub("work/task-1");
  EXPECT_EQ(ReadFile(trace), "after_create exec-1  " + ws + "\nbefore_run exec-1  " + ws +
                                 "\nagent exec-1\nafter_run exec-1 completed " + ws +
                                 "\nbefore_run exec-2  " + ws +
                                 "\nagent exec-2\nafter_run exec-2 failed " + ws + "\n");
  const std::string log = ReadFile(second.LogPath("exec-1"));
  EXPECT_NE(log.find("[taskexec] workspace.before_run: /bin/sh -c"), std::string::npos) << log;
  EXPECT_NE(log.find("before_run-output"), std::string::npos) << log;
  EXPECT_NE(log.find("after_run-output"), std::string::npos) << log;
}

TEST_F(WorkspaceTest, AFailingBeforeRunFailsTheAttemptWithoutTheAgent) {
  AgentConfig c = Config();
  c.workspace.before_run = {"/bin/sh", "-c", "echo 'npm ci: no lock file' >&2; exit 4"};
  c.command = Agent("touch ran");
  AgentRunner& runner = Runner(c);
  ExpectRetryableFailure(Run(runner, Job("task-1", "exec-1")), ErrorType::kWorkspaceError,
                         "workspace.before_run exited with 4: npm ci: no lock file");
  EXPECT_FALSE(fs::exists(dir_.Sub("work/task-1/ran")));
}

TEST_F(WorkspaceTest, AFailingAfterCreateIsRunAgainNextTime) {
  AgentConfig c = Config();
  const std::string count = dir_.Sub("count");
  c.workspace.after_create = {
      "/bin/sh", "-c", "echo x >> '" + count + "'; test \"$(wc -l < '" + count + "')\" -ge 2"};
  AgentRunner& runner = Runner(c);
  EXPECT_EQ(Run(runner, Job("task-1", "exec-1")).error_type, ErrorType::kWorkspaceError);
  EXPECT_EQ(Run(runner, Job("task-1", "exec-2")).status, ExecutionStatus::kCompleted);
  EXPECT_EQ(Run(runner, Job("task-1", "exec-3")).status, ExecutionStatus::kCompleted);
  EXPECT_EQ(ReadFile(count), "x\nx\n");  // made twice, then kept
}

TEST_F(WorkspaceTest, AFailingAfterRunIsAWarningAndKeepsTheOutcome) {
  AgentConfig c = Config();
  c.workspace.after_run = {"/bin/sh", "-c", "echo cleanup broke; exit 9"};
  AgentRunner& runner = Runner(c);
  AgentResult r = Run(runner, Job("task-1", "exec-1"));
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("workspace.after_run exited with 9: cleanup broke"),
            std::string::npos);
}

TEST_F(WorkspaceTest, AHookIsBoundedByItsTimeout) {
  AgentConfig c = Config();
  c.workspace.before_run = {"/bin/sleep", "60"};
  c.workspace.hook_timeout_seconds = 1;
  AgentRunner& runner = Runner(c);
  ExpectRetryableFailure(Run(runner, Job("task-1", "exec-1")), ErrorType::kWorkspaceError,
                         "workspace.before_run timed out");
}

TEST_F(WorkspaceTest, CancelDuringAHookStopsItAndNeverStartsTheAgent) {
  AgentConfig c = Config();
  const std::string started = dir_.Sub("hook-started");
  c.workspace.before_run = {"/bin/sh", "-c", "touch '" + started + "'; exec sleep 60"};
  c.command = Agent("touch ran");
  AgentRunner& runner = Runner(c);
  Waiter<AgentResult> w;
  ASSERT_TRUE(runner
                  .Start(
                      Job("task-1", "exec-1"), [&](const AgentResult& r) { w.Set(r); }, nullptr)
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(started); }));
  ASSERT_TRUE(runner.Cancel("exec-1").ok());
  AgentResult r = w.Wait().value_or(AgentResult{});
  EXPECT_EQ(r.status, ExecutionStatus::kCancelled);
  EXPECT_EQ(r.error_type, ErrorType::kCancelled);
  EXPECT_FALSE(fs::exists(dir_.Sub("work/task-1/ran")));
  EXPECT_EQ(runner.running(), 0u);
}

// agent.verify decides whether a reported completion stands.
TEST_F(WorkspaceTest, VerifyTurnsAFailedCheckIntoVerificationFailed) {
  AgentConfig c = Config();
  c.command = Agent("echo broken > result.txt");
  c.verify = {
      "/bin/sh", "-c",
      "grep -q fixed result.txt || { echo 'expected fixed, got:'; cat result.txt; exit 1; }"};
  AgentRunner& runner = Runner(c);
  AgentResult r = Run(runner, Job("task-1", "exec-1"));
  ExpectRetryableFailure(r, ErrorType::kVerificationFailed,
                         "agent.verify exited with 1: expected fixed, got:\nbroken");
  EXPECT_EQ(r.summary, "done");  // what the agent claimed stays visible

  c.command = Agent("echo fixed > result.txt");
  AgentRunner& fixed = Runner(c);
  r = Run(fixed, Job("task-1", "exec-2"));
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
}

TEST_F(WorkspaceTest, VerifyDoesNotRunForAFailedAttempt) {
  AgentConfig c = Config();
  const std::string ran = dir_.Sub("verify-ran");
  c.command = {"/bin/sh", "-c", "echo 'TASK_FAILED: cannot'"};
  c.verify = {"/bin/sh", "-c", "touch '" + ran + "'"};
  AgentRunner& runner = Runner(c);
  EXPECT_EQ(Run(runner, Job("task-1", "exec-1")).error_type, ErrorType::kExecutionError);
  EXPECT_FALSE(fs::exists(ran));
}

TEST_F(WorkspaceTest, RequireChangesOutsideGit) {
  AgentConfig c = Config();
  c.require_changes = true;
  c.command = Agent("true");
  AgentRunner& idle = Runner(c);
  ExpectRetryableFailure(Run(idle, Job("task-1", "exec-1")), ErrorType::kVerificationFailed,
                         "changed nothing");

  c.command = Agent("mkdir -p src && echo code > src/main.c");
  AgentRunner& busy = Runner(c);
  EXPECT_EQ(Run(busy, Job("task-1", "exec-2")).status, ExecutionStatus::kCompleted);
}

// In git, a commit counts as a change even when no file is left modified.
TEST_F(WorkspaceTest, RequireChangesInGitCountsCommits) {
  const std::string repo = MakeRepo();
  AgentConfig c = Config();
  c.workspace.git_repo = repo;
  c.require_changes = true;
  c.command = Agent("git status --short > /dev/null");
  AgentRunner& idle = Runner(c);
  AgentResult r = Run(idle, Job("task-1", "exec-1"));
  EXPECT_EQ(r.error_type, ErrorType::kVerificationFailed) << r.error;

  // A deletion, committed: no file newer than the start, but HEAD moved.
  c.command =
      Agent("git rm -q README && git -c user.name=a -c user.email=a@example.com commit -q -m rm");
  AgentRunner& committing = Runner(c);
  r = Run(committing, Job("task-1", "exec-2"));
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
}

// Through the per-attempt supervisor, with nothing after the agent that
// needs the workspace, the supervisor holds the workspace's lock for the
// agent's run (the runner keeps no descriptor of it): the workspace cannot
// be removed meanwhile, the agent is not given the lock, and the lock is
// free once the attempt is over.
TEST_F(WorkspaceTest, TheSupervisorHoldsTheWorkspaceLockWhileTheAgentRuns) {
  AgentConfig c = Config();
  // Its descriptors, then it waits for the test's go.
  c.command = Agent(
      "echo $PPID > supervisor.pid; ls /proc/$$/fd > fds.txt; while [ ! -e go ]; do sleep 0.05; "
      "done");
  AgentRunner& runner = Runner(c);
  runner.SetAttemptShim(testing::AttemptShim());
  const AgentJob job = Job("task-1", "exec-1");
  Waiter<AgentResult> done;
  ASSERT_TRUE(runner
                  .Start(
                      job, [&](const AgentResult& r) { done.Set(r); }, nullptr)
                  .ok());
  const std::string workspace = runner.WorkspaceOf(job);
  ASSERT_TRUE(WaitUntil([&] {
    return ReadFile(workspace + "/fds.txt").find('\n') != std::string::npos &&
           !ReadFile(workspace + "/supervisor.pid").empty();
  }));
  // Held by the supervisor (the agent's parent) as its descriptor 6, and
  // by no descriptor of ours.
  const std::string supervisor = ReadFile(workspace + "/supervisor.pid");
  std::error_code ec;
  EXPECT_EQ(fs::read_symlink("/proc/" + supervisor.substr(0, supervisor.size() - 1) + "/fd/6", ec),
            fs::path(workspace));
  for (const auto& fd : fs::directory_iterator("/proc/self/fd", ec)) {
    EXPECT_NE(fs::read_symlink(fd.path(), ec), fs::path(workspace)) << fd.path();
  }
  std::unique_ptr<WorkspaceLock> janitor;
  EXPECT_TRUE(
      WorkspaceLock::Take(workspace, WorkspaceLock::Mode::kExclusive, &janitor).IsUnavailable())
      << "the running attempt's workspace is not locked";
  // The agent has its stdin, stdout, stderr and the shell's own, nothing of ours.
  EXPECT_EQ(ReadFile(workspace + "/fds.txt").find("\n6\n"), std::string::npos)
      << ReadFile(workspace + "/fds.txt");
  WriteFile(workspace + "/go", "");
  auto r = done.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ExecutionStatus::kCompleted) << r->error;
  EXPECT_TRUE(WorkspaceLock::Take(workspace, WorkspaceLock::Mode::kExclusive, &janitor).ok())
      << "the lock outlived the attempt";
}

}  // namespace
}  // namespace taskexec
