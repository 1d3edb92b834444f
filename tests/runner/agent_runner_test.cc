// AgentRunner end to end with the scripted fake agent (tests/fakes/fake_agent.sh)
// in the seed's argv form.
#include "runner/agent_runner.h"
#include "runner/cpu_priority.h"
#include "runner/exit_record.h"
#include "runner/presets.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "runner/prompt.h"
#include "runner/stdout_copy.h"
#include "runner_test_util.h"

namespace taskexec {
namespace {

using testing::FakeAgent;
using testing::ProcessGone;
using testing::ReadFile;
using testing::TempDir;
using testing::Waiter;
using testing::WaitUntil;

// Every AgentRunnerTest runs twice: the agent as the runner's own child,
// and started through the per-attempt supervisor (runner/exit_record.h),
// which must not change what the runner sees.
class AgentRunnerTest : public ::testing::TestWithParam<bool> {
 protected:
  AgentConfig Config(const std::string& mode) {
    AgentConfig c;
    c.command = {FakeAgent(), "--agent",        "{agent}",  "--label", "task-{task_id}",
                 "--context", "{context_json}", "--prompt", "{prompt}"};
    c.work_dir = dir_.Sub("work");
    c.log_dir = dir_.Sub("logs");
    c.timeout_seconds = 120;
    c.kill_grace_seconds = 5;
    if (!mode.empty()) c.env["FAKE_AGENT_MODE"] = mode;
    return c;
  }

  AgentRunner& Runner(const AgentConfig& c) {
    AgentEnvPolicy policy;
    policy.extra = c.env;
    runner_ = std::make_unique<AgentRunner>(c, &sup_, &clock_,
                                            AgentEnvironment(ProcessEnvironment(), policy));
    if (GetParam()) runner_->SetAttemptShim(testing::AttemptShim());
    return *runner_;
  }

  static AgentJob Job(const std::string& n = "1") {
    AgentJob job;
    job.task.id = "task-" + n;
    job.task.title = "Test task " + n;
    job.task.description = "Do the thing.";
    job.task.type = "code";
    job.task.priority = Priority::kHigh;
    job.task.context_json = R"({"repo":"web"})";
    job.execution.id = "exec-" + n;
    job.execution.task_id = job.task.id;
    job.execution.agent = "temujin";
    job.execution.attempt = 2;
    return job;
  }

  AgentResult RunJob(AgentRunner& runner, const AgentJob& job) {
    Waiter<AgentResult> w;
    int64_t pid = 0;
    Status s = runner.Start(
        job, [&](const AgentResult& r) { w.Set(r); }, &pid);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return AgentResult{};
    EXPECT_GT(pid, 0);
    auto r = w.Wait();
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_EQ(r->pid, pid);
    }
    return r.value_or(AgentResult{});
  }

  // Starts Job() on a runner whose agent hangs ("hang" mode) and waits until
  // its grandchild runs; *grandchild = that process.
  void StartHanging(AgentRunner& runner, Waiter<AgentResult>* done, long* grandchild) {
    ASSERT_TRUE(runner
                    .Start(
                        Job(), [done](const AgentResult& r) { done->Set(r); }, nullptr)
                    .ok());
    *grandchild = WaitForPidFile(runner.WorkspaceOf(Job()) + "/grandchild.pid");
    ASSERT_GT(*grandchild, 0) << "the fake agent did not start in time";
  }

  long WaitForPidFile(const std::string& path) {
    long pid = 0;
    WaitUntil([&] {
      std::string s = ReadFile(path);
      if (s.empty() || s.back() != '\n') return false;
      pid = std::stol(s);
      return true;
    });
    return pid;
  }

  TempDir dir_;
  ManualClock clock_{1700000000000};
  std::unique_ptr<AgentRunner> runner_;  // destroyed after sup_ has stopped
  ProcessSupervisor sup_;
};

INSTANTIATE_TEST_SUITE_P(DirectAndSupervised, AgentRunnerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "ThroughTaskexecAttempt" : "Direct";
                         });

