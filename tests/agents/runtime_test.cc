// The real agent CLIs (from npm, tests/agents/clis) run by their presets
// through the whole service, against the model stand-in, in the same cases:
// one table row per runtime, configured as a user would configure it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "agents/agent_cli_support.h"
#include "core/agent_pause.h"

namespace taskexec::agents {
namespace {

struct Runtime {
  const char* name;
  // The [agent] lines for a service whose private files go in `dir`, with
  // the model API at `model_url`.
  std::string (*agent_toml)(const std::string& dir, const std::string& model_url,
                            int timeout_seconds);
  // A substring of the stand-in's log that shows this CLI asked the model.
  const char* request_mark;
  // Seconds one turn may take (OpenClaw's start-up alone is 10-20 s here).
  int turn_seconds;
  // agent.timeout_seconds for the hanging model: long enough for the CLI to
  // start and reach the model first.
  int hang_timeout_seconds;
  // The usage this CLI reports for the stand-in's fixed figures (1,200 prompt
  // tokens of which 800 cached, 34 output): Anthropic counts input without
  // the cache reads, the OpenAI APIs with them (taken out when recorded).
  int64_t input_tokens;
  bool priced;                 // prints a cost (Codex does not)
  bool names_model;            // prints the model (Codex does not)
  bool runs_the_routed_agent;  // runs as the agent taskexec chose ({agent})
  bool resumes;                // its preset continues an earlier session
  bool gateway = false;        // runs through an OpenClaw Gateway the test starts
};

// Claude Code retries a failed model call itself (up to 10 times, backing
// off); CLAUDE_CODE_MAX_RETRIES=0 leaves the retry to taskexec, under test.
std::string ClaudeToml(const std::string&, const std::string& model_url, int timeout_seconds) {
  return "preset = \"claude\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nANTHROPIC_BASE_URL = \"" + model_url +
         "\"\nANTHROPIC_API_KEY = \"sk-ant-stand-in\"\n"
         "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = \"1\"\nDISABLE_AUTOUPDATER = \"1\"\n"
         "CLAUDE_CODE_MAX_RETRIES = \"0\"\n";
}

// A custom provider in CODEX_HOME/config.toml; Codex retries a failed
// request itself (5 times), request/stream_max_retries = 0 leave it to us.
std::string CodexToml(const std::string& dir, const std::string& model_url, int timeout_seconds) {
  const std::string codex_home = dir + "/codex-home";
  e2e::WriteFile(codex_home + "/config.toml",
                 "model = \"stand-in-1\"\nmodel_provider = \"standin\"\n\n"
                 "[model_providers.standin]\nname = \"model stand-in\"\nbase_url = \"" +
                     model_url +
                     "/v1\"\nenv_key = \"STANDIN_API_KEY\"\nwire_api = \"responses\"\n"
                     "request_max_retries = 0\nstream_max_retries = 0\n");
  return "preset = \"codex\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nCODEX_HOME = \"" + codex_home + "\"\nSTANDIN_API_KEY = \"sk-stand-in\"\n";
}

// An openclaw.json with the stand-in as a custom OpenAI-compatible provider
// and `agents` (with the default agent) as the roster, and `more` top-level
// keys ("" or `"key": value,`); returns its path.
std::string OpenClawConfig(const std::string& dir, const std::string& model_url,
                           const std::string& agents, const std::string& more = "") {
  const std::string config = dir + "/openclaw.json";
  e2e::WriteFile(
      config,
      "{" + more +
          R"("agents": {"defaults": {"model": {"primary": "standin/stand-in-1"}}, "list": [)" +
          agents + R"(]},
 "models": {"mode": "merge", "providers": {"standin": {
   "baseUrl": ")" +
          model_url +
          R"(/v1", "apiKey": "sk-stand-in", "api": "openai-completions",
   "models": [{"id": "stand-in-1", "name": "Stand-in", "reasoning": false, "input": ["text"],
     "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
     "contextWindow": 200000, "maxTokens": 8192}]}}}})");
  return config;
}

// The embedded one-shot (`agent exec`, no Gateway): the default agent only.
std::string OpenClawExecToml(const std::string& dir, const std::string& model_url,
                             int timeout_seconds) {
  const std::string config = OpenClawConfig(dir, model_url, R"({"id": "main", "default": true})");
  return "preset = \"openclaw-exec\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nOPENCLAW_CONFIG_PATH = \"" + config + "\"\n";
}

// The team's roster: the default agent and the six the router names.
std::string TeamRoster() {
  std::string roster = R"({"id": "main", "default": true})";
  for (const char* agent : {"mongke", "temujin", "chagatai", "jochi", "ogedei", "kublai"}) {
    roster += std::string(R"(, {"id": ")") + agent + R"("})";
  }
  return roster;
}

// The default preset (none named): `agent --local` as the agent the router
// chose, on a roster with the team's agents ("Write the report" goes to
// chagatai by the keyword table, the other cases to main).
std::string OpenClawLocalToml(const std::string& dir, const std::string& model_url,
                              int timeout_seconds) {
  const std::string config = OpenClawConfig(dir, model_url, TeamRoster());
  return "timeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nOPENCLAW_CONFIG_PATH = \"" + config + "\"\n";
}

// The `openclaw` preset: `openclaw agent` as the routed agent, through a
// Gateway on loopback with token auth (the test starts one per service
// from this file; the CLI finds its port and token there).
std::string OpenClawGatewayToml(const std::string& dir, const std::string& model_url,
                                int timeout_seconds) {
  const std::string gateway =
      R"("gateway": {"port": )" + std::to_string(e2e::FreePort()) +
      R"(, "mode": "local", "bind": "loopback", "auth": {"mode": "token", "token": "gw-token-for-tests-0123456789"}},)";
  const std::string config = OpenClawConfig(dir, model_url, TeamRoster(), gateway);
  return "preset = \"openclaw\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nOPENCLAW_CONFIG_PATH = \"" + config + "\"\n";
}

// A custom OpenAI-compatible provider in the opencode.json named by
// OPENCODE_CONFIG (the provider package is the one opencode bundles).
std::string OpenCodeToml(const std::string& dir, const std::string& model_url,
                         int timeout_seconds) {
  const std::string config = dir + "/opencode.json";
  e2e::WriteFile(config, R"({"provider": {"standin": {"npm": "@ai-sdk/openai-compatible",
   "name": "Stand-in", "options": {"baseURL": ")" +
                             model_url + R"(/v1", "apiKey": "sk-stand-in"},
   "models": {"stand-in-1": {"name": "Stand-in"}}}},
 "model": "standin/stand-in-1", "autoupdate": false, "share": "disabled"})");
  return "preset = \"opencode\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nOPENCODE_CONFIG = \"" + config + "\"\n";
}

