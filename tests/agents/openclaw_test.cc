// OpenClaw (the real `openclaw` from npm, tests/agents/clis, on the Node 24
// from tests/agents/node) run by the `openclaw-exec` preset (an embedded
// one-shot turn, no Gateway) through the whole service, against the model
// stand-in configured as a custom OpenAI-compatible provider.
#include <gtest/gtest.h>

#include <string>

#include "agents/agent_cli_support.h"

namespace taskexec::agents {
namespace {

class OpenClawTest : public RealCliTest {
 protected:
  // Writes an openclaw.json whose default model is the stand-in and returns
  // the [agent] lines pointing OpenClaw at it (OPENCLAW_CONFIG_PATH).
  static std::string AgentToml(const std::string& dir, int timeout_seconds = 120) {
    const std::string config = dir + "/openclaw.json";
    e2e::WriteFile(config,
                   R"({"agents": {"defaults": {"model": {"primary": "standin/stand-in-1"}}},
 "models": {"mode": "merge", "providers": {"standin": {
   "baseUrl": ")" + model().base_url() +
                       R"(/v1", "apiKey": "sk-stand-in", "api": "openai-completions",
   "models": [{"id": "stand-in-1", "name": "Stand-in", "reasoning": false, "input": ["text"],
     "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
     "contextWindow": 200000, "maxTokens": 8192}]}}}})");
    return "preset = \"openclaw-exec\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
           "\n[agent.env]\nOPENCLAW_CONFIG_PATH = \"" + config + "\"\n";
  }
};

TEST_F(OpenClawTest, CompletesWithTheSummaryAndTheSessionItReports) {
  const ScopedTempDir dir("openclaw_cfg");
  ServiceUnderTest svc("openclaw_ok", cli_path(), AgentToml(dir.path));
  const std::string id = svc.AddTask("Write the report", "Write it. SCENARIO:complete");
  Task t = svc.WaitFinal(id, 300);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc.ServiceLog();
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  EXPECT_EQ(execs[0].session_id.size(), 36u) << execs[0].session_id;
  EXPECT_NE(model().Log().find("/v1/chat/completions"), std::string::npos)
      << "the model was not asked";
}

TEST_F(OpenClawTest, AnAgentReportedFailureIsNotRetried) {
  const ScopedTempDir dir("openclaw_cfg");
  ServiceUnderTest svc("openclaw_fail", cli_path(), AgentToml(dir.path), /*max_retries=*/2);
  const std::string id = svc.AddTask("Parse the file", "Parse it. SCENARIO:fail");
  Task t = svc.WaitFinal(id, 300);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kExecutionError) << t.error_message;
  EXPECT_NE(t.error_message.find("the input file is missing"), std::string::npos)
      << t.error_message;
  EXPECT_EQ(svc.Executions(id).size(), 1u);
}

TEST_F(OpenClawTest, AHangingModelTimesOutAndLeavesNoProcessBehind) {
  const ScopedTempDir dir("openclaw_cfg");
  ServiceUnderTest svc("openclaw_hang", cli_path(), AgentToml(dir.path, /*timeout_seconds=*/40),
                       /*max_retries=*/0);
  const std::string id = svc.AddTask("Wait for the model", "Wait. SCENARIO:hang");
  Task t = svc.WaitFinal(id, 300);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kTimedOut) << execs[0].error;
  EXPECT_TRUE(e2e::WaitFor([&] { return ProcessesOfAttempt(execs[0].id).empty(); }, 10))
      << "a process of the timed-out attempt survived";
}

TEST_F(OpenClawTest, APromptOverAHundredKibReachesTheModelWhole) {
  const ScopedTempDir dir("openclaw_cfg");
  ServiceUnderTest svc("openclaw_big", cli_path(), AgentToml(dir.path));
  std::string description = "Read all of this. SCENARIO:complete\n";
  while (description.size() < 110 * 1024) description += "The quick brown fox jumps. ";
  const std::string id = svc.AddTask("Read the long brief", description);
  Task t = svc.WaitFinal(id, 300);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message;
  auto execs = svc.Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  EXPECT_TRUE(LoggedRequestOver(model().Log(), description.size()))
      << "no request to the model carried the whole prompt";
}

}  // namespace
}  // namespace taskexec::agents