std::vector<std::string> SplitNul(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

TEST_P(AgentRunnerTest, ArgvIsDeliveredByteForByteWithoutAShell) {
  AgentRunner& runner = Runner(Config("echo-argv"));
  AgentJob job = Job();
  job.task.title = "quotes ' \" and $(touch pwned) `id` ; | & > <";
  job.task.description = "line1\nline2\n\ttabbed \\ backslash \xff\xfe invalid utf-8 $HOME *";
  job.task.context_json = R"js({"q":"it's \"quoted\"","cmd":"$(reboot)"})js";
  AgentResult r = RunJob(runner, job);
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;

  std::string prompt = BuildPrompt(job.task, job.execution, "", "");
  std::vector<std::string> expected = {"--agent",     "temujin",   "--label",
                                       "task-task-1", "--context", job.task.context_json,
                                       "--prompt",    prompt};
  EXPECT_EQ(SplitNul(ReadFile(runner.ArtifactsDir("exec-1") + "/argv.bin")), expected);
  EXPECT_FALSE(std::filesystem::exists(runner.WorkspaceOf(Job()) + "/pwned"));

  // The child's environment and working directory.
  std::string env = ReadFile(runner.ArtifactsDir("exec-1") + "/env.txt");
  for (const std::string& line :
       {std::string("TASKEXEC_TASK_ID=task-1"), std::string("TASKEXEC_EXECUTION_ID=exec-1"),
        std::string("TASKEXEC_ATTEMPT=2"), std::string("TASKEXEC_AGENT=temujin"),
        "TASKEXEC_ARTIFACTS_DIR=" + runner.ArtifactsDir("exec-1"),
        "TASKEXEC_LOG=" + runner.LogPath("exec-1")}) {
    EXPECT_NE(env.find(line + "\n"), std::string::npos) << line << "\n" << env;
  }
  // The prompt went by argv: no prompt file is written, and none is named.
  EXPECT_FALSE(runner.WritesPromptFile());
  EXPECT_EQ(env.find("TASKEXEC_PROMPT_FILE"), std::string::npos) << env;
  EXPECT_FALSE(std::filesystem::exists(runner.PromptFile("exec-1")));
}

// An attempt's processes run agent.nice levels below the service, the
// agent's own children too; 0 leaves them at the service's priority.
// Through the supervisor the agent starts lowered; started directly it is
// lowered just after its start (posix_spawn cannot set a niceness), so
// there it first waits until that has happened, which it always does: an
// agent never lowered runs into the timeout and fails the test.
TEST_P(AgentRunnerTest, TheAgentAndItsChildrenRunAgentNiceBelowTheService) {
  const int own = NiceBelowOwn(0);
  ASSERT_LE(own, 12) << "this test needs room below its own priority";
  const bool supervised = GetParam();
  for (int increment : {7, 0}) {
    SCOPED_TRACE("agent.nice = " + std::to_string(increment));
    AgentConfig c = Config("");
    // `nice` with no operand prints the niceness it runs at.
    std::string script = "nice; sh -c nice";
    if (!supervised && increment > 0) {
      script = "while [ \"$(nice)\" = " + std::to_string(own) + " ]; do :; done; " + script;
    }
    c.command = {"/bin/sh", "-c", script};
    c.timeout_seconds = 60;
    c.nice = increment;
    AgentJob job = Job(std::to_string(increment));
    AgentResult r = RunJob(Runner(c), job);
    ASSERT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
    const std::string expected = std::to_string(own + increment) + "\n";
    EXPECT_EQ(ReadFile(runner_->LogPath(job.execution.id)), expected + expected);
  }
}

// With taskexec's secrets in its environment and the config, a child sees
// the allow-list, agent.env and agent.pass_env, and none of the secrets, even
// where a pass_env glob or a differently named variable would carry one.
TEST_P(AgentRunnerTest, AgentEnvironmentIsBuiltAndWithholdsSecrets) {
  const std::map<std::string, std::string> vars = {
      {"NOTION_TOKEN", "marker-notion-7c1"},
      {"TASKEXEC_SERVER_TOKEN", "marker-server-7c1"},
      {"TASKEXEC_NOTION_WEBHOOK_SECRET", "marker-webhook-7c1"},
      {"NEO4J_PASSWORD", "marker-neo4j-7c1"},
      {"NOTION_COPY", "marker-notion-7c1"},  // a secret under another name
      {"TASKEXEC_DB", "/somewhere/tasks.db"},
      {"OPENAI_API_KEY", "user-key-for-agent"},
      {"UNLISTED_VAR", "not for agents"}};
  for (const auto& [k, v] : vars) ASSERT_EQ(setenv(k.c_str(), v.c_str(), 1), 0);
  taskexec::Config config;
  config.agent = Config("echo-argv");
  config.agent.pass_env = {"OPENAI_*", "NOTION_*", "NEO4J_*"};
  config.notion.token = "marker-notion-7c1";
  config.server.token = "marker-server-7c1";
  config.notion.webhook_secret = "marker-webhook-7c1";
  config.neo4j.password = "marker-neo4j-7c1";
  AgentEnvironment environment = AgentEnvironment::FromConfig(config, ProcessEnvironment());
  for (const auto& [k, v] : vars) unsetenv(k.c_str());
  runner_ = std::make_unique<AgentRunner>(config.agent, &sup_, &clock_, environment);
  AgentResult r = RunJob(*runner_, Job());
  ASSERT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;

  std::string env = "\n" + ReadFile(runner_->ArtifactsDir("exec-1") + "/env-all.txt");
  EXPECT_EQ(env.find("marker-"), std::string::npos) << env;
  EXPECT_EQ(env.find("UNLISTED_VAR"), std::string::npos) << env;
  EXPECT_EQ(env.find("TASKEXEC_DB="), std::string::npos) << env;
  EXPECT_NE(env.find("\nOPENAI_API_KEY=user-key-for-agent\n"), std::string::npos) << env;
  EXPECT_NE(env.find("\nFAKE_AGENT_MODE=echo-argv\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_NE(env.find("\nTASKEXEC_TASK_ID=task-1\n"), std::string::npos) << env;
  std::vector<std::string> withheld = environment.withheld();
  EXPECT_EQ(withheld, (std::vector<std::string>{"NEO4J_PASSWORD", "NOTION_COPY", "NOTION_TOKEN"}));
}

// OpenClaw presets keep OpenClaw from re-spawning itself outside the
// attempt's process group; agent.env may still override it, and a command of
// the user's own gets nothing of a preset.
TEST(AgentEnvironmentTest, PresetSettingsSitUnderAgentEnv) {
  auto value_of = [](const AgentEnvironment& env, const std::string& name) {
    for (const std::string& kv : env.ForAttempt({})) {
      if (kv.rfind(name + "=", 0) == 0) return kv.substr(name.size() + 1);
    }
    return std::string("(unset)");
  };
  taskexec::Config config;
  config.agent.preset = "openclaw-local";
  EXPECT_EQ(value_of(AgentEnvironment::FromConfig(config, {}), "OPENCLAW_NO_RESPAWN"), "1");
  config.agent.preset = "claude";
  EXPECT_EQ(value_of(AgentEnvironment::FromConfig(config, {}), "OPENCLAW_NO_RESPAWN"), "(unset)");
  config.agent.preset = "openclaw";
  config.agent.env["OPENCLAW_NO_RESPAWN"] = "0";
  EXPECT_EQ(value_of(AgentEnvironment::FromConfig(config, {}), "OPENCLAW_NO_RESPAWN"), "0");
  config.agent.env.clear();
  config.agent.command = {"openclaw", "agent", "--json"};
  EXPECT_EQ(value_of(AgentEnvironment::FromConfig(config, {}), "OPENCLAW_NO_RESPAWN"), "(unset)");
}

TEST_P(AgentRunnerTest, SuccessSummarySessionAndLog) {
  AgentRunner& runner = Runner(Config("succeed"));
  AgentResult r = RunJob(runner, Job());
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_TRUE(r.error_type == ErrorType::kNone);
  EXPECT_EQ(r.summary, "fake agent finished task-1");
  EXPECT_EQ(r.session_id, "fake-exec-1");
  EXPECT_EQ(r.exit_code, 0);
  std::string log = ReadFile(runner.LogPath("exec-1"));
  EXPECT_NE(log.find("fake agent: step 2 of 2\n"), std::string::npos) << log;
  EXPECT_NE(log.find("TASK_COMPLETE: fake agent finished task-1\n"), std::string::npos);
  EXPECT_EQ(runner.running(), 0u);
}

TEST_P(AgentRunnerTest, ModeFromTheTaskTitle) {
  AgentRunner& runner = Runner(Config(""));
  AgentJob job = Job();
  job.task.title = "please fake-mode=fail now";
  AgentResult r = RunJob(runner, job);
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
  EXPECT_NE(r.error.find("fake failure requested"), std::string::npos) << r.error;
}

TEST_P(AgentRunnerTest, FailuresAndExitCodes) {
  {
    AgentResult r = RunJob(Runner(Config("fail")), Job("a"));
    EXPECT_EQ(r.status, ExecutionStatus::kFailed);
    EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
    EXPECT_FALSE(r.retryable);
    EXPECT_EQ(r.exit_code, 1);
  }
  {
    AgentResult r = RunJob(Runner(Config("fail-retryable")), Job("b"));
    EXPECT_EQ(r.error_type, ErrorType::kConnectionError);
    EXPECT_TRUE(r.retryable);
  }
  {
    AgentConfig c = Config("exit");
    c.env["FAKE_AGENT_EXIT_CODE"] = "5";
    AgentResult r = RunJob(Runner(c), Job("c"));
    EXPECT_EQ(r.status, ExecutionStatus::kFailed);
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
    EXPECT_NE(r.error.find("something broke"), std::string::npos) << r.error;
  }
}

TEST_P(AgentRunnerTest, CrashIsRetryable) {
  AgentResult r = RunJob(Runner(Config("crash")), Job());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kCrash);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.term_signal, SIGSEGV);
  EXPECT_FALSE(r.exit_code.has_value());
}

TEST_P(AgentRunnerTest, TimeoutKillsTheAgentAndItsGrandchild) {
  AgentConfig c = Config("hang");
  c.timeout_seconds = 4;
  c.kill_grace_seconds = 1;
  AgentRunner& runner = Runner(c);
  Waiter<AgentResult> w;
  long grandchild = 0;
  ASSERT_NO_FATAL_FAILURE(StartHanging(runner, &w, &grandchild));
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(r->error_type, ErrorType::kTimeoutError);
  EXPECT_TRUE(r->retryable);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }));
}