// Gemini CLI with the stand-in as its Gemini API (GOOGLE_GEMINI_BASE_URL):
// settings.json under GEMINI_CLI_HOME picks API-key auth (a base URL alone
// selects a "gateway" auth that -p refuses) and the model; it retries a
// failed model call itself (10 times), general.maxAttempts = 1 leaves the
// retry to taskexec, under test.
std::string GeminiToml(const std::string& dir, const std::string& model_url, int timeout_seconds) {
  const std::string home = dir + "/gemini-home";
  e2e::WriteFile(home + "/.gemini/settings.json",
                 R"({"security": {"auth": {"selectedType": "gemini-api-key"}},
 "model": {"name": "stand-in-1"}, "general": {"maxAttempts": 1}})");
  return "preset = \"gemini\"\ntimeout_seconds = " + std::to_string(timeout_seconds) +
         "\n[agent.env]\nGEMINI_CLI_HOME = \"" + home + "\"\nGEMINI_API_KEY = \"stand-in\"\n" +
         "GOOGLE_GEMINI_BASE_URL = \"" + model_url + "\"\n";
}

const Runtime kRuntimes[] = {
    {"claude", ClaudeToml, "\"/v1/messages", 60, 5, 1200, true, true, false, true},
    {"codex", CodexToml, "\"/v1/responses", 60, 5, 400, false, false, false, true},
    {"openclaw_exec", OpenClawExecToml, "\"/v1/chat/completions", 120, 40, 400, true, true, false,
     false},
    {"openclaw_local", OpenClawLocalToml, "\"/v1/chat/completions", 120, 40, 400, true, true, true,
     true},
    {"opencode", OpenCodeToml, "\"/v1/chat/completions", 60, 15, 400, true, false, false, false},
    {"gemini", GeminiToml, "\"/v1beta/models/stand-in-1:streamGenerateContent", 60, 10, 400, false,
     true, false, false},
    {"openclaw_gateway", OpenClawGatewayToml, "\"/v1/chat/completions", 120, 40, 400, true, true,
     true, true, /*gateway=*/true},
};

