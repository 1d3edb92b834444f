#include "runner/outcome.h"

#include <gtest/gtest.h>

#include <random>

namespace taskexec {
namespace {

ProcessResult Exited(int code, std::string out, std::string err = "") {
  ProcessResult p;
  p.pid = 42;
  p.exit_code = code;
  p.stdout_tail = std::move(out);
  p.stderr_tail = std::move(err);
  return p;
}

TEST(Outcome, TaskCompleteLineIsTheSummary) {
  auto r = ParseOutcome(Exited(0, "working\nTASK_COMPLETE: wrote the report\nbye\n")).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "wrote the report");
  EXPECT_TRUE(r.error_type == ErrorType::kNone);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.pid, 42);
}

// What the output says on its own, for an agent killed just after it
// reported (a stop that crossed its end): only a report of work done counts.
TEST(Outcome, OnlyAReportOfWorkDoneCountsAsCompletionWhateverTheExit) {
  ProcessResult killed = Exited(0, "");
  killed.exit_code.reset();
  killed.term_signal = 15;
  killed.stdout_tail = "working\nTASK_COMPLETE: wrote the report\n";
  EXPECT_TRUE(ReportsCompletion(killed));
  killed.stdout_tail = R"({"type":"result","subtype":"success","is_error":false,"result":"done"})";
  EXPECT_TRUE(ReportsCompletion(killed));
  killed.stdout_tail = R"({"type":"result","subtype":"error","is_error":true,"result":"no"})";
  EXPECT_FALSE(ReportsCompletion(killed));
  killed.stdout_tail = "TASK_COMPLETE: half\nTASK_FAILED: then it broke\n";
  EXPECT_FALSE(ReportsCompletion(killed));
  killed.stdout_tail = "TASK_COMPLETE: ok\nTASK_NEEDS_INPUT: which colour?\n";
  EXPECT_FALSE(ReportsCompletion(killed));
  killed.stdout_tail = "working on it\n";
  EXPECT_FALSE(ReportsCompletion(killed));
  EXPECT_FALSE(ReportsCompletion(Exited(0, "")));  // exit 0 alone says nothing
}

// Codex `exec --json` events, as codex-cli 0.171 prints them.
TEST(Outcome, CodexEventStreamGivesTheThreadTextAndFailure) {
  const std::string ok =
      R"({"type":"thread.started","thread_id":"01a2429e-ea28-77c2-afad-62047e7f6d22"})"
      "\n"
      R"({"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata not found"}})"
      "\n"
      R"({"type":"turn.started"})"
      "\n"
      R"({"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Done.\nTASK_COMPLETE: wrote it"}})"
      "\n"
      R"({"type":"turn.completed","usage":{"input_tokens":1200,"output_tokens":34}})"
      "\n";
  auto r = ParseOutcome(Exited(0, ok)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "wrote it");
  EXPECT_EQ(r.session_id, "01a2429e-ea28-77c2-afad-62047e7f6d22");

  const std::string failed =
      R"({"type":"thread.started","thread_id":"t-1"})"
      "\n"
      R"({"type":"error","message":"Reconnecting... 1/5, we're currently experiencing high demand"})"
      "\n"
      R"({"type":"turn.failed","error":{"message":"We're currently experiencing high demand, which may cause temporary errors."}})"
      "\n";
  r = ParseOutcome(Exited(1, failed)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.session_id, "t-1");
  EXPECT_EQ(r.error_type, ErrorType::kApiError) << r.error;
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("high demand"), std::string::npos) << r.error;

  const std::string agent_failed =
      R"({"type":"thread.started","thread_id":"t-2"})"
      "\n"
      R"({"type":"item.completed","item":{"type":"agent_message","text":"TASK_FAILED: the input file is missing"}})"
      "\n"
      R"({"type":"turn.completed","usage":{}})"
      "\n";
  r = ParseOutcome(Exited(0, agent_failed)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
  EXPECT_FALSE(r.retryable);
}

