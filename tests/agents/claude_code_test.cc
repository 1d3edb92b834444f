// Claude Code (the real `claude` from npm, tests/agents/clis) run by the
// `claude` preset through the whole service, against the model stand-in.
#include <gtest/gtest.h>

#include <string>

#include "agents/agent_cli_support.h"

namespace taskexec::agents {
namespace {

class ClaudeCodeTest : public RealCliTest {
 protected:
  // The preset as a user would set it, pointed at the stand-in. Claude Code
  // retries a failed model call itself (up to 10 times, backing off); with
  // CLAUDE_CODE_MAX_RETRIES=0 the retry is taskexec's, which is under test.
  static std::string AgentToml(int timeout_seconds = 60) {
    return "preset = \"claude\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
           "\n[agent.env]\nANTHROPIC_BASE_URL = \"" + model().base_url() +
           "\"\nANTHROPIC_API_KEY = \"sk-ant-stand-in\"\n"
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = \"1\"\nDISABLE_AUTOUPDATER = \"1\"\n"
           "CLAUDE_CODE_MAX_RETRIES = \"0\"\n";
  }
};

TEST_F(ClaudeCodeTest, CompletesWithTheSummaryAndTheSessionItReports) {
  ServiceUnderTest svc("claude_ok", cli_path(), AgentToml());
  const std::string id = svc.AddTask("Write the report", "Write it. SCENARIO:complete");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc.ServiceLog();
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  // The session id is the one Claude Code printed: a UUID, not ours.
  EXPECT_EQ(execs[0].session_id.size(), 36u) << execs[0].session_id;
  EXPECT_EQ(execs[0].session_id.find(id), std::string::npos);
  EXPECT_NE(model().Log().find("claude-cli/"), std::string::npos) << "the model was not asked";
}

TEST_F(ClaudeCodeTest, AnAgentReportedFailureIsNotRetried) {
  ServiceUnderTest svc("claude_fail", cli_path(), AgentToml(), /*max_retries=*/2);
  const std::string id = svc.AddTask("Parse the file", "Parse it. SCENARIO:fail");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kExecutionError);
  EXPECT_NE(t.error_message.find("the input file is missing"), std::string::npos)
      << t.error_message;
  EXPECT_EQ(svc.Executions(id).size(), 1u);
}

TEST_F(ClaudeCodeTest, AModelServerErrorIsRetried) {
  ServiceUnderTest svc("claude_500", cli_path(), AgentToml(), /*max_retries=*/1);
  const std::string id = svc.AddTask("Summarise the thread", "Summarise. SCENARIO:http500");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kApiError) << t.error_message;
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 2u) << "a provider 500 is retryable: one retry was allowed";
  for (const auto& e : execs) EXPECT_EQ(e.error_type, ErrorType::kApiError) << e.error;
}

TEST_F(ClaudeCodeTest, AHangingModelTimesOutAndLeavesNoProcessBehind) {
  ServiceUnderTest svc("claude_hang", cli_path(), AgentToml(/*timeout_seconds=*/5),
                       /*max_retries=*/0);
  const std::string id = svc.AddTask("Wait for the model", "Wait. SCENARIO:hang");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(execs[0].error_type, ErrorType::kTimeoutError);
  EXPECT_TRUE(e2e::WaitFor([&] { return ProcessesOfAttempt(execs[0].id).empty(); }, 10))
      << "a process of the timed-out attempt survived";
}

TEST_F(ClaudeCodeTest, APromptOverAHundredKibReachesTheModelWhole) {
  ServiceUnderTest svc("claude_big", cli_path(), AgentToml());
  std::string description = "Read all of this. SCENARIO:complete\n";
  while (description.size() < 110 * 1024) description += "The quick brown fox jumps. ";
  const std::string id = svc.AddTask("Read the long brief", description);
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message;
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  EXPECT_TRUE(LoggedRequestOver(model().Log(), description.size()))
      << "no request to the model carried the whole prompt";
}

}  // namespace
}  // namespace taskexec::agents
