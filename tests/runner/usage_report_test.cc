// Usage figures read from what each agent CLI really prints (captured from
// claude 2.1.332, codex 0.171.0, openclaw 2026.9.6 and gemini 0.61.0 against the model
// stand-in, tests/fakes/model_server.py, whose usage is fixed: 1,200 prompt
// tokens of which 800 came from the cache, 34 output tokens).
#include "runner/usage_report.h"

#include <gtest/gtest.h>

#include "runner/outcome.h"

namespace taskexec {
namespace {

ProcessResult Exited(int code, std::string out) {
  ProcessResult p;
  p.pid = 7;
  p.exit_code = code;
  p.stdout_tail = std::move(out);
  return p;
}

TEST(UsageReport, ClaudeCodeResult) {
  const std::string out =
      R"({"duration_api_ms":51,"stop_reason":"end_turn","session_id":"c38f1932-50e5-4f8e-aa83-2716dea37c5f",)"
      R"("total_cost_usd":0.00564,"usage":{"input_tokens":1200,"cache_creation_input_tokens":0,)"
      R"("cache_read_input_tokens":800,"output_tokens":34,"output_tokens_details":{"thinking_tokens":0},)"
      R"("server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard"},)"
      R"("modelUsage":{"claude-opus-5-5":{"inputTokens":1200,"outputTokens":34,"cacheReadInputTokens":800,)"
      R"("cacheCreationInputTokens":0,"costUSD":0.00564}},"permission_denials":[],"is_error":false,)"
      R"("num_turns":1,"subtype":"success","api_error_status":null,)"
      R"("result":"All done: the report is written.\nTASK_COMPLETE: wrote the report","type":"result"})"
      "\n";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.usage.input_tokens, 1200);  // Anthropic's input already excludes cache reads
  EXPECT_EQ(r.usage.cache_read_tokens, 800);
  EXPECT_EQ(r.usage.cache_write_tokens, 0);
  EXPECT_EQ(r.usage.output_tokens, 34);
  ASSERT_TRUE(r.usage.cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r.usage.cost_usd, 0.00564);
  EXPECT_EQ(r.usage.num_turns, 1);
  EXPECT_EQ(r.usage.model, "claude-opus-5-5");
}

TEST(UsageReport, GeminiCliStatsSumTheModelsItCalled) {
  const std::string out =
      R"({"session_id": "0871bc36-ff52-4ecb-b2d4-0f42ff125552",)"
      R"("response": "All done: the report is written.\nTASK_COMPLETE: wrote the report",)"
      R"("stats": {"models": {"stand-in-1": {)"
      R"("api": {"totalRequests": 1, "totalErrors": 0, "totalLatencyMs": 65, "errorsByType": {}},)"
      R"("tokens": {"input": 400, "prompt": 1200, "candidates": 34, "total": 1234, "cached": 800,)"
      R"("thoughts": 0, "tool": 0}}},)"
      R"("tools": {"totalCalls": 0, "totalSuccess": 0, "totalFail": 0, "byName": {}},)"
      R"("files": {"totalLinesAdded": 0, "totalLinesRemoved": 0}}})"
      "\n";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "wrote the report");
  EXPECT_EQ(r.session_id, "0871bc36-ff52-4ecb-b2d4-0f42ff125552");
  EXPECT_EQ(r.usage.input_tokens, 400);  // "input" already leaves the cached part out
  EXPECT_EQ(r.usage.cache_read_tokens, 800);
  EXPECT_EQ(r.usage.output_tokens, 34);
  EXPECT_FALSE(r.usage.cost_usd.has_value());  // Gemini CLI prints no price
  EXPECT_EQ(r.usage.num_turns, 1);
  EXPECT_EQ(r.usage.model, "stand-in-1");

  // The routing model's call counts too; thoughts are output.
  const std::string two_models =
      R"({"session_id": "s", "response": "TASK_COMPLETE: ok", "stats": {"models": {)"
      R"("flash-lite": {"api": {"totalRequests": 1}, "tokens": {"prompt": 100, "candidates": 5}},)"
      R"("pro": {"api": {"totalRequests": 2}, "tokens": {"input": 10, "cached": 90,)"
      R"("candidates": 20, "thoughts": 7}}}}})";
  r = ParseOutcome(Exited(0, two_models)).result;
  EXPECT_EQ(r.usage.input_tokens, 110);
  EXPECT_EQ(r.usage.cache_read_tokens, 90);
  EXPECT_EQ(r.usage.output_tokens, 32);
  EXPECT_EQ(r.usage.num_turns, 3);
  EXPECT_EQ(r.usage.model, "flash-lite,pro");
}