size_t Occurrences(const std::string& text, const std::string& mark) {
  size_t n = 0;
  for (size_t pos = 0; (pos = text.find(mark, pos)) != std::string::npos; pos += mark.size()) ++n;
  return n;
}

size_t HangingRequests(const std::string& model_log) {
  return Occurrences(model_log, "\"scenario\": \"hang\"");
}

// Requests that sent no earlier model turn back: each starts a conversation.
size_t FreshConversations(const std::string& model_log) {
  return Occurrences(model_log, "\"assistant_turns\": 0}");
}

// Hanging requests whose client closed the connection (logged by the stand-in).
size_t ClosedHangingRequests(const std::string& model_log) {
  return Occurrences(model_log, "\"closed\": \"hang\"");
}

class RuntimeTest : public RealCliTest, public ::testing::WithParamInterface<Runtime> {
 protected:
  // A service running this runtime; its CLI's files live in dir_.
  // `agent_lines`: more [agent] keys, e.g. "resume = \"always\"\n".
  std::unique_ptr<ServiceUnderTest> Service(const std::string& name, int max_retries,
                                            int timeout_seconds = 0, int kill_grace_seconds = 1,
                                            const std::string& agent_lines = "") {
    const Runtime& rt = GetParam();
    const std::string toml =
        rt.agent_toml(dir_.path, model_url_.empty() ? model().base_url() : model_url_,
                      timeout_seconds ? timeout_seconds : rt.turn_seconds);
    if (rt.gateway) {
      gateways_.push_back(
          std::make_unique<OpenClawGateway>(dir_.path, cli_path(), dir_.path + "/openclaw.json"));
    }
    return std::make_unique<ServiceUnderTest>(std::string(rt.name) + "_" + name, cli_path(),
                                              agent_lines + toml, max_retries, kill_grace_seconds);
  }
  int Wait() const { return 3 * GetParam().turn_seconds; }
  // Adds a task whose model never answers (*id) and waits until the CLI asked
  // the model: by then it has started all it starts for a turn.
  bool StartAHangingTurn(ServiceUnderTest& svc, std::string* id) {
    const size_t asked_before = HangingRequests(model().Log());
    *id = svc.AddTask("Wait for the model", "Wait. SCENARIO:hang");
    const bool asked =
        e2e::WaitFor([&] { return HangingRequests(model().Log()) > asked_before; }, Wait());
    EXPECT_TRUE(asked) << "the CLI never asked the model\n" << svc.ServiceLog();
    return asked;
  }

  ScopedTempDir dir_{"runtime_cfg"};
  std::string model_url_;  // empty = the stand-in
  // Declared after dir_: each stops before its files go.
  std::vector<std::unique_ptr<OpenClawGateway>> gateways_;
};

