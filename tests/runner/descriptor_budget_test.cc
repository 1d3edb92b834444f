#include "runner/descriptor_budget.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskexec {
namespace {

TEST(DescriptorBudget, ASupervisedSessionHoldsOneDescriptorWhenItsSupervisorHoldsTheLock) {
  AgentConfig agent;  // the defaults: per-task workspaces, nothing after the agent
  EXPECT_TRUE(SupervisorHoldsWorkspaceLock(agent));
  EXPECT_EQ(DescriptorsPerAttempt(agent, true), 1u);   // the supervisor's channel
  EXPECT_EQ(DescriptorsPerAttempt(agent, false), 5u);  // pidfd, stdout, stderr, log, lock
  // Something after the agent needs the lock held here.
  AgentConfig verify = agent;
  verify.verify = {"make", "test"};
  EXPECT_FALSE(SupervisorHoldsWorkspaceLock(verify));
  EXPECT_EQ(DescriptorsPerAttempt(verify, true), 5u);  // the verify command is our child
  AgentConfig changes = agent;
  changes.require_changes = true;
  EXPECT_EQ(DescriptorsPerAttempt(changes, true), 2u);  // channel and lock
  AgentConfig after = agent;
  after.workspace.after_run = {"true"};
  EXPECT_EQ(DescriptorsPerAttempt(after, true), 5u);  // the hook: our own child
  // No lock at all where each attempt has its own folder.
  AgentConfig own = changes;
  own.workspace.mode = "attempt";
  EXPECT_EQ(DescriptorsPerAttempt(own, true), 1u);
  EXPECT_EQ(DescriptorsPerAttempt(own, false), 4u);
  // A hook before the agent is a child of ours too.
  AgentConfig before = agent;
  before.workspace.before_run = {"true"};
  EXPECT_EQ(DescriptorsPerAttempt(before, true), 5u);
}

TEST(DescriptorBudget, SessionsFitWhatIsLeftAfterTheReserve) {
  EXPECT_EQ(MaxSessionsFor(1024, 5), (1024 - 256) / 5);  // 153
  EXPECT_EQ(MaxSessionsFor(400, 5), 28);
  EXPECT_EQ(MaxSessionsFor(100, 5), 1) << "one session however low the limit";
  EXPECT_EQ(MaxSessionsFor(20000, 1), 19744) << "ten thousand supervised sessions fit 20,000";
  EXPECT_EQ(MaxSessionsFor(20000, 2), 9872);
  OpenFileLimit limit;
  limit.soft = 1024;
  limit.hard = 1024;
  EXPECT_EQ(SessionLimitProblem(153, limit, 5), "");
  EXPECT_EQ(SessionLimitProblem(154, limit, 5),
            "executor.max_concurrent = 154 needs about 1026 open files, but this process may open "
            "1024 (hard limit 1024): at most 153 sessions run at once; raise the hard limit "
            "(ulimit -Hn, systemd LimitNOFILE=) to run more");
  EXPECT_EQ(SessionLimitProblem(768, limit, 1), "");
  EXPECT_NE(SessionLimitProblem(769, limit, 1), "");
}

// In a child, so the test process keeps its own limit.
TEST(DescriptorBudget, MetricsSayTheLimitInForceAndTheConfiguredOne) {
  const std::string text = SessionLimitMetrics(40, 20);
  EXPECT_NE(text.find("# TYPE taskexec_session_limit gauge\ntaskexec_session_limit 20\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\ntaskexec_session_limit_configured 40\n"), std::string::npos) << text;
}

TEST(DescriptorBudget, TheSoftLimitIsRaisedToTheHardOne) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit rl{300, 400};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(10);
    OpenFileLimit limit;
    if (!RaiseOpenFileLimit(&limit).ok()) _exit(11);
    if (limit.before != 300 || limit.soft != 400 || limit.hard != 400) _exit(12);
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur != 400) _exit(13);
    // Already at the hard limit: nothing to do, nothing fails.
    if (!RaiseOpenFileLimit(&limit).ok() || limit.before != 400 || limit.soft != 400) _exit(14);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace taskexec