TEST(UsageReport, CodexEventsSumTheirTurnsAndTakeCachedTokensOutOfInput) {
  const std::string out =
      R"({"type":"thread.started","thread_id":"01a24307-dca6-79e2-b60e-fabc5e25014f"})"
      "\n"
      R"({"type":"turn.started"})"
      "\n"
      R"({"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"TASK_COMPLETE: wrote the report"}})"
      "\n"
      R"({"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":800,"cache_write_input_tokens":0,"output_tokens":34,"reasoning_output_tokens":0}})"
      "\n"
      R"({"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":0,"cache_write_input_tokens":5,"output_tokens":6}})"
      "\n";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.usage.input_tokens, 400 + 100);
  EXPECT_EQ(r.usage.cache_read_tokens, 800);
  EXPECT_EQ(r.usage.cache_write_tokens, 5);
  EXPECT_EQ(r.usage.output_tokens, 40);
  EXPECT_EQ(r.usage.num_turns, 2);
  EXPECT_FALSE(r.usage.cost_usd.has_value()) << "Codex prints no price: unknown, not free";
  EXPECT_EQ(r.usage.model, "");
}

TEST(UsageReport, OpenClawExecResult) {
  const std::string out = R"({
  "ok": true,
  "status": "ok",
  "final": "All done: the report is written.\nTASK_COMPLETE: wrote the report",
  "payloads": [
    {
      "text": "All done: the report is written.\nTASK_COMPLETE: wrote the report",
      "mediaUrl": null
    }
  ],
  "usage": {
    "input": 400,
    "output": 34,
    "cacheRead": 800,
    "cacheWrite": 0,
    "total": 1234,
    "cost": {
      "total": 0.00195
    }
  },
  "costUsd": 0.00195,
  "codeModeEngaged": false,
  "assistantTurns": 1,
  "model": "stand-in-1",
  "provider": "standin",
  "sessionId": "eba8e3b4-6ca3-4975-ae38-f556212b48ba"
}
)";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.usage.input_tokens, 400);
  EXPECT_EQ(r.usage.cache_read_tokens, 800);
  EXPECT_EQ(r.usage.output_tokens, 34);
  ASSERT_TRUE(r.usage.cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r.usage.cost_usd, 0.00195);
  EXPECT_EQ(r.usage.num_turns, 1);
  EXPECT_EQ(r.usage.model, "stand-in-1");
}

// The Gateway's `agent --json`: the same usage object under result.meta.agentMeta.
TEST(UsageReport, OpenClawGatewayResult) {
  const std::string out = R"({"runId":"r-9","status":"ok","summary":"completed",
 "result":{"payloads":[{"text":"TASK_COMPLETE: done"}],
  "meta":{"durationMs":900,"agentMeta":{"sessionId":"s-9","provider":"standin","model":"stand-in-1",
   "usage":{"input":10,"output":20,"cacheRead":30,"cacheWrite":40,"total":100,"cost":{"total":0.5}}}}}}
)";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.usage.input_tokens, 10);
  EXPECT_EQ(r.usage.output_tokens, 20);
  EXPECT_EQ(r.usage.cache_read_tokens, 30);
  EXPECT_EQ(r.usage.cache_write_tokens, 40);
  EXPECT_EQ(r.usage.cost_usd, 0.5);
  EXPECT_EQ(r.usage.model, "stand-in-1");
}

// `agent --local --json` (the default preset), as 2026.9.6 prints it (cut).
TEST(UsageReport, OpenClawLocalResult) {
  const std::string out = R"({
  "payloads": [{"text": "All done: the report is written.\nTASK_COMPLETE: wrote the report", "mediaUrl": null}],
  "meta": {
    "durationMs": 5517,
    "agentMeta": {
      "sessionId": "90d24254-8709-4ea0-940a-2a64a53e4390",
      "sessionFile": "agent:main:t1-1",
      "provider": "standin",
      "model": "stand-in-1",
      "usage": {"input": 400, "output": 34, "cacheRead": 800, "cacheWrite": 0, "total": 1234,
                "cost": {"total": 0.00195}},
      "lastCallUsage": {"input": 400, "output": 34, "cacheRead": 800, "cacheWrite": 0},
      "promptTokens": 1200,
      "assistantTurns": 1,
      "costUsd": 0.00196
    },
    "aborted": false
  }
}
)";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "wrote the report");
  EXPECT_EQ(r.session_id, "90d24254-8709-4ea0-940a-2a64a53e4390");
  EXPECT_EQ(r.usage.input_tokens, 400);
  EXPECT_EQ(r.usage.cache_read_tokens, 800);
  EXPECT_EQ(r.usage.output_tokens, 34);
  EXPECT_EQ(r.usage.cost_usd, 0.00196) << "costUsd, the documented total, wins";
  EXPECT_EQ(r.usage.num_turns, 1);
  EXPECT_EQ(r.usage.model, "stand-in-1");
}