// Codex 0.171 under `--sandbox read-only` (agent.approvals = "deny"): the
// sandbox refuses the model's write, the model gives up.
TEST(Outcome, ACodexSandboxRefusalBeforeAFailureNeedsApproval) {
  const std::string refused =
      R"({"type":"thread.started","thread_id":"t-3"})"
      "\n"
      R"({"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'touch shell-ran.txt'","aggregated_output":"touch: cannot touch 'shell-ran.txt': Read-only file system\n","exit_code":1,"status":"failed"}})"
      "\n";
  const std::string gave_up =
      R"({"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"The shell was refused.\nTASK_FAILED: could not write"}})"
      "\n"
      R"({"type":"turn.completed","usage":{}})"
      "\n";
  auto r = ParseOutcome(Exited(0, refused + gave_up)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kApprovalRequired) << r.error;
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.error,
            "the sandbox refused without a person's approval: /bin/bash -lc 'touch "
            "shell-ran.txt': touch: cannot touch 'shell-ran.txt': Read-only file system; the "
            "agent said: could not write");

  // The agent did without the refused command: its success stands.
  const std::string managed =
      R"({"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"TASK_COMPLETE: read it instead"}})"
      "\n"
      R"({"type":"turn.completed","usage":{}})"
      "\n";
  r = ParseOutcome(Exited(0, refused + managed)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
  EXPECT_EQ(r.summary, "read it instead");
}

// Gemini CLI 0.61 prints a failed run's JSON on stderr, after its log.
TEST(Outcome, GeminiCliErrorOnStderrIsTheFailure) {
  const std::string err =
      "Attempt 1 failed: {\"error\":{\"code\":500}}. Max attempts reached\n"
      "    at async Turn.run (file:///x/chunk.js:333001:24) {\n  status: 500\n}\n"
      R"({
  "session_id": "c654ae7c-5c5c-4d3d-bc69-563c8366cbcd",
  "error": {
    "type": "Error",
    "message": "{\"error\":{\"code\":500,\"message\":\"provider internal error, HTTP 500 (temporary)\",\"status\":\"INTERNAL\"}}",
    "code": 500
  }
})"
      "\n";
  auto r = ParseOutcome(Exited(244, "", err)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.session_id, "c654ae7c-5c5c-4d3d-bc69-563c8366cbcd");
  EXPECT_TRUE(r.retryable) << r.error;
  EXPECT_NE(r.error.find("provider internal error, HTTP 500"), std::string::npos) << r.error;

  // Not every JSON object on stderr is a result: a log line is not.
  r = ParseOutcome(Exited(1, "", "{\"level\":\"warn\",\"msg\":\"slow\"}\n")).result;
  EXPECT_EQ(r.session_id, "");
}

// OpenClaw 2026.9.6 `agent exec --json` after its own retries of a provider
// 500 gave up: retryable by taskexec.
TEST(Outcome, OpenClawProviderServerErrorIsARetryableApiError) {
  const std::string out = R"({
  "ok": false,
  "status": "error",
  "final": "",
  "payloads": [],
  "model": null,
  "provider": null,
  "sessionId": "75d499b9-b8c0-414c-a221-3ba3bf728128",
  "error": {
    "message": "standin/stand-in-1 request failed (provider internal error, HTTP 500). This is usually temporary - try again shortly.",
    "kind": "exception"
  }
}
)";
  auto r = ParseOutcome(Exited(1, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kApiError) << r.error;
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.session_id, "75d499b9-b8c0-414c-a221-3ba3bf728128");
}

TEST(Outcome, MarkdownDecoratedMarkerCounts) {
  auto r = ParseOutcome(Exited(0, "**TASK_COMPLETE: done it**\n")).result;
  EXPECT_EQ(r.summary, "done it");
}

TEST(Outcome, QuotedMarkerMidSentenceDoesNotCount) {
  auto r = ParseOutcome(Exited(0, "I will print TASK_FAILED: x if it breaks\nall good\n")).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
}

TEST(Outcome, NoMarkerSummaryIsFirst1000CharsOfOutput) {
  std::string out(3000, 'x');
  auto r = ParseOutcome(Exited(0, out)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, std::string(1000, 'x'));
}

