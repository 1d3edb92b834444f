// Codex (the real `codex` from npm, tests/agents/clis) run by the `codex`
// preset through the whole service, against the model stand-in, configured
// as a user configures a custom provider: a config.toml under CODEX_HOME.
#include <gtest/gtest.h>

#include <string>

#include "agents/agent_cli_support.h"

namespace taskexec::agents {
namespace {

class CodexTest : public RealCliTest {
 protected:
  // Writes CODEX_HOME/config.toml for a service in `dir` and returns the
  // [agent] lines. Codex retries a failed request itself (5 times by
  // default); request_max_retries/stream_max_retries = 0 leave the retry to
  // taskexec, which is under test.
  static std::string AgentToml(const std::string& dir, int timeout_seconds = 60) {
    const std::string codex_home = dir + "/codex-home";
    e2e::WriteFile(codex_home + "/config.toml",
                   "model = \"stand-in-1\"\nmodel_provider = \"standin\"\n\n"
                   "[model_providers.standin]\nname = \"model stand-in\"\nbase_url = \"" +
                       model().base_url() +
                       "/v1\"\nenv_key = \"STANDIN_API_KEY\"\nwire_api = \"responses\"\n"
                       "request_max_retries = 0\nstream_max_retries = 0\n");
    return "preset = \"codex\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
           "\n[agent.env]\nCODEX_HOME = \"" + codex_home +
           "\"\nSTANDIN_API_KEY = \"sk-stand-in\"\n";
  }
};

TEST_F(CodexTest, CompletesWithTheSummaryAndTheThreadItReports) {
  const ScopedTempDir dir("codex_cfg");
  ServiceUnderTest svc("codex_ok", cli_path(), AgentToml(dir.path));
  const std::string id = svc.AddTask("Write the report", "Write it. SCENARIO:complete");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc.ServiceLog();
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  // Codex's thread id (a UUID v7), from its thread.started event.
  EXPECT_EQ(execs[0].session_id.size(), 36u) << execs[0].session_id;
  EXPECT_NE(model().Log().find("codex_exec/"), std::string::npos) << "the model was not asked";
}

TEST_F(CodexTest, AnAgentReportedFailureIsNotRetried) {
  const ScopedTempDir dir("codex_cfg");
  ServiceUnderTest svc("codex_fail", cli_path(), AgentToml(dir.path), /*max_retries=*/2);
  const std::string id = svc.AddTask("Parse the file", "Parse it. SCENARIO:fail");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kExecutionError) << t.error_message;
  EXPECT_NE(t.error_message.find("the input file is missing"), std::string::npos)
      << t.error_message;
  EXPECT_EQ(svc.Executions(id).size(), 1u);
}

TEST_F(CodexTest, AModelServerErrorIsRetried) {
  const ScopedTempDir dir("codex_cfg");
  ServiceUnderTest svc("codex_500", cli_path(), AgentToml(dir.path), /*max_retries=*/1);
  const std::string id = svc.AddTask("Summarise the thread", "Summarise. SCENARIO:http500");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kApiError) << t.error_message;
  EXPECT_EQ(svc.Executions(id).size(), 2u) << "a provider 500 is retryable: one retry was allowed";
}

TEST_F(CodexTest, AHangingModelTimesOutAndLeavesNoProcessBehind) {
  const ScopedTempDir dir("codex_cfg");
  ServiceUnderTest svc("codex_hang", cli_path(), AgentToml(dir.path, /*timeout_seconds=*/5),
                       /*max_retries=*/0);
  const std::string id = svc.AddTask("Wait for the model", "Wait. SCENARIO:hang");
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kTimedOut);
  EXPECT_TRUE(e2e::WaitFor([&] { return ProcessesOfAttempt(execs[0].id).empty(); }, 10))
      << "a process of the timed-out attempt survived";
}

TEST_F(CodexTest, APromptOverAHundredKibReachesTheModelWhole) {
  const ScopedTempDir dir("codex_cfg");
  ServiceUnderTest svc("codex_big", cli_path(), AgentToml(dir.path));
  std::string description = "Read all of this. SCENARIO:complete\n";
  while (description.size() < 110 * 1024) description += "The quick brown fox jumps. ";
  const std::string id = svc.AddTask("Read the long brief", description);
  Task t = svc.WaitFinal(id, 120);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message;
  EXPECT_TRUE(LoggedRequestOver(model().Log(), description.size()))
      << "no request to the model carried the whole prompt";
}

}  // namespace
}  // namespace taskexec::agents