TEST_P(RuntimeTest, CompletesWithTheSummaryAndTheSessionItReports) {
  auto svc = Service("ok", 1);
  const std::string id = svc->AddTask("Write the report", "Write it. SCENARIO:complete");
  Task t = svc->WaitFinal(id, Wait());
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc->ServiceLog();
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  // The session id is the one the CLI printed (a UUID; opencode's are
  // "ses_" and 26 characters), not one of ours.
  const std::string& session = execs[0].session_id;
  EXPECT_TRUE(session.size() == 36u || (session.rfind("ses_", 0) == 0 && session.size() == 30u))
      << session;
  EXPECT_EQ(execs[0].session_id.find(id), std::string::npos);
  EXPECT_NE(model().Log().find(GetParam().request_mark), std::string::npos)
      << "the model was not asked";
  // The usage the CLI printed is on the execution and summed on the task.
  const AgentUsage& u = execs[0].usage;
  EXPECT_EQ(u.input_tokens, GetParam().input_tokens);
  EXPECT_EQ(u.cache_read_tokens, 800);
  EXPECT_EQ(u.output_tokens, 34);
  EXPECT_EQ(u.num_turns, 1);
  EXPECT_EQ(u.cost_usd.has_value(), GetParam().priced);
  EXPECT_EQ(!u.model.empty(), GetParam().names_model) << u.model;
  EXPECT_EQ(t.usage, u);
  if (GetParam().runs_the_routed_agent) {
    // OpenClaw refuses an agent id its roster lacks, so completing as
    // chagatai shows the router's choice reached it.
    EXPECT_EQ(execs[0].agent, "chagatai");
  }
}

TEST_P(RuntimeTest, AnAgentReportedFailureIsNotRetried) {
  auto svc = Service("fail", 2);
  const std::string id = svc->AddTask("Parse the file", "Parse it. SCENARIO:fail");
  Task t = svc->WaitFinal(id, Wait());
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kExecutionError) << t.error_message;
  EXPECT_NE(t.error_message.find("the input file is missing"), std::string::npos)
      << t.error_message;
  EXPECT_EQ(svc->Executions(id).size(), 1u);
}

// Runtimes whose own retry of a failed model call can be turned off. OpenClaw
// retries a provider 5xx itself within a 90 s window that no openclaw.json key
// changes (docs/concepts/retry.md of 2026.9.6), so two attempts would take
// three minutes here; outcome_test checks that its final 5xx error, as it
// prints it, is api_error and retryable.
class ModelErrorTest : public RuntimeTest {};

TEST_P(ModelErrorTest, AModelServerErrorIsRetried) {
  auto svc = Service("500", 1);
  const std::string id = svc->AddTask("Summarise the thread", "Summarise. SCENARIO:http500");
  Task t = svc->WaitFinal(id, 2 * Wait());
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kApiError) << t.error_message;
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 2u) << "a provider 500 is retryable: one retry was allowed";
  for (const auto& e : execs) EXPECT_EQ(e.error_type, ErrorType::kApiError) << e.error;
}

// The provider's quota is spent (HTTP 429 with its quota body): the attempt
// is usage_limit, the task waits in pending with its retries untouched and
// the agent is paused for agent.usage_limit_pause_seconds.
TEST_P(ModelErrorTest, ASpentQuotaPausesTheAgentAndTheTaskWaits) {
  auto svc = Service("quota", 1);
  const std::string id = svc->AddTask("Summarise the thread", "Summarise. SCENARIO:quota");
  Task t = svc->WaitTask(
      id, [](const Task& task) { return task.error_type != ErrorType::kNone; }, 2 * Wait());
  EXPECT_EQ(t.status, TaskStatus::kPending);
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 1u) << svc->ServiceLog();
  const std::string agent = execs[0].agent;
  EXPECT_EQ(execs[0].status, ExecutionStatus::kFailed);
  EXPECT_EQ(execs[0].error_type, ErrorType::kUsageLimit) << execs[0].error;
  EXPECT_EQ(t.error_type, ErrorType::kUsageLimit) << t.error_message;
  EXPECT_EQ(t.retry_count, 0);
  std::string stored, error;
  ASSERT_TRUE(svc->Meta(AgentPauseKey(agent), &stored)) << svc->ServiceLog();
  std::optional<AgentPause> pause = DecodeAgentPause(agent, stored, &error);
  ASSERT_TRUE(pause) << stored << error;
  EXPECT_EQ(pause->reason, PauseReason::kUsageLimit);
  // None of the three CLIs prints the response's Retry-After (Claude Code:
  // "API Error: Request rejected (429) · <message>"; Codex: "Quota exceeded.
  // Check your plan and billing details."; Gemini CLI: "Error: Quota exceeded
  // for quota metric ..."): the configured pause applies.
  EXPECT_EQ(pause->until - pause->since, 900'000) << pause->message;
  svc->Cancel(id);
}