TEST(Outcome, TaskFailedIsAFailureClassifiedByItsReason) {
  auto r = ParseOutcome(Exited(0, "TASK_FAILED: could not find the data\n")).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
  EXPECT_FALSE(r.retryable);
  EXPECT_NE(r.error.find("could not find the data"), std::string::npos);

  auto t = ParseOutcome(Exited(1, "TASK_FAILED: upstream connection refused\n")).result;
  EXPECT_EQ(t.error_type, ErrorType::kConnectionError);
  EXPECT_TRUE(t.retryable);
  EXPECT_NE(t.error.find("exit code 1"), std::string::npos);

  auto rl = ParseOutcome(Exited(0, "TASK_FAILED: rate limit reached\n")).result;
  EXPECT_EQ(rl.error_type, ErrorType::kRateLimit);
  EXPECT_TRUE(rl.retryable);
}

TEST(Outcome, LastMarkerWins) {
  auto r = ParseOutcome(Exited(0, "TASK_FAILED: first try broke\nTASK_COMPLETE: fixed\n")).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "fixed");
  auto f = ParseOutcome(Exited(0, "TASK_COMPLETE: fixed\nTASK_FAILED: regression\n")).result;
  EXPECT_EQ(f.status, ExecutionStatus::kFailed);
}

TEST(Outcome, NonZeroExitClassifiesStderr) {
  auto r = ParseOutcome(Exited(2, "some progress\n", "SyntaxError: invalid syntax\n")).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kSyntaxError);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("exit code 2"), std::string::npos);

  auto d = ParseOutcome(Exited(3, "", "it broke\n")).result;
  EXPECT_EQ(d.error_type, ErrorType::kExecutionError);
  auto t = ParseOutcome(Exited(1, "", "Error: gateway timeout\n")).result;
  EXPECT_EQ(t.error_type, ErrorType::kTimeoutError);
  EXPECT_TRUE(t.retryable);
  // A TASK_COMPLETE line does not rescue a failing exit status.
  auto c = ParseOutcome(Exited(1, "TASK_COMPLETE: looks fine\n")).result;
  EXPECT_EQ(c.status, ExecutionStatus::kFailed);
}

TEST(Outcome, SignalNotOursIsARetryableCrash) {
  ProcessResult p = Exited(0, "about to crash\n");
  p.exit_code.reset();
  p.term_signal = 11;
  auto r = ParseOutcome(p).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kCrash);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("SIGSEGV"), std::string::npos);
  EXPECT_EQ(r.term_signal, 11);
}

// Codex 0.171 keeps reconnecting to a model API that refuses connections
// until our deadline (lines as it printed them, then killed).
TEST(Outcome, ATimeoutWhileTheAgentReconnectsIsAConnectionError) {
  ProcessResult p =
      Exited(0,
             R"J({"type":"thread.started","thread_id":"01a243bb-6610-7d70-a275-16e880f8c124"}
{"type":"turn.started"}
{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending request)"}
)J");
  p.exit_code.reset();
  p.term_signal = 15;
  p.timed_out = true;
  p.duration_ms = 5000;
  auto r = ParseOutcome(p).result;
  EXPECT_EQ(r.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(r.error_type, ErrorType::kConnectionError);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("timed out after 5000 ms"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Connection failed"), std::string::npos) << r.error;
  EXPECT_EQ(r.session_id, "01a243bb-6610-7d70-a275-16e880f8c124");
}

// Claude Code 2.1.332's -p result when a Bash call needed approval (abridged
// from the real output): a refusal, whatever the text claims.
TEST(Outcome, AToolUseRefusedForApprovalIsApprovalRequired) {
  const std::string claude = R"J({"type":"result","subtype":"success","is_error":false,
"result":"Done.\nTASK_COMPLETE: made the file","session_id":"00837008-914b-43c6-ad96-26d91dae0a26",
"num_turns":2,"permission_denials":[{"tool_name":"Bash","tool_use_id":"toolu_1",
"tool_input":{"command":"touch shell-ran.txt","description":"Create a marker file"}}]})J";
  auto r = ParseOutcome(Exited(0, claude)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kApprovalRequired);
  EXPECT_FALSE(r.retryable);
  EXPECT_NE(r.error.find("Bash (touch shell-ran.txt)"), std::string::npos) << r.error;
  EXPECT_EQ(r.session_id, "00837008-914b-43c6-ad96-26d91dae0a26");
  // No refusal: the usual outcome.
  auto ok = ParseOutcome(Exited(0, R"({"type":"result","is_error":false,"result":"TASK_COMPLETE: x",
"permission_denials":[]})"))
                .result;
  EXPECT_EQ(ok.status, ExecutionStatus::kCompleted);
}