// Live progress: while the agent runs, the runner gives its last meaningful
// line (the coloured line, the JSON event and the rule after it do not
// count); the ended attempt keeps it in its result.
TEST_P(AgentRunnerTest, TheRunningAgentsLastMeaningfulLine) {
  AgentRunner& runner = Runner(Config("progress"));
  Waiter<AgentResult> w;
  long grandchild = 0;
  ASSERT_NO_FATAL_FAILURE(StartHanging(runner, &w, &grandchild));
  EXPECT_TRUE(
      WaitUntil([&] { return runner.Progress("exec-1").last_line == "working on the parser"; }));
  EXPECT_GE(runner.Progress("exec-1").last_output_at, clock_.NowMs());
  ASSERT_TRUE(runner.Cancel("exec-1").ok());
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ExecutionStatus::kCancelled);
  EXPECT_EQ(r->last_output_line, "working on the parser");
  EXPECT_EQ(runner.Progress("exec-1").last_line, "");  // not running any more
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }));
}

// agent.stall_seconds: an agent that says one line and then nothing is
// stopped with its grandchild, long before its timeout, as "stalled"; while
// it runs the runner tells when it last spoke (on the runner's clock).
TEST_P(AgentRunnerTest, ASilentAgentIsStoppedAsStalled) {
  AgentConfig c = Config("hang");
  c.timeout_seconds = 600;
  c.stall_seconds = 1;
  c.kill_grace_seconds = 1;
  AgentRunner& runner = Runner(c);
  Waiter<AgentResult> w;
  long grandchild = 0;
  ASSERT_NO_FATAL_FAILURE(StartHanging(runner, &w, &grandchild));
  EXPECT_TRUE(
      WaitUntil([&] { return runner.Progress("exec-1").last_output_at >= clock_.NowMs(); }));
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(r->error_type, ErrorType::kStalled);
  EXPECT_TRUE(r->retryable);
  EXPECT_NE(r->error.find("no output on stdout or stderr"), std::string::npos) << r->error;
  EXPECT_GE(r->last_output_at, clock_.NowMs());
  EXPECT_EQ(runner.Progress("exec-1").last_output_at, 0);  // not running any more
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }));
}