// A model API nobody listens on: the CLI cannot connect, which is retried.
TEST_P(ModelErrorTest, ARefusedConnectionIsRetried) {
  // A port that was bound, then closed: connecting is refused.
  model_url_ = "http://127.0.0.1:" + std::to_string(e2e::FreePort());
  // Codex keeps reconnecting until the deadline, then says why.
  auto svc = Service("refused", 1, GetParam().hang_timeout_seconds);
  const std::string id = svc->AddTask("Summarise the thread", "Summarise. SCENARIO:complete");
  Task t = svc->WaitFinal(id, 2 * Wait());
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kConnectionError) << t.error_message;
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 2u) << "a refused connection is retryable: one retry was allowed";
  for (const auto& e : execs) EXPECT_EQ(e.error_type, ErrorType::kConnectionError) << e.error;
}

TEST_P(RuntimeTest, AHangingModelTimesOutAndLeavesNoProcessBehind) {
  auto svc = Service("hang", 0, GetParam().hang_timeout_seconds);
  const std::string id = svc->AddTask("Wait for the model", "Wait. SCENARIO:hang");
  Task t = svc->WaitFinal(id, Wait());
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kTimedOut) << execs[0].error;
  // Found by the attempt's environment marker, not by pid: a CLI that
  // re-spawns or detaches a child must not leave it running.
  EXPECT_TRUE(e2e::WaitFor([&] { return ProcessesOfAttempt(execs[0].id).empty(); }, 10))
      << "a process of the timed-out attempt survived";
}

// With no grace the group gets SIGKILL at once, so a process that left the
// group (OpenClaw re-spawning itself without OPENCLAW_NO_RESPAWN) would be
// orphaned; nothing of the attempt may survive.
TEST_P(RuntimeTest, ACancelWithNoGraceLeavesNoProcessBehind) {
  auto svc = Service("cancel", 0, 600, /*kill_grace_seconds=*/0);
  std::string id;
  ASSERT_TRUE(StartAHangingTurn(*svc, &id));
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_FALSE(ProcessesOfAttempt(execs[0].id).empty());
  svc->Cancel(id);
  Task t = svc->WaitFinal(id, 30);
  EXPECT_EQ(t.status, TaskStatus::kCancelled);
  EXPECT_TRUE(e2e::WaitFor([&] { return ProcessesOfAttempt(execs[0].id).empty(); }, 10))
      << "a process of the cancelled attempt survived";
}

// Through a Gateway the turn runs in the Gateway, not in the attempt's
// processes. A cancel with a grace gives the CLI its TERM first, and OpenClaw
// then sends chat.abort for its run: the turn ends, and so does its model
// request, long before the Gateway's own timeout (600 s here). With no grace
// (the case above) the request stays open until that timeout.
class GatewayTest : public RuntimeTest {};

TEST_P(GatewayTest, ACancelWithAGraceEndsTheTurnInTheGateway) {
  auto svc = Service("abort", 0, 600, /*kill_grace_seconds=*/5);
  std::string id;
  ASSERT_TRUE(StartAHangingTurn(*svc, &id));
  svc->Cancel(id);
  EXPECT_EQ(svc->WaitFinal(id, 30).status, TaskStatus::kCancelled);
  EXPECT_TRUE(e2e::WaitFor(
      [&] {
        const std::string log = model().Log();
        return ClosedHangingRequests(log) == HangingRequests(log);
      },
      30))
      << "the cancelled turn's model request is still open: the turn goes on in the Gateway\n"
      << model().Log();
}