TEST(Outcome, OpenClawsHeadlessApprovalRefusalIsApprovalRequired) {
  auto r =
      ParseOutcome(Exited(1, "", "exec: cannot wait for interactive exec approval (ask=always)"))
          .result;
  EXPECT_EQ(r.error_type, ErrorType::kApprovalRequired);
  EXPECT_FALSE(r.retryable);
}

// What OpenClaw 2026.9.6's exec tool returned to the model, quoted back in
// TASK_FAILED: under tools.exec.mode "ask" with no Gateway to register the
// approval (agent --local), for a command its policy cannot bind, and under
// tools.exec.mode "deny".
TEST(Outcome, OpenClawsExecRefusalsAreApprovalRequiredNotANetworkFault) {
  for (const char* refusal :
       {"TASK_FAILED: {\"status\": \"error\", \"tool\": \"exec\", \"error\": \"Exec approval "
        "registration failed: GatewayTransportError: Gateway not reachable at "
        "ws://127.0.0.1:18789 (ECONNREFUSED).\"}\n",
        "TASK_FAILED: Exec denied (SYSTEM_RUN_DENIED: approval cannot safely bind this command): "
        "touch x\n",
        "TASK_FAILED: {\"status\": \"error\", \"tool\": \"exec\", \"error\": \"exec denied: "
        "host=gateway security=deny\"}\n"}) {
    auto r = ParseOutcome(Exited(0, refusal)).result;
    EXPECT_EQ(r.error_type, ErrorType::kApprovalRequired) << refusal;
    EXPECT_FALSE(r.retryable);
  }
}

TEST(Outcome, OurTimeoutAndCancelWinOverEverything) {
  ProcessResult p = Exited(0, "TASK_COMPLETE: too late\n");
  p.exit_code.reset();
  p.term_signal = 15;
  p.timed_out = true;
  auto r = ParseOutcome(p).result;
  EXPECT_EQ(r.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(r.error_type, ErrorType::kTimeoutError);
  EXPECT_TRUE(r.retryable);

  p.timed_out = false;
  p.cancelled = true;
  auto c = ParseOutcome(p).result;
  EXPECT_EQ(c.status, ExecutionStatus::kCancelled);
  EXPECT_EQ(c.error_type, ErrorType::kCancelled);
  EXPECT_FALSE(c.retryable);
}

TEST(Outcome, UnknownExitStatusIsLost) {
  ProcessResult p = Exited(0, "TASK_COMPLETE: maybe\n");
  p.exit_code.reset();
  auto r = ParseOutcome(p).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kLost);
  EXPECT_TRUE(r.retryable);
}

TEST(Outcome, LastLineJsonGivesSummarySessionAndArtifacts) {
  auto parsed = ParseOutcome(Exited(
      0,
      "progress\n{\"summary\":\"made 2 files\",\"session_id\":\"s-9\",\"artifacts\":[\"a.txt\","
      "{\"path\":\"/abs/b.txt\"},7]}\n"));
  EXPECT_EQ(parsed.result.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(parsed.result.summary, "made 2 files");
  EXPECT_EQ(parsed.result.session_id, "s-9");
  EXPECT_EQ(parsed.artifact_paths, (std::vector<std::string>{"a.txt", "/abs/b.txt"}));
}

TEST(Outcome, MarkerBeatsJsonSummary) {
  auto r =
      ParseOutcome(Exited(0, "TASK_COMPLETE: from marker\n{\"summary\":\"from json\"}\n")).result;
  EXPECT_EQ(r.summary, "from marker");
}

TEST(Outcome, OpenClawPrettyPrintedJson) {
  const char* doc = R"({
  "runId": "r1",
  "status": "ok",
  "summary": "completed",
  "result": {
    "payloads": [ { "text": "Looked at it.\nTASK_COMPLETE: fixed the login bug" } ],
    "meta": { "aborted": false, "agentMeta": { "sessionId": "oc-123" } }
  }
}
)";
  auto r = ParseOutcome(Exited(0, doc)).result;
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(r.summary, "fixed the login bug");
  EXPECT_EQ(r.session_id, "oc-123");
}