TEST_P(AgentRunnerTest, TermIgnoringAgentIsKilledAfterTheGrace) {
  AgentConfig c = Config("hang-ignore-term");
  c.timeout_seconds = 0;  // no timeout: cancel only
  c.kill_grace_seconds = 1;
  AgentRunner& runner = Runner(c);
  Waiter<AgentResult> w;
  ASSERT_TRUE(runner
                  .Start(
                      Job(), [&](const AgentResult& r) { w.Set(r); }, nullptr)
                  .ok());
  long grandchild = WaitForPidFile(runner.WorkspaceOf(Job()) + "/grandchild.pid");
  ASSERT_GT(grandchild, 0);
  ASSERT_TRUE(runner.Cancel("exec-1").ok());
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ExecutionStatus::kCancelled);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }));
}

TEST_P(AgentRunnerTest, CancelAndDuplicateStart) {
  AgentRunner& runner = Runner(Config("hang"));
  Waiter<AgentResult> w;
  ASSERT_TRUE(runner
                  .Start(
                      Job(), [&](const AgentResult& r) { w.Set(r); }, nullptr)
                  .ok());
  EXPECT_EQ(runner.running(), 1u);
  Status dup = runner.Start(
      Job(), [](const AgentResult&) {}, nullptr);
  EXPECT_TRUE(dup.IsConflict()) << dup.ToString();
  long grandchild = WaitForPidFile(runner.WorkspaceOf(Job()) + "/grandchild.pid");
  ASSERT_TRUE(runner.Cancel("exec-1").ok());
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ExecutionStatus::kCancelled);
  EXPECT_EQ(r->error_type, ErrorType::kCancelled);
  EXPECT_FALSE(r->retryable);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }));
  EXPECT_TRUE(runner.Cancel("exec-1").IsNotFound());
  EXPECT_EQ(runner.running(), 0u);
}

TEST_P(AgentRunnerTest, ArtifactsWithSha256) {
  AgentRunner& runner = Runner(Config("artifacts"));
  AgentResult r = RunJob(runner, Job());
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
  EXPECT_EQ(r.summary, "wrote artifacts");
  ASSERT_EQ(r.artifacts.size(), 3u);  // report.txt, sub/data.bin, listed extra.txt; link skipped
  EXPECT_EQ(r.artifacts[0].name, "report.txt");
  EXPECT_EQ(r.artifacts[0].sha256,
            "51bc0fc1f19104fa6e89ce50be9aa1f57c3346c1ca51ab49f5f00e14ce8f8076");
  EXPECT_EQ(r.artifacts[0].size, 15);
  EXPECT_EQ(r.artifacts[1].name, "sub/data.bin");
  EXPECT_EQ(r.artifacts[2].name, "extra.txt");
  EXPECT_EQ(r.artifacts[2].path,
            std::filesystem::canonical(runner.WorkspaceOf(Job()) + "/extra.txt").string());
  for (const auto& a : r.artifacts) {
    EXPECT_EQ(a.task_id, "task-1");
    EXPECT_EQ(a.execution_id, "exec-1");
    EXPECT_EQ(a.created_at, clock_.NowMs());
    EXPECT_FALSE(a.id.empty());
  }
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("missing.txt"), std::string::npos);
}