// With agent.resume = "always", running a finished task again continues its
// session with the CLI's own flag: the model gets the earlier turn back. A
// preset without resume arguments starts a fresh session instead.
TEST_P(RuntimeTest, TheNextAttemptResumesTheSessionWhenThePresetCan) {
  auto svc = Service("resume", 0, 0, 1, "resume = \"always\"\n");
  const std::string id = svc->AddTask("Write the report", "Write it. SCENARIO:complete");
  ASSERT_EQ(svc->WaitFinal(id, Wait()).status, TaskStatus::kCompleted);
  const std::string first_session = svc->Executions(id).at(0).session_id;
  ASSERT_FALSE(first_session.empty());
  const std::string log_before = model().Log();

  svc->Execute(id);
  ASSERT_TRUE(e2e::WaitFor([&] { return svc->Executions(id).size() == 2; }, 30));
  Task t = svc->WaitFinal(id, Wait());
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc->ServiceLog();
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 2u);
  const SessionExecution& second = execs[1];
  EXPECT_EQ(second.status, ExecutionStatus::kCompleted) << second.error;
  const std::string log_after = model().Log();
  ASSERT_GT(log_after.size(), log_before.size());
  const std::string second_turn = log_after.substr(log_before.size());
  EXPECT_NE(second_turn.find(GetParam().request_mark), std::string::npos) << second_turn;
  if (!GetParam().resumes) {
    EXPECT_EQ(second.resumed_session_id, "");
    EXPECT_NE(second.session_id, first_session);
    EXPECT_GT(FreshConversations(second_turn), 0u) << second_turn;
    return;
  }
  EXPECT_EQ(second.resumed_session_id, first_session);
  // The CLI continued that session: it reports it again, and every request
  // of the second turn carried the first turn's reply.
  EXPECT_EQ(second.session_id, first_session);
  EXPECT_EQ(t.session_id, first_session);
  EXPECT_EQ(FreshConversations(second_turn), 0u) << second_turn;
}

// The agent's question comes through the real CLI's output (its JSON result
// or event stream): the task waits as needs_input, `task reply` answers it,
// and the next turn reaches the model with the answer and completes.
TEST_P(RuntimeTest, AQuestionWaitsForAReplyAndTheAnswerReachesTheModel) {
  auto svc = Service("ask", 0);
  const std::string id = svc->AddTask("Paint the shelves", "Paint them. SCENARIO:ask");
  Task asked = svc->WaitStatus(id, TaskStatus::kNeedsInput, Wait());
  EXPECT_EQ(asked.question, "Which colour should the shelves be?") << svc->ServiceLog();
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kNeedsInput);
  const std::string log_before = model().Log();

  svc->Reply(id, "Sea blue, two coats.");
  Task t = svc->WaitFinal(id, Wait());
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc->ServiceLog();
  EXPECT_EQ(t.output_summary, "painted them as told");
  const std::string second_turn = model().Log().substr(log_before.size());
  EXPECT_NE(second_turn.find("\"answered\": true"), std::string::npos) << second_turn;
  execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 2u);
  if (GetParam().resumes) {
    EXPECT_EQ(execs[1].resumed_session_id, execs[0].session_id);
  }
}

TEST_P(RuntimeTest, APromptOverAHundredKibReachesTheModelWhole) {
  auto svc = Service("big", 1);
  std::string description = "Read all of this. SCENARIO:complete\n";
  while (description.size() < 110 * 1024) description += "The quick brown fox jumps. ";
  const std::string id = svc->AddTask("Read the long brief", description);
  Task t = svc->WaitFinal(id, Wait());
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message;
  auto execs = svc->Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].summary, "wrote the report");
  EXPECT_TRUE(LoggedRequestOver(model().Log(), description.size()))
      << "no request to the model carried the whole prompt";
}

// agent.approvals with the real CLIs: the stand-in's SCENARIO:shell asks
// for a shell call (Claude Code's Bash, Codex's exec_command, Gemini CLI's
// run_shell_command) that creates shell-ran.txt in the attempt's folder.
struct ApprovalRuntime {
  const char* name;
  std::string (*agent_toml)(const std::string& dir, const std::string& model_url,
                            int timeout_seconds);
  // How a refusal under "deny" is recorded, and what its message quotes.
  ErrorType refusal_type;
  const char* refusal;
  // Whether "allow-listed" lets a shell command that creates a file in the
  // attempt's folder run (Gemini CLI's auto_edit allows edits only).
  bool allow_listed_runs_shell;
  // [agent.env] lines "bypass" needs: Claude Code refuses
  // --dangerously-skip-permissions to root unless told the machine is a
  // sandbox (the tests run as root in CI).
  const char* bypass_env;
};

