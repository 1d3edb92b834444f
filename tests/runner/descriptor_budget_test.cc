#include "runner/descriptor_budget.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskexec {
namespace {

TEST(DescriptorBudget, SupervisedSessionsNeedFewerDescriptors) {
  EXPECT_EQ(DescriptorsPerAttempt(false), 7u);
  // The supervisor holds the log, and its channel carries both streams.
  EXPECT_EQ(DescriptorsPerAttempt(true), 4u);
  EXPECT_EQ(MaxSessionsFor(1024, true), (1024 - 256) / 4);  // 192
  OpenFileLimit limit;
  limit.soft = 1024;
  limit.hard = 1024;
  EXPECT_EQ(SessionLimitProblem(192, limit, true), "");
  EXPECT_NE(SessionLimitProblem(192, limit, false), "");
  EXPECT_NE(SessionLimitProblem(193, limit, true).find("needs about 1028 open files"),
            std::string::npos);
}

TEST(DescriptorBudget, SessionsFitWhatIsLeftAfterTheReserve) {
  EXPECT_EQ(MaxSessionsFor(1024), (1024 - 256) / 7);  // 109
  EXPECT_EQ(MaxSessionsFor(400), 20);
  EXPECT_EQ(MaxSessionsFor(100), 1) << "one session however low the limit";
  EXPECT_EQ(MaxSessionsFor(1048576), 149760);
  OpenFileLimit limit;
  limit.soft = 1024;
  limit.hard = 1024;
  EXPECT_EQ(SessionLimitProblem(109, limit), "");
  EXPECT_EQ(SessionLimitProblem(110, limit),
            "executor.max_concurrent = 110 needs about 1026 open files, but this process may open "
            "1024 (hard limit 1024): at most 109 sessions run at once; raise the hard limit "
            "(ulimit -Hn, systemd LimitNOFILE=) to run more");
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