TEST(Outcome, OpenClawErrorStatusFails) {
  const char* doc = R"({"runId":"r1","status":"error","result":{"payloads":[],
"meta":{"aborted":false,"error":{"kind":"provider","message":"upstream connection closed"}}}})";
  auto r = ParseOutcome(Exited(0, std::string("Gateway says:\n") + doc + "\n")).result;
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kConnectionError);
  EXPECT_TRUE(r.retryable);

  auto aborted =
      ParseOutcome(
          Exited(
              0,
              R"({"status":"ok","result":{"payloads":[{"text":"partial"}],"meta":{"aborted":true}}})"))
          .result;
  EXPECT_EQ(aborted.status, ExecutionStatus::kFailed);

  auto cli =
      ParseOutcome(
          Exited(1, R"({"ok":false,"error":{"type":"cli_error","message":"Unknown agent id"}})"))
          .result;
  EXPECT_EQ(cli.status, ExecutionStatus::kFailed);
  EXPECT_NE(cli.error.find("Unknown agent id"), std::string::npos);
}

TEST(Outcome, OpenClawExecAndClaudeShapes) {
  auto exec =
      ParseOutcome(
          Exited(0, R"({"ok":true,"status":"ok","final":"TASK_COMPLETE: ran","sessionId":"019a"})"))
          .result;
  EXPECT_EQ(exec.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(exec.summary, "ran");
  EXPECT_EQ(exec.session_id, "019a");

  auto claude =
      ParseOutcome(
          Exited(
              0,
              R"({"type":"result","subtype":"success","is_error":false,"result":"All done.","session_id":"c-1"})"))
          .result;
  EXPECT_EQ(claude.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(claude.summary, "All done.");
  EXPECT_EQ(claude.session_id, "c-1");

  auto claude_err =
      ParseOutcome(
          Exited(
              1,
              R"({"type":"result","subtype":"error_during_execution","is_error":true,"result":"API Error: 529 overloaded","session_id":"c-2"})"))
          .result;
  EXPECT_EQ(claude_err.status, ExecutionStatus::kFailed);
  EXPECT_EQ(claude_err.error_type, ErrorType::kApiError);
  EXPECT_EQ(claude_err.session_id, "c-2");
}

TEST(Outcome, SessionIdFromPlainOutputAsTheOriginalParsedIt) {
  std::vector<std::string> ours = {"task-11111111-2222-4333-8444-555555555555",
                                   "exec-66666666-7777-4888-9999-aaaaaaaaaaaa"};
  EXPECT_EQ(ExtractSessionId("Spawning...\nSession: abc-123\n", ours), "abc-123");
  EXPECT_EQ(ExtractSessionId("Session created sess_77 ok\n", ours), "sess_77");
  // Our own ids (echoed from the prompt) are skipped; another UUID is taken.
  EXPECT_EQ(ExtractSessionId("task 11111111-2222-4333-8444-555555555555 started as "
                             "0f0e0d0c-0b0a-4909-8807-060504030201\n",
                             ours),
            "0f0e0d0c-0b0a-4909-8807-060504030201");
  EXPECT_EQ(ExtractSessionId("  sess9876543  \n", ours), "sess9876543");
  EXPECT_EQ(ExtractSessionId("done\n", ours), "");
  EXPECT_EQ(ExtractSessionId("two words 123\n", ours), "");
}

TEST(Outcome, GarbageNeverCrashesAndResultsAreValidUtf8) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::string out(static_cast<size_t>(rng() % 3000), '\0');
    for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
    if (round % 3 == 0) out = "{\"summary\":\"" + out + "\"}";
    if (round % 5 == 0) out += "\nTASK_FAILED: \xff\xfe broken";
    ProcessResult p = Exited(round % 2, out, out.substr(0, 100));
    auto r = ParseOutcome(p).result;
    EXPECT_EQ(SanitizeText(r.summary, 100000), r.summary);
    EXPECT_EQ(SanitizeText(r.error, 100000), r.error);
    EXPECT_EQ(SanitizeText(r.session_id, 100000), r.session_id);
    EXPECT_LE(r.error.size(), kMaxErrorChars);
    EXPECT_LE(r.summary.size(), kMaxSummaryChars);
  }
}

