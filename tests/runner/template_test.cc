#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

#include "config/key_registry.h"
#include "runner/agent_runner.h"
#include "runner/command_template.h"
#include "runner/presets.h"
#include "runner/prompt.h"

namespace taskexec {
namespace {

const std::map<std::string, std::string>& Values() {
  static const std::map<std::string, std::string> v = {
      {"agent", "temujin"},     {"task_id", "t1"},
      {"execution_id", "e1"},   {"attempt", "2"},
      {"label", "task-t1"},     {"title", "Fix"},
      {"prompt", "do it"},      {"prompt_file", "/w/prompt.md"},
      {"context_json", "{}"},   {"timeout_seconds", "300"},
      {"work_dir", "/w"},       {"artifacts_dir", "/w/artifacts"},
      {"log_path", "/l/e1.log"}};
  return v;
}

TEST(CommandTemplate, ExpandsEachElementToOneArgument) {
  std::vector<std::string> argv;
  ASSERT_TRUE(ExpandCommandTemplate({"openclaw", "--label", "task-{task_id}-{attempt}", "{prompt}"},
                                    Values(), &argv)
                  .ok());
  EXPECT_EQ(argv, (std::vector<std::string>{"openclaw", "--label", "task-t1-2", "do it"}));
}

TEST(CommandTemplate, ValuesAreNotReexpandedAndJsonBracesAreLiteral) {
  auto v = Values();
  v["prompt"] = "literally {agent} and $(rm -rf /)";
  std::vector<std::string> argv;
  ASSERT_TRUE(
      ExpandCommandTemplate({"x", "{prompt}", "{\"a\":{\"b\":1}}", "{", "}{", "{ agent}"}, v, &argv)
          .ok());
  EXPECT_EQ(argv[1], "literally {agent} and $(rm -rf /)");
  EXPECT_EQ(argv[2], "{\"a\":{\"b\":1}}");
  EXPECT_EQ(argv[3], "{");
  EXPECT_EQ(argv[4], "}{");
  EXPECT_EQ(argv[5], "{ agent}");
}

TEST(CommandTemplate, TemplateNamesFindsAPlaceholderInAnyElement) {
  const std::vector<std::string> tmpl = {"agent", "--message-file={prompt_file}", "{\"prompt\":1}"};
  EXPECT_TRUE(TemplateNames(tmpl, "prompt_file"));
  EXPECT_FALSE(TemplateNames(tmpl, "prompt"));  // JSON braces are literal, not a placeholder
  EXPECT_FALSE(TemplateNames({}, "prompt"));
  EXPECT_TRUE(TemplateNames({"a", "x{prompt}y"}, "prompt"));
}

TEST(CommandTemplate, UnknownPlaceholderIsNamed) {
  Status s = ValidateCommandTemplate({"agent", "--x", "{promt}"});
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("{promt}"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("agent.command[2]"), std::string::npos) << s.message();
  EXPECT_TRUE(AgentRunner::ValidateTemplate({}).IsInvalidArgument());
  EXPECT_TRUE(AgentRunner::ValidateTemplate({""}).IsInvalidArgument());
  EXPECT_TRUE(AgentRunner::ValidateTemplate({"a", "{prompt_file}", "{log_path}"}).ok());
}

TEST(CommandTemplate, ArgumentOverMaxArgStrlenIsRefusedNamingThePlaceholder) {
  std::vector<std::string> tmpl = {"agent", "--prompt", "{prompt}"};
  std::vector<std::string> argv = {"agent", "--prompt", std::string(kMaxArgStrlen, 'p')};
  Status s = CheckExecLimits(tmpl, argv, {});
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("{prompt}"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("MAX_ARG_STRLEN"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("{prompt_file}"), std::string::npos) << s.message();
  // One byte less fits (the NUL makes 131072).
  argv[2].pop_back();
  EXPECT_TRUE(CheckExecLimits(tmpl, argv, {}).ok());
}

TEST(CommandTemplate, TotalOverArgMaxIsRefused) {
  long arg_max = sysconf(_SC_ARG_MAX);
  ASSERT_GT(arg_max, 0);
  std::vector<std::string> tmpl = {"agent"};
  std::vector<std::string> argv = {"agent"};
  size_t each = 100000;
  for (long total = 0; total <= arg_max; total += static_cast<long>(each)) {
    tmpl.push_back("{context_json}");
    argv.push_back(std::string(each, 'c'));
  }
  Status s = CheckExecLimits(tmpl, argv, {"HOME=/root"});
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("ARG_MAX"), std::string::npos) << s.message();
  // A huge environment variable is named too.
  Status e = CheckExecLimits({"a"}, {"a"}, {"BIG=" + std::string(kMaxArgStrlen, 'x')});
  ASSERT_TRUE(e.IsInvalidArgument());
  EXPECT_NE(e.message().find("BIG"), std::string::npos);
}

TEST(Presets, AllPresetsAreValidTemplates) {
  for (const auto& name : PresetNames()) {
    Status s;
    auto argv = PresetCommand(name, &s);
    ASSERT_TRUE(s.ok()) << name;
    EXPECT_TRUE(ValidateCommandTemplate(argv).ok()) << name;
  }
  EXPECT_EQ(PresetCommand("seed", nullptr),
            (std::vector<std::string>{"openclaw", "sessions_spawn", "--agent", "{agent}", "--label",
                                      "task-{task_id}", "--context", "{context_json}", "--prompt",
                                      "{prompt}"}));
  EXPECT_EQ(PresetCommand("openclaw", nullptr),
            (std::vector<std::string>{"openclaw", "agent", "--agent", "{agent}", "--session-key",
                                      "{task_id}-{attempt}", "--message-file", "{prompt_file}",
                                      "--timeout", "{timeout_seconds}", "--json"}));
  EXPECT_TRUE(FindPreset("claude")->prompt_on_stdin);
  Status s;
  EXPECT_TRUE(PresetCommand("nope", &s).empty());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("openclaw-exec"), std::string::npos);
}

// The config layer sits below the runner and cannot ask it for the preset
// names, so agent.preset lists them again; this keeps the two lists equal.
TEST(Presets, ConfigAcceptsExactlyThePresetNames) {
  const auto* key = config_internal::FindKey("agent.preset");
  ASSERT_NE(key, nullptr);
  std::vector<std::string> allowed(key->allowed.begin(), key->allowed.end());
  std::vector<std::string> names = PresetNames();
  std::sort(allowed.begin(), allowed.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(allowed, names);
}

TEST(Presets, ParseCommandJson) {
  std::vector<std::string> argv;
  ASSERT_TRUE(ParseCommandJson(R"(["my agent","--prompt","{prompt}"])", &argv).ok());
  EXPECT_EQ(argv, (std::vector<std::string>{"my agent", "--prompt", "{prompt}"}));
  EXPECT_TRUE(ParseCommandJson("my-agent --prompt", &argv).IsInvalidArgument());
  EXPECT_TRUE(ParseCommandJson("[]", &argv).IsInvalidArgument());
  EXPECT_TRUE(ParseCommandJson(R"(["a", 3])", &argv).IsInvalidArgument());
  EXPECT_TRUE(ParseCommandJson(R"({"a":1})", &argv).IsInvalidArgument());
}

TEST(AgentConfigCheck, ValidatesPresetTemplateAndStdinMode) {
  AgentConfig c;
  EXPECT_TRUE(AgentRunner::ValidateConfig(c).ok());
  c.preset = "bogus";
  EXPECT_TRUE(AgentRunner::ValidateConfig(c).IsInvalidArgument());
  c.command = {"x", "{prompt}"};  // an explicit command makes the preset irrelevant
  EXPECT_TRUE(AgentRunner::ValidateConfig(c).ok());
  c.stdin_mode = "pipe";
  EXPECT_TRUE(AgentRunner::ValidateConfig(c).IsInvalidArgument());
  c.stdin_mode = "prompt";
  c.command = {"x", "{nope}"};
  EXPECT_TRUE(AgentRunner::ValidateConfig(c).IsInvalidArgument());
}

Task SampleTask() {
  Task t;
  t.id = "task-1";
  t.title = "Fix login";
  t.description = "Users cannot log in.";
  t.type = "code";
  t.priority = Priority::kHigh;
  t.notion_url = "https://notion.so/page-1";
  t.context_json = R"({"repo":"web"})";
  return t;
}

SessionExecution SampleExecution() {
  SessionExecution e;
  e.id = "exec-1";
  e.task_id = "task-1";
  e.agent = "temujin";
  e.attempt = 2;
  return e;
}

TEST(Prompt, DefaultFollowsTheOriginal) {
  std::string p = BuildPrompt(SampleTask(), SampleExecution(), R"({"step":3})", "");
  for (const char* part :
       {"You have been assigned a task.", "TASK ID: task-1", "ATTEMPT ID: exec-1", "TYPE: code",
        "PRIORITY: high", "Users cannot log in.", "NOTION REFERENCE: https://notion.so/page-1",
        "ADDITIONAL CONTEXT:", "\"repo\": \"web\"", "CHECKPOINT", "\"step\": 3", "TASK_COMPLETE: <",
        "TASK_FAILED: <"}) {
    EXPECT_NE(p.find(part), std::string::npos) << part << "\n" << p;
  }
}

TEST(Prompt, EmptySectionsAreLeftOut) {
  Task t = SampleTask();
  t.notion_url.clear();
  t.context_json = "{}";
  std::string p = BuildPrompt(t, SampleExecution(), "", "");
  EXPECT_EQ(p.find("NOTION REFERENCE"), std::string::npos);
  EXPECT_EQ(p.find("ADDITIONAL CONTEXT"), std::string::npos);
  EXPECT_EQ(p.find("CHECKPOINT"), std::string::npos);
}

// After a reply the prompt carries the question and the answer; an
// unanswered question is not offered (nothing to act on yet).
TEST(Prompt, TheQuestionAndTheAnswerAfterAReply) {
  Task t = SampleTask();
  t.question = "Which colour?";
  std::string p = BuildPrompt(t, SampleExecution(), "", "");
  EXPECT_EQ(p.find("Which colour?"), std::string::npos);
  EXPECT_NE(p.find("TASK_NEEDS_INPUT: <"), std::string::npos);  // how to ask
  t.reply = "blue";
  p = BuildPrompt(t, SampleExecution(), "", "");
  EXPECT_NE(p.find("YOUR QUESTION (an earlier attempt asked a person):\nWhich colour?\n"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("THE ANSWER:\nblue\n"), std::string::npos) << p;
  EXPECT_EQ(BuildPrompt(t, SampleExecution(), "", "Q={question} A={reply}"),
            "Q=Which colour? A=blue");
}

// After a completion that failed its check, the next prompt says why; any
// other earlier failure is not the agent's to fix and is left out.
TEST(Prompt, WhyTheLastCompletionWasNotAccepted) {
  Task t = SampleTask();
  t.error_type = ErrorType::kExecutionError;
  t.error_message = "exit 1";
  EXPECT_EQ(BuildPrompt(t, SampleExecution(), "", "").find("NOT ACCEPTED"), std::string::npos);
  t.error_type = ErrorType::kVerificationFailed;
  t.error_message = "agent.verify exited with 1: 2 tests failed";
  const std::string p = BuildPrompt(t, SampleExecution(), "", "");
  EXPECT_NE(p.find("YOUR LAST COMPLETION WAS NOT ACCEPTED (the workspace was checked):\n"
                   "agent.verify exited with 1: 2 tests failed\n"),
            std::string::npos)
      << p;
  EXPECT_EQ(BuildPrompt(t, SampleExecution(), "", "fix: {verification}"),
            "fix: agent.verify exited with 1: 2 tests failed");
}

TEST(Prompt, CustomTemplate) {
  Task t = SampleTask();
  t.title = "uses {agent} literally";
  std::string p = BuildPrompt(t, SampleExecution(), "",
                              "[{agent}] {title} #{attempt} {unknown} {\"json\":1} {priority}");
  EXPECT_EQ(p, "[temujin] uses {agent} literally #2 {unknown} {\"json\":1} high");
}

}  // namespace
}  // namespace taskexec