// opencode `run --format json` events, as opencode 1.18.33 prints them (cut).
TEST(UsageReport, OpenCodeEventsSumTheirSteps) {
  const std::string out =
      R"({"type":"step_start","timestamp":1796424715348,"sessionID":"ses_dbcbe3f62ffePryG1PuzIE0IQb","part":{"type":"step-start"}})"
      "\n"
      R"({"type":"text","sessionID":"ses_dbcbe3f62ffePryG1PuzIE0IQb","part":{"type":"text","text":"All done: the report is written.\nTASK_COMPLETE: wrote the report"}})"
      "\n"
      R"({"type":"step_finish","sessionID":"ses_dbcbe3f62ffePryG1PuzIE0IQb","part":{"reason":"stop","type":"step-finish","tokens":{"total":1234,"input":400,"output":34,"reasoning":0,"cache":{"write":0,"read":800}},"cost":0}})"
      "\n";
  AgentResult r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "wrote the report");
  EXPECT_EQ(r.session_id, "ses_dbcbe3f62ffePryG1PuzIE0IQb");
  EXPECT_EQ(r.usage.input_tokens, 400);
  EXPECT_EQ(r.usage.cache_read_tokens, 800);
  EXPECT_EQ(r.usage.output_tokens, 34);
  EXPECT_EQ(r.usage.cost_usd, 0.0);
  EXPECT_EQ(r.usage.num_turns, 1);
}

// opencode's provider failure after its own retries: a retryable api_error.
TEST(UsageReport, OpenCodeErrorEventFailsTheRun) {
  const std::string out =
      R"J({"type":"error","timestamp":1796424803021,"sessionID":"ses_dbcbe06edffewHFFc00jqZPxOW","error":{"name":"APIError","data":{"message":"provider internal error, HTTP 500 (temporary)","statusCode":500,"isRetryable":true}}})J"
      "\n";
  AgentResult r = ParseOutcome(Exited(1, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kApiError) << r.error;
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("provider internal error, HTTP 500"), std::string::npos) << r.error;
  EXPECT_EQ(r.session_id, "ses_dbcbe06edffewHFFc00jqZPxOW");
}

TEST(UsageReport, BadFiguresReadAsNotReportedAndNeverCrash) {
  nlohmann::json j = nlohmann::json::parse(
      R"({"usage":{"input_tokens":-5,"output_tokens":"many","cache_read_input_tokens":1e300,
          "cache_creation_input_tokens":2.0},"total_cost_usd":-1,"num_turns":null,
          "modelUsage":[1,2]})");
  AgentUsage u = UsageFromResult(j);
  EXPECT_EQ(u.input_tokens, 0);
  EXPECT_EQ(u.output_tokens, 0);
  EXPECT_EQ(u.cache_read_tokens, 0);
  EXPECT_EQ(u.cache_write_tokens, 2);
  EXPECT_FALSE(u.cost_usd.has_value());
  EXPECT_EQ(u.num_turns, 0);
  EXPECT_EQ(u.model, "");
  EXPECT_FALSE(UsageFromResult(nlohmann::json::parse("[1]")).Reported());
  EXPECT_FALSE(UsageFromResult(nlohmann::json::parse(R"({"usage":7})")).Reported());
  AgentUsage none;
  AddCodexTurnUsage(nlohmann::json::parse(R"({"type":"turn.completed","usage":[]})"), &none);
  EXPECT_FALSE(none.Reported());
}

TEST(UsageReport, TotalsAddUpAndACostStaysUnknownUntilOneIsReported) {
  AgentUsage total;
  AgentUsage codex;
  codex.input_tokens = 5;
  codex.num_turns = 1;
  total.Add(codex);
  EXPECT_FALSE(total.cost_usd.has_value());
  AgentUsage claude;
  claude.output_tokens = 7;
  claude.cost_usd = 0.25;
  claude.model = "m";
  total.Add(claude);
  total.Add(claude);
  EXPECT_EQ(total.input_tokens, 5);
  EXPECT_EQ(total.output_tokens, 14);
  EXPECT_EQ(total.cost_usd, 0.5);
  EXPECT_EQ(total.model, "m");
  EXPECT_EQ(total.num_turns, 1);
  EXPECT_EQ(total.TotalTokens(), 19);
}

}  // namespace
}  // namespace taskexec