TEST(Outcome, SanitizeTextKeepsValidUtf8AndCutsOnBoundaries) {
  EXPECT_EQ(SanitizeText("h\xc3\xa9llo", 100), "h\xc3\xa9llo");
  EXPECT_EQ(SanitizeText("a\xff"
                         "b",
                         100),
            "a?b");
  EXPECT_EQ(SanitizeText("\xed\xa0\x80", 100), "???");  // a UTF-16 surrogate
  EXPECT_EQ(SanitizeText("ab\xc3\xa9", 3), "ab");       // never half a character
  EXPECT_EQ(SanitizeText(std::string("x\0y", 3), 10), "x?y");
}

}  // namespace
// Stopped for silence (agent.stall_seconds): its own type, retryable, and
// the message says for how long it was quiet.
TEST(Outcome, AStalledAgentIsStalledNotTimedOut) {
  ProcessResult p = Exited(0, "working on it\n");
  p.exit_code.reset();
  p.term_signal = 15;
  p.stalled = true;
  p.last_output_ms = 2'000;
  p.duration_ms = 602'000;
  auto r = ParseOutcome(p).result;
  EXPECT_EQ(r.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(r.error_type, ErrorType::kStalled);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("no output on stdout or stderr for 600 s before it was stopped"),
            std::string::npos)
      << r.error;

  p.last_output_ms = -1;  // never said anything
  auto silent = ParseOutcome(p).result;
  EXPECT_NE(silent.error.find("for 602 s since it started"), std::string::npos) << silent.error;
}

// TASK_NEEDS_INPUT as the last marker parks the task with the question;
// a later TASK_COMPLETE wins; an empty question or an error result is not
// a question.
TEST(Outcome, ALastQuestionMarkerAsksAPerson) {
  auto r =
      ParseOutcome(Exited(0, "looked around\n**TASK_NEEDS_INPUT: Which colour, blue or red?**\n"))
          .result;
  EXPECT_EQ(r.status, ExecutionStatus::kNeedsInput);
  EXPECT_EQ(r.question, "Which colour, blue or red?");
  EXPECT_EQ(r.error_type, ErrorType::kNone);
  EXPECT_FALSE(r.retryable);

  auto later =
      ParseOutcome(Exited(0, "TASK_NEEDS_INPUT: Which colour?\nTASK_COMPLETE: chose blue\n"))
          .result;
  EXPECT_EQ(later.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(later.summary, "chose blue");

  auto empty = ParseOutcome(Exited(0, "TASK_NEEDS_INPUT:\n")).result;
  EXPECT_EQ(empty.status, ExecutionStatus::kCompleted);

  // Quoted mid-sentence: not a marker.
  auto quoted = ParseOutcome(Exited(0, "I could say TASK_NEEDS_INPUT: but I will not\n")).result;
  EXPECT_EQ(quoted.status, ExecutionStatus::kCompleted);

  // In a Claude Code JSON result's text.
  auto claude =
      ParseOutcome(Exited(0, R"({"type":"result","subtype":"success","is_error":false,)"
                             R"("result":"I checked.\nTASK_NEEDS_INPUT: Deploy to prod?",)"
                             R"("session_id":"s-1"})"))
          .result;
  EXPECT_EQ(claude.status, ExecutionStatus::kNeedsInput);
  EXPECT_EQ(claude.question, "Deploy to prod?");
  EXPECT_EQ(claude.session_id, "s-1");

  auto error =
      ParseOutcome(Exited(1, R"({"type":"result","is_error":true,)"
                             R"("result":"TASK_NEEDS_INPUT: anyone?","session_id":"s-2"})"))
          .result;
  EXPECT_EQ(error.status, ExecutionStatus::kFailed);
}

}  // namespace taskexec