TEST_P(AgentRunnerTest, GarbageOutputIsHandled) {
  AgentResult r = RunJob(Runner(Config("garbage")), Job());
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(SanitizeText(r.summary, 100000), r.summary);
  EXPECT_FALSE(r.summary.empty());
}

TEST_P(AgentRunnerTest, OpenClawAndClaudeJsonThroughAProcess) {
  AgentResult oc = RunJob(Runner(Config("openclaw-json")), Job("a"));
  EXPECT_EQ(oc.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(oc.summary, "fixed the login bug");
  EXPECT_EQ(oc.session_id, "oc-session-42");
  AgentResult cl = RunJob(Runner(Config("claude-json")), Job("b"));
  EXPECT_EQ(cl.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(cl.summary, "claude did it");
  EXPECT_EQ(cl.session_id, "claude-sess-7");
}

// OpenClaw's --json result echoes the prompt, so a big prompt makes a result
// far larger than the in-memory tail: it is read whole from the stdout copy.
TEST_P(AgentRunnerTest, ResultLargerThanTheTailIsReadWhole) {
  AgentConfig c = Config("openclaw-json-huge");
  AgentResult r = RunJob(Runner(c), Job("h"));
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
  EXPECT_EQ(r.error, "the repository is archived");
  EXPECT_EQ(r.session_id, "oc-session-huge");
  EXPECT_TRUE(r.warnings.empty());
  // The copy served the parse and is gone; the log keeps the output.
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("logs") + "/exec-h.stdout"));
  EXPECT_GT(ReadFile(runner_->LogPath("exec-h")).size(), 200u * 1024);
}

TEST(StdoutForParsing, TailWhenWholeElseCopyElseTailWithAWarning) {
  TempDir dir;
  ProcessResult p;
  p.stdout_tail = "tail";
  p.stdout_bytes = 4;
  std::string warning;
  EXPECT_EQ(StdoutForParsing(p, dir.Sub("none"), 100, &warning), "tail");
  EXPECT_TRUE(warning.empty());

  p.stdout_bytes = 10;
  { std::ofstream(dir.Sub("copy")) << "012345tail"; }
  EXPECT_EQ(StdoutForParsing(p, dir.Sub("copy"), 100, &warning), "012345tail");
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(StdoutForParsing(p, dir.Sub("copy"), 6, &warning), "45tail");
  EXPECT_NE(warning.find("last 6"), std::string::npos) << warning;

  warning.clear();
  EXPECT_EQ(StdoutForParsing(p, dir.Sub("none"), 100, &warning), "tail");
  EXPECT_NE(warning.find("does not hold all of it"), std::string::npos) << warning;
}

// With stdin_mode = prompt the agent reads the prompt on stdin, a small one
// and one larger than a pipe holds (3 MiB) alike.
TEST_P(AgentRunnerTest, PromptOnStdin) {
  AgentConfig c = Config("stdin");
  c.command = {FakeAgent()};
  c.stdin_mode = "prompt";
  AgentRunner& runner = Runner(c);
  for (const size_t description : {size_t{13}, size_t{3} << 20}) {
    AgentJob job = Job(std::to_string(description));
    job.task.description = std::string(description, 'd');
    AgentResult r = RunJob(runner, job);
    EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
    EXPECT_EQ(ReadFile(runner.ArtifactsDir(job.execution.id) + "/stdin.txt"),
              BuildPrompt(job.task, job.execution, "", ""))
        << description << " bytes of description";
    // On stdin, so no prompt file.
    EXPECT_FALSE(std::filesystem::exists(runner.PromptFile(job.execution.id)));
  }
  EXPECT_FALSE(runner.WritesPromptFile());
}