const ApprovalRuntime kApprovalRuntimes[] = {
    {"claude", ClaudeToml, ErrorType::kApprovalRequired, "Bash (touch shell-ran.txt)", true,
     "IS_SANDBOX = \"1\"\n"},
    {"codex", CodexToml, ErrorType::kApprovalRequired,
     "touch shell-ran.txt': touch: cannot touch 'shell-ran.txt': Read-only file system", true, ""},
    // Headless Gemini CLI leaves the shell tool out of what the model may
    // call: a model that calls it anyway is told it does not exist, and
    // its failure is recorded as it reported it.
    {"gemini", GeminiToml, ErrorType::kExecutionError, "Tool \\\"run_shell_command\\\" not found",
     false, ""},
};

class ApprovalTest : public RealCliTest, public ::testing::WithParamInterface<ApprovalRuntime> {
 protected:
  // `env_lines`: more [agent.env] entries.
  std::unique_ptr<ServiceUnderTest> Service(const std::string& name, const std::string& approvals,
                                            const std::string& env_lines = "") {
    return std::make_unique<ServiceUnderTest>(
        std::string(GetParam().name) + "_" + name, cli_path(),
        "approvals = \"" + approvals + "\"\n" +
            GetParam().agent_toml(dir_.path, model().base_url(), 60) + env_lines,
        2);
  }
  static bool ShellRan(ServiceUnderTest& svc, const SessionExecution& e) {
    // The agent's cwd: the task's workspace.
    return std::filesystem::exists(svc.dir() + "/work/" + e.task_id + "/shell-ran.txt");
  }
  // Runs the shell scenario under `approvals` and expects the command ran.
  void ExpectTheShellRan(const std::string& approvals, const std::string& env_lines = "") {
    auto svc = Service(approvals, approvals, env_lines);
    const std::string id = svc->AddTask("Make the marker", "Make it. SCENARIO:shell");
    Task t = svc->WaitFinal(id, 120);
    EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc->ServiceLog();
    auto execs = svc->Executions(id);
    ASSERT_EQ(execs.size(), 1u);
    EXPECT_EQ(execs[0].summary, "ran the shell command");
    EXPECT_TRUE(ShellRan(*svc, execs[0]));
  }
  // Runs the shell scenario under `approvals` and expects a refusal, recorded
  // once.
  void ExpectTheShellRefused(const std::string& approvals) {
    auto svc = Service(approvals, approvals);
    const std::string id = svc->AddTask("Make the marker", "Make it. SCENARIO:shell");
    Task t = svc->WaitFinal(id, 120);
    EXPECT_EQ(t.status, TaskStatus::kFailed);
    EXPECT_EQ(t.error_type, GetParam().refusal_type) << t.error_message;
    EXPECT_NE(t.error_message.find(GetParam().refusal), std::string::npos) << t.error_message;
    auto execs = svc->Executions(id);
    ASSERT_EQ(execs.size(), 1u) << "a refusal is not retried";
    EXPECT_FALSE(ShellRan(*svc, execs[0]));
  }
  ScopedTempDir dir_{"approval_cfg"};
};

TEST_P(ApprovalTest, AShellCommandNeedingApprovalIsRefusedNotRetried) {
  ExpectTheShellRefused("deny");
}

TEST_P(ApprovalTest, AllowListedLetsACommandInTheWorkFolderRun) {
  if (GetParam().allow_listed_runs_shell) {
    ExpectTheShellRan("allow-listed");
  } else {
    ExpectTheShellRefused("allow-listed");
  }
}

TEST_P(ApprovalTest, BypassLetsTheShellCommandRun) {
  ExpectTheShellRan("bypass", GetParam().bypass_env);
}