// Which agents get a prompt file: those whose command names it (even with
// the prompt also on stdin or in argv), and those given the prompt no other
// way (they read TASKEXEC_PROMPT_FILE); not one given it in argv or on stdin.
TEST_P(AgentRunnerTest, PromptFileOnlyForAgentsThatReadIt) {
  struct Case {
    std::vector<std::string> command;
    std::string stdin_mode;
    bool writes;
  };
  const std::string agent = FakeAgent();
  const std::vector<Case> cases = {
      {{agent}, "none", true},
      {{agent, "--message-file", "{prompt_file}"}, "none", true},
      {{agent, "--message-file", "{prompt_file}"}, "prompt", true},
      {{agent, "--both", "{prompt}", "{prompt_file}"}, "none", true},
      {{agent, "--prompt", "{prompt}"}, "none", false},
      {{agent, "--prompt={prompt}"}, "none", false},
      {{agent}, "prompt", false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    AgentConfig c = Config("echo-argv");
    c.command = cases[i].command;
    c.stdin_mode = cases[i].stdin_mode;
    AgentRunner& runner = Runner(c);
    EXPECT_EQ(runner.WritesPromptFile(), cases[i].writes) << i;
    AgentJob job = Job(std::to_string(i));
    AgentResult r = RunJob(runner, job);
    EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << i << ": " << r.error;
    const std::string file = runner.PromptFile(job.execution.id);
    const std::string env = ReadFile(runner.ArtifactsDir(job.execution.id) + "/env.txt");
    if (cases[i].writes) {
      EXPECT_EQ(ReadFile(file), BuildPrompt(job.task, job.execution, "", "")) << i;
      EXPECT_NE(env.find("TASKEXEC_PROMPT_FILE=" + file + "\n"), std::string::npos) << i << env;
    } else {
      EXPECT_FALSE(std::filesystem::exists(file)) << i;
      EXPECT_EQ(env.find("TASKEXEC_PROMPT_FILE"), std::string::npos) << i << env;
    }
  }
}

TEST_P(AgentRunnerTest, HugePromptInArgvIsRefusedButPromptFileWorks) {
  AgentJob job = Job();
  job.task.description = std::string(1 << 20, 'd');  // 1 MiB
  {
    AgentRunner& runner = Runner(Config("succeed"));
    bool called = false;
    Status s = runner.Start(
        job, [&](const AgentResult&) { called = true; }, nullptr);
    ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find("{prompt}"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("MAX_ARG_STRLEN"), std::string::npos) << s.message();
    EXPECT_FALSE(called);
    EXPECT_EQ(runner.running(), 0u);
  }
  AgentConfig c = Config("echo-argv");
  c.command = {FakeAgent(), "--message-file", "{prompt_file}", "--timeout", "{timeout_seconds}"};
  AgentRunner& runner = Runner(c);
  AgentResult r = RunJob(runner, job);
  EXPECT_EQ(r.status, ExecutionStatus::kCompleted) << r.error;
  // Beside the log, not among the attempt's artifacts.
  std::string prompt_file = runner.LogPath("exec-1");
  prompt_file.replace(prompt_file.size() - 4, 4, ".prompt.md");
  EXPECT_EQ(runner.PromptFile("exec-1"), prompt_file);
  EXPECT_EQ(SplitNul(ReadFile(runner.ArtifactsDir("exec-1") + "/argv.bin")),
            (std::vector<std::string>{"--message-file", prompt_file, "--timeout", "120"}));
  std::string written = ReadFile(prompt_file);
  EXPECT_EQ(written, BuildPrompt(job.task, job.execution, "", ""));
  EXPECT_GT(written.size(), 1u << 20);
}

TEST_P(AgentRunnerTest, StartErrors) {
  AgentConfig c = Config("succeed");
  c.command = {"{agent}-cli", "{bogus}"};
  Status s = Runner(c).Start(
      Job(), [](const AgentResult&) {}, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("{bogus}"), std::string::npos);

  c.command = {dir_.Sub("no-such-agent"), "{prompt}"};
  s = Runner(c).Start(
      Job(), [](const AgentResult&) {}, nullptr);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  AgentResult failed = FailedToStart(s);
  EXPECT_EQ(failed.status, ExecutionStatus::kFailed);
  EXPECT_EQ(failed.error_type, ErrorType::kSpawnError);
  EXPECT_FALSE(failed.retryable);
  EXPECT_NE(failed.error.find("no-such-agent"), std::string::npos);
  AgentResult bad_template = FailedToStart(Status::InvalidArgument("{bogus}"));
  EXPECT_EQ(bad_template.error_type, ErrorType::kInvalidCommand);
  EXPECT_FALSE(bad_template.retryable);
  AgentResult no_slot = FailedToStart(Status::IOError("posix_spawn: EAGAIN"));
  EXPECT_EQ(no_slot.error_type, ErrorType::kResourceError);
  EXPECT_TRUE(no_slot.retryable);
  EXPECT_TRUE(no_slot.service_fault);  // released by the engine, not the task's attempt
  EXPECT_FALSE(failed.service_fault);

  AgentJob bad = Job();
  bad.execution.id = "../escape";
  s = Runner(Config("succeed"))
          .Start(
              bad, [](const AgentResult&) {}, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument());
}

TEST_P(AgentRunnerTest, ResumeArgsAreAppendedOnlyWhenTheJobResumes) {
  AgentConfig c = Config("echo-argv");
  c.command = {FakeAgent(), "--agent", "{agent}"};
  c.resume_args = {"--resume", "{resume_session_id}"};
  AgentRunner& runner = Runner(c);
  AgentJob fresh = Job("1");
  ASSERT_EQ(RunJob(runner, fresh).status, ExecutionStatus::kCompleted);
  EXPECT_EQ(SplitNul(ReadFile(runner.ArtifactsDir("exec-1") + "/argv.bin")),
            (std::vector<std::string>{"--agent", "temujin"}));
  AgentJob resumed = Job("2");
  resumed.resume_session_id = "sess-9";
  ASSERT_EQ(RunJob(runner, resumed).status, ExecutionStatus::kCompleted);
  EXPECT_EQ(SplitNul(ReadFile(runner.ArtifactsDir("exec-2") + "/argv.bin")),
            (std::vector<std::string>{"--agent", "temujin", "--resume", "sess-9"}));
}

TEST_P(AgentRunnerTest, ApprovalsReachThePresetsCommandLine) {
  AgentConfig c;
  c.preset = "claude";
  EXPECT_EQ(ApprovalArgs(c), (std::vector<std::string>{"--permission-prompts", "none"}));
  c.approvals = "bypass";
  EXPECT_EQ(ApprovalArgs(c), (std::vector<std::string>{"--dangerously-skip-permissions"}));
  EXPECT_EQ(Runner(c).command_template(),
            (std::vector<std::string>{"claude", "-p", "--output-format", "json",
                                      "--dangerously-skip-permissions"}));
  c.command = {"my-agent"};  // a custom command states its own policy
  EXPECT_TRUE(ApprovalArgs(c).empty());
  c.command.clear();
  c.preset = "codex";  // never asks in exec mode: the sandbox is the policy
  c.approvals = "allow-listed";
  EXPECT_EQ(ApprovalArgs(c), (std::vector<std::string>{"--sandbox", "workspace-write"}));
  c.preset = "opencode";  // its own config decides
  EXPECT_TRUE(ApprovalArgs(c).empty());
}

TEST_P(AgentRunnerTest, PresetResumeArgsFollowThePresetNotACustomCommand) {
  AgentConfig c;
  c.preset = "claude";
  EXPECT_EQ(ResumeArgs(c), (std::vector<std::string>{"--resume", "{resume_session_id}"}));
  c.preset = "codex";
  EXPECT_EQ(ResumeArgs(c), (std::vector<std::string>{"resume", "{resume_session_id}", "-"}));
  c.preset = "opencode";
  EXPECT_TRUE(ResumeArgs(c).empty());
  c.command = {"my-agent"};
  EXPECT_TRUE(ResumeArgs(c).empty());
  c.resume_args = {"--continue", "{resume_session_id}"};
  EXPECT_EQ(ResumeArgs(c), c.resume_args);
  c.resume_args = {"--continue", "{session}"};
  Status s = AgentRunner::ValidateConfig(c);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("agent.resume_args[1]"), std::string::npos) << s.message();
}

// Claude Code's words when --resume names a session it does not have.
TEST_P(AgentRunnerTest, ARefusedResumeIsSessionNotFoundAndRetryable) {
  AgentConfig c = Config("");
  c.command = {"/bin/sh", "-c", "echo 'No conversation found with session ID: sess-9' >&2; exit 1"};
  AgentRunner& runner = Runner(c);
  AgentJob resumed = Job("1");
  resumed.resume_session_id = "sess-9";
  AgentResult r = RunJob(runner, resumed);
  EXPECT_EQ(r.error_type, ErrorType::kSessionNotFound) << r.error;
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("sess-9"), std::string::npos) << r.error;
  // The same words from an attempt that resumed nothing are the task's own.
  AgentResult fresh = RunJob(runner, Job("2"));
  EXPECT_NE(fresh.error_type, ErrorType::kSessionNotFound);
}

// Claude Code's -p --output-format json result when the plan's limit is
// reached, a Codex-style line on stderr, and a completion that only talks
// about limits.
TEST_P(AgentRunnerTest, AUsageLimitIsRecognisedWithItsReset) {
  AgentConfig c = Config("");
  c.command = {"/bin/sh", "-c",
               "printf '%s\\n' '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,"
               "\"result\":\"Claude AI usage limit reached|4102444800\",\"session_id\":\"s-1\"}'"};
  AgentResult claude = RunJob(Runner(c), Job("1"));
  EXPECT_EQ(claude.status, ExecutionStatus::kFailed);
  EXPECT_EQ(claude.error_type, ErrorType::kUsageLimit) << claude.error;
  EXPECT_TRUE(claude.retryable);
  EXPECT_EQ(claude.usage_limit_reset_at, 4'102'444'800'000);
  EXPECT_EQ(claude.error, "agent result: Claude AI usage limit reached|4102444800");

  c.command = {"/bin/sh", "-c",
               "echo \"ERROR: You've hit your usage limit. Try again in 3 hours.\" >&2; exit 1"};
  AgentResult codex = RunJob(Runner(c), Job("2"));
  EXPECT_EQ(codex.error_type, ErrorType::kUsageLimit) << codex.error;
  EXPECT_EQ(codex.usage_limit_reset_at, clock_.NowMs() + 3 * 3'600'000);

  c.command = {"/bin/sh", "-c", "echo 'TASK_COMPLETE: documented the usage limit reached page'"};
  AgentResult done = RunJob(Runner(c), Job("3"));
  EXPECT_EQ(done.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(done.usage_limit_reset_at, 0);
}

TEST_P(AgentRunnerTest, PresetCommandIsUsedWhenNoCommandIsConfigured) {
  AgentConfig c = Config("succeed");
  c.command.clear();
  c.preset = "openclaw";
  AgentRunner& runner = Runner(c);
  EXPECT_EQ(runner.command_template()[1], "agent");
  c.preset = "nope";
  Status s = Runner(c).Start(
      Job(), [](const AgentResult&) {}, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument());
}

// An attempt whose agent ended with no service to see it: the runner
// computes the same result from the supervisor's exit record -- unless the
// agent was stopped, or a completion would have needed a check the
// recovery does not run.
TEST_P(AgentRunnerTest, AnEndNoServiceSawIsReadFromItsExitRecord) {
  if (!GetParam()) GTEST_SKIP() << "only an agent started through taskexec-attempt has a record";
  AgentRunner& runner = Runner(Config("succeed"));
  const AgentJob job = Job();
  const AgentResult seen = RunJob(runner, job);
  ASSERT_EQ(seen.status, ExecutionStatus::kCompleted);
  SessionExecution execution = job.execution;
  AgentResult recovered;
  ASSERT_TRUE(runner.ResultFromExitRecord(execution, &recovered));
  EXPECT_EQ(recovered.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(recovered.summary, seen.summary);
  EXPECT_EQ(recovered.session_id, seen.session_id);
  EXPECT_EQ(recovered.exit_code, 0);
  ASSERT_FALSE(recovered.warnings.empty());
  EXPECT_NE(recovered.warnings.back().find("exit record"), std::string::npos);

  EXPECT_TRUE(runner.ExitRecordSuffices());  // so the service writes no outcome file of its own

  AgentConfig verified = Config("succeed");
  verified.verify = {"/bin/true"};
  AgentResult unverified;
  EXPECT_FALSE(Runner(verified).ResultFromExitRecord(execution, &unverified));
  EXPECT_FALSE(runner_->ExitRecordSuffices());
  AgentConfig hooked = Config("succeed");
  hooked.workspace.after_run = {"/bin/true"};
  EXPECT_FALSE(Runner(hooked).ResultFromExitRecord(execution, &unverified));
  EXPECT_FALSE(runner_->ExitRecordSuffices());

  AgentRunner& failing = Runner(Config("fail"));
  const AgentResult failed = RunJob(failing, Job("2"));
  AgentResult recovered_failure;
  ASSERT_TRUE(failing.ResultFromExitRecord(Job("2").execution, &recovered_failure));
  EXPECT_EQ(recovered_failure.status, ExecutionStatus::kFailed);
  EXPECT_EQ(recovered_failure.error, failed.error);

  AgentRunner& hanging = Runner(Config("hang"));
  Waiter<AgentResult> done;
  long grandchild = 0;
  StartHanging(hanging, &done, &grandchild);
  ASSERT_TRUE(hanging.Cancel("exec-1").ok());
  ASSERT_TRUE(done.Wait().has_value());
  AgentResult stopped;
  EXPECT_FALSE(hanging.ResultFromExitRecord(job.execution, &stopped));

  // A stop that crossed the agent's own end: the completion it reported stands.
  testing::WriteFile(ExitRecordPath(hanging.LogPath("exec-1")),
                     "{\"version\":1,\"exit_code\":0,\"stop_signal\":15,\"stdout_bytes\":32,"
                     "\"stdout_tail\":\"" +
                         std::string("VEFTS19DT01QTEVURTogd3JvdGUgdGhlIHJlcG9ydAo=") +
                         "\",\"stderr_tail\":\"\",\"recent_output\":\"\"}");
  AgentResult crossed;
  ASSERT_TRUE(hanging.ResultFromExitRecord(job.execution, &crossed));
  EXPECT_EQ(crossed.status, ExecutionStatus::kCompleted);
  EXPECT_EQ(crossed.summary, "wrote the report");
  // Killed by the stop as it exited, after that report: the same.
  auto killed_after = [](const std::string& stdout_base64) {
    return "{\"version\":1,\"signal\":15,\"stop_signal\":15,\"stdout_bytes\":32,"
           "\"stdout_tail\":\"" +
           stdout_base64 + "\",\"stderr_tail\":\"\",\"recent_output\":\"\"}";
  };
  testing::WriteFile(ExitRecordPath(hanging.LogPath("exec-1")),
                     killed_after("VEFTS19DT01QTEVURTogd3JvdGUgdGhlIHJlcG9ydAo="));
  ASSERT_TRUE(hanging.ResultFromExitRecord(job.execution, &crossed));
  EXPECT_EQ(crossed.status, ExecutionStatus::kCompleted);
  EXPECT_NE(crossed.warnings.front().find("just after it reported its work done"),
            std::string::npos);
  // Killed while it worked ("working on it\n"): the stop's.
  testing::WriteFile(ExitRecordPath(hanging.LogPath("exec-1")),
                     killed_after("d29ya2luZyBvbiBpdAo="));
  EXPECT_FALSE(hanging.ResultFromExitRecord(job.execution, &crossed));

  execution.id = "exec-never-ran";
  EXPECT_FALSE(hanging.ResultFromExitRecord(execution, &recovered));
}

}  // namespace
}  // namespace taskexec