// OpenClaw keeps its exec policy in its own config (tools.exec.mode in
// openclaw.json, tightened by its approvals state), not on its command line,
// so agent.approvals does not reach it; whatever the user chose there, a
// refusal must end the attempt as approval_required, once. Run through the
// default preset (agent --local, no Gateway): under "ask" the approval cannot
// even be registered; under "full" the command runs, in the agent's
// workspace (OpenClaw's tools start there).
class OpenClawApprovalTest : public RealCliTest {
 protected:
  std::unique_ptr<ServiceUnderTest> Service(const std::string& mode) {
    const std::string config = OpenClawConfig(dir_.path, model().base_url(), TeamRoster(),
                                              R"("tools": {"exec": {"mode": ")" + mode + R"("}},)");
    return std::make_unique<ServiceUnderTest>(
        "openclaw_exec_" + mode, cli_path(),
        "timeout_seconds = 120\n[agent.env]\nOPENCLAW_CONFIG_PATH = \"" + config + "\"\n", 2);
  }
  static bool ShellRan(ServiceUnderTest& svc) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(svc.dir() + "/home")) {
      if (entry.path().filename() == "shell-ran.txt") return true;
    }
    return false;
  }
  ScopedTempDir dir_{"openclaw_approval"};
};

TEST_F(OpenClawApprovalTest, ACommandItsPolicyWouldAskAboutIsApprovalRequiredNotRetried) {
  auto svc = Service("ask");
  const std::string id = svc->AddTask("Make the marker", "Make it. SCENARIO:shell");
  Task t = svc->WaitFinal(id, 240);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kApprovalRequired) << t.error_message;
  EXPECT_NE(t.error_message.find("Exec approval registration failed"), std::string::npos)
      << t.error_message;
  EXPECT_EQ(svc->Executions(id).size(), 1u) << "a refusal is not retried";
  EXPECT_FALSE(ShellRan(*svc));
}

TEST_F(OpenClawApprovalTest, UnderFullTheCommandRuns) {
  auto svc = Service("full");
  const std::string id = svc->AddTask("Make the marker", "Make it. SCENARIO:shell");
  Task t = svc->WaitFinal(id, 240);
  EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.error_message << "\n" << svc->ServiceLog();
  EXPECT_EQ(t.output_summary, "ran the shell command");
  EXPECT_TRUE(ShellRan(*svc));
}

// `config check` with the `openclaw` preset asks the real OpenClaw for its
// Gateway's health; with none configured it refuses, saying what to do.
class GatewayCheckTest : public RealCliTest {
 protected:
  ScopedTempDir dir_{"gateway_check"};
};

TEST_F(GatewayCheckTest, ConfigCheckRefusesTheGatewayPresetWithoutAGateway) {
  const std::string openclaw_json =
      OpenClawConfig(dir_.path, model().base_url(), R"({"id": "main", "default": true})");
  const std::string config = dir_.path + "/taskexec.toml";
  e2e::WriteFile(config, "[store]\ndb_path = \"" + dir_.path +
                             "/tasks.db\"\n[agent]\npreset = \"openclaw\"\n[agent.env]\n"
                             "OPENCLAW_CONFIG_PATH = \"" +
                             openclaw_json + "\"\n");
  std::filesystem::create_directories(dir_.path + "/home");
  const char* path = getenv("PATH");
  e2e::CommandResult r = e2e::Run({e2e::TaskexecBinary(), "--config", config, "config", "check"},
                                  {{"PATH", cli_path() + ":" + (path ? path : "/usr/bin:/bin")},
                                   {"HOME", dir_.path + "/home"}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot reach it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gateway health requires credentials"), std::string::npos) << r.err;
}

std::string RuntimeName(const ::testing::TestParamInfo<Runtime>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Cli, RuntimeTest, ::testing::ValuesIn(kRuntimes), RuntimeName);
INSTANTIATE_TEST_SUITE_P(Cli, ApprovalTest, ::testing::ValuesIn(kApprovalRuntimes),
                         [](const ::testing::TestParamInfo<ApprovalRuntime>& info) {
                           return std::string(info.param.name);
                         });
INSTANTIATE_TEST_SUITE_P(Cli, GatewayTest, ::testing::Values(kRuntimes[6]), RuntimeName);
INSTANTIATE_TEST_SUITE_P(Cli, ModelErrorTest,
                         ::testing::Values(kRuntimes[0], kRuntimes[1], kRuntimes[5]), RuntimeName);

}  // namespace
}  // namespace taskexec::agents
