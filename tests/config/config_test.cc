// Tests for LoadConfig / ValidateConfig / DescribeConfig: defaults, the
// precedence of flags > environment > file > defaults, every error class and
// its message, the JSON values of the environment, and the TOML layout.
#include "config/config.h"
#include "config/conninfo.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "config/key_registry.h"

namespace taskexec {
namespace {

using Env = std::map<std::string, std::string>;

// Writes `text` to a file named after the running test and returns its path.
std::string WriteToml(const std::string& text) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path =
      ::testing::TempDir() + "/taskexec_" + info->test_suite_name() + "_" + info->name() + ".toml";
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

// Loads and expects failure; returns the message.
std::string LoadError(const std::string& path, const Env& env = {},
                      const ConfigOverrides& flags = {}) {
  Config config;
  Status s = LoadConfig(path, env, flags, &config);
  EXPECT_FALSE(s.ok()) << "expected an error";
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  return s.message();
}

Config LoadOk(const std::string& path, const Env& env = {}, const ConfigOverrides& flags = {}) {
  Config config;
  Status s = LoadConfig(path, env, flags, &config);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return config;
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST(ConfigDefaultsTest, SeedDefaults) {
  Config c = LoadOk("");
  EXPECT_EQ(c.executor.max_retries, 3);
  EXPECT_EQ(c.executor.retry_delay_seconds, 30);
  EXPECT_EQ(c.executor.poll_interval_seconds, 30);
  EXPECT_EQ(c.notion.poll_interval_seconds, 60);
  EXPECT_EQ(c.agent.timeout_seconds, 300);
  EXPECT_EQ(c.agent.nice, 10);
  EXPECT_TRUE(c.executor.auto_assign);
  EXPECT_FALSE(c.notion.enabled);
  EXPECT_EQ(c.agent.preset, "openclaw-local");
  EXPECT_TRUE(c.agent.command.empty());
  EXPECT_EQ(c.store.backend, "sqlite");
  EXPECT_EQ(c.routing.default_agent, "main");
  EXPECT_EQ(c.notion.api_version, "2026-12-01");
  EXPECT_TRUE(c.source_file.empty());
  EXPECT_TRUE(ValidateConfig(Config{}).ok());
}

TEST(ConfigPrecedenceTest, FlagsOverEnvOverFileOverDefaults) {
  std::string path = WriteToml(R"(
[store]
db_path = "file.db"
[executor]
max_retries = 5
retry_delay_seconds = 10
[server]
listen = "127.0.0.1:9001"
[agent]
timeout_seconds = 100
)");
  Env env = {{"TASK_EXECUTOR_MAX_RETRIES", "7"},
             {"TASKEXEC_DB", "env.db"},
             {"TASKEXEC_AGENT_TIMEOUT_SECONDS", "200"}};
  ConfigOverrides flags = {{"executor.max_retries", "9"}, {"store.db_path", "flag.db"}};

  Config c = LoadOk(path, env, flags);
  EXPECT_EQ(c.executor.max_retries, 9);             // flag
  EXPECT_EQ(c.store.db_path, "flag.db");            // flag
  EXPECT_EQ(c.agent.timeout_seconds, 200);          // env
  EXPECT_EQ(c.executor.retry_delay_seconds, 10);    // file
  EXPECT_EQ(c.server.listen, "127.0.0.1:9001");     // file
  EXPECT_EQ(c.executor.poll_interval_seconds, 30);  // default
  EXPECT_EQ(c.source_file, path);

  c = LoadOk(path, env, {});
  EXPECT_EQ(c.executor.max_retries, 7);
  EXPECT_EQ(c.store.db_path, "env.db");

  c = LoadOk(path, {}, {});
  EXPECT_EQ(c.executor.max_retries, 5);
  EXPECT_EQ(c.store.db_path, "file.db");
  EXPECT_EQ(c.agent.timeout_seconds, 100);
}

TEST(ConfigPrecedenceTest, SeedAndNamedEnvironmentVariables) {
  Env env = {{"TASK_EXECUTOR_RETRY_DELAY_SECONDS", "45"},
             {"TASK_EXECUTOR_POLL_INTERVAL", "12"},
             {"NOTION_TOKEN", "secret_abc"},
             {"NOTION_TASK_DATABASE_ID", "db123"},
             {"NOTION_API_BASE_URL", "http://127.0.0.1:9999/v1"},
             {"NOTION_POLL_INTERVAL_SECONDS", "15"},
             {"TASKEXEC_NOTION_API_VERSION", "2025-09-03"},
             {"TASKEXEC_NOTION_WEBHOOK_SECRET", "whsec"},
             {"NEO4J_URI", "bolt://localhost:7687"},
             {"NEO4J_USER", "admin"},
             {"NEO4J_PASSWORD", "pw"},
             {"NEO4J_DATABASE", "tasks"},
             {"TASKEXEC_STORE_BACKEND", "neo4j"},
             {"TASKEXEC_EXECUTOR_MAX_CONCURRENT", "2"},
             {"TASKEXEC_EXECUTOR_AUTO_ASSIGN", "no"},
             {"TASKEXEC_EXECUTOR_RETRY_JITTER", "0.5"},
             {"TASKEXEC_SERVER_LISTEN", ""},
             {"TASKEXEC_LOG_LEVEL", "debug"},
             {"TASKEXEC_SOURCE_DIR", "/ignored"}};  // unknown TASKEXEC_* names are ignored
  Config c = LoadOk("", env);
  EXPECT_EQ(c.executor.retry_delay_seconds, 45);
  EXPECT_EQ(c.executor.poll_interval_seconds, 12);
  EXPECT_TRUE(c.notion.enabled);
  EXPECT_EQ(c.notion.token, "secret_abc");
  EXPECT_EQ(c.notion.database_id, "db123");
  EXPECT_EQ(c.notion.api_base_url, "http://127.0.0.1:9999/v1");
  EXPECT_EQ(c.notion.poll_interval_seconds, 15);
  EXPECT_EQ(c.notion.api_version, "2025-09-03");
  EXPECT_EQ(c.notion.webhook_secret, "whsec");
  EXPECT_EQ(c.neo4j.uri, "bolt://localhost:7687");
  EXPECT_EQ(c.neo4j.user, "admin");
  EXPECT_EQ(c.neo4j.password, "pw");
  EXPECT_EQ(c.neo4j.database, "tasks");
  EXPECT_EQ(c.store.backend, "neo4j");
  EXPECT_EQ(c.executor.max_concurrent, 2);
  EXPECT_FALSE(c.executor.auto_assign);
  EXPECT_DOUBLE_EQ(c.executor.retry_jitter, 0.5);
  EXPECT_EQ(c.server.listen, "");
  EXPECT_EQ(c.log_level, "debug");
}

// The workspace and verification settings: argv lists as JSON, and the
// values git would read as options or that cannot work together refused.
TEST(ConfigWorkspaceTest, SettingsAndTheirChecks) {
  Config c = LoadOk("",
                    {{"TASKEXEC_WORKSPACE_BEFORE_RUN", R"(["npm","ci"])"},
                     {"TASKEXEC_AGENT_VERIFY", R"(["npm","test"])"},
                     {"TASKEXEC_EXECUTOR_MAX_CONCURRENT_BY_TYPE", R"({"deploy":1})"}},
                    {{"workspace.keep", "never"}, {"agent.require_changes", "true"}});
  EXPECT_EQ(c.agent.workspace.mode, "task");
  EXPECT_EQ(c.agent.workspace.before_run, (std::vector<std::string>{"npm", "ci"}));
  EXPECT_EQ(c.agent.verify, (std::vector<std::string>{"npm", "test"}));
  EXPECT_EQ(c.agent.workspace.keep, "never");
  EXPECT_EQ(c.agent.workspace.max_age_days, 14);
  EXPECT_TRUE(c.agent.require_changes);
  EXPECT_EQ(c.executor.max_concurrent_by_type.at("deploy"), 1);

  EXPECT_NE(
      LoadError("", {}, {{"workspace.git_base", "--upload-pack=x"}}).find("workspace.git_base"),
      std::string::npos);
  EXPECT_NE(LoadError("", {}, {{"workspace.git_repo", "/srv/app"}, {"workspace.mode", "attempt"}})
                .find("needs workspace.mode = \"task\""),
            std::string::npos);
  EXPECT_NE(LoadError("", {}, {{"agent.verify", R"(["", "x"])"}}).find("agent.verify"),
            std::string::npos);
  EXPECT_NE(LoadError("", {}, {{"workspace.keep", "sometimes"}}).find("workspace.keep"),
            std::string::npos);
  EXPECT_NE(
      LoadError("", {{"TASKEXEC_EXECUTOR_MAX_CONCURRENT_BY_TYPE", R"({"Deploy":1,"deploy":2})"}})
          .find("are the same type"),
      std::string::npos);
}

TEST(ConfigErrorsTest, WrongTypeInFileNamesKeyValueAndLine) {
  std::string path = WriteToml("[executor]\n\n\nmax_retries = \"three\"\n");
  std::string msg = LoadError(path);
  EXPECT_CONTAINS(msg, "executor.max_retries");
  EXPECT_CONTAINS(msg, "expected an integer, got string \"three\"");
  EXPECT_CONTAINS(msg, path + " line 4");
}

TEST(ConfigErrorsTest, WrongTypesOfOtherKinds) {
  EXPECT_CONTAINS(LoadError(WriteToml("[agent]\ncommand = [\"a\", 1]\n")), "agent.command (from ");
  EXPECT_CONTAINS(LoadError(WriteToml("[agent]\ncommand = [\"a\", 1]\n")),
                  "got array with integer 1 at index 1");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor]\nauto_assign = \"yes\"\n")),
                  "expected a boolean (true or false), got string \"yes\"");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor]\nretry_jitter = \"x\"\n")), "expected a number");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor]\nmax_retries = 2.5\n")),
                  "expected an integer, got float");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor.agent_limits]\ntemujin = \"2\"\n")),
                  "executor.agent_limits");
  EXPECT_CONTAINS(LoadError(WriteToml("log_level = 3\n")), "log_level");
}

TEST(ConfigErrorsTest, RangeErrorsFromEachSource) {
  std::string msg = LoadError("", {{"TASK_EXECUTOR_MAX_RETRIES", "-1"}});
  EXPECT_CONTAINS(msg, "executor.max_retries (from TASK_EXECUTOR_MAX_RETRIES)");
  EXPECT_CONTAINS(msg, "-1 is not allowed; expected an integer 0..100");

  msg = LoadError(WriteToml("[executor]\nretry_delay_seconds = 90000\n"));
  EXPECT_CONTAINS(msg, "executor.retry_delay_seconds (from ");
  EXPECT_CONTAINS(msg, "line 2");
  EXPECT_CONTAINS(msg, "0..86400");

  msg = LoadError("", {}, {{"executor.lease_seconds", "2"}});
  EXPECT_CONTAINS(msg, "executor.lease_seconds (from flag executor.lease_seconds)");
  EXPECT_CONTAINS(msg, "3..86400");

  EXPECT_CONTAINS(LoadError("", {}, {{"executor.max_concurrent", "0"}}), "1..10000");
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_EXECUTOR_RETRY_JITTER", "1.5"}}),
                  "1.5 is not allowed; expected a number 0..1");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor.agent_limits]\ntemujin = 0\n")),
                  "entry temujin: 0 is not allowed");
  // Nice levels go to 19: a value below the service's own is not a choice.
  msg = LoadError("", {{"TASKEXEC_AGENT_NICE", "20"}});
  EXPECT_CONTAINS(msg, "agent.nice (from TASKEXEC_AGENT_NICE)");
  EXPECT_CONTAINS(msg, "20 is not allowed; expected an integer 0..19");
  EXPECT_CONTAINS(LoadError(WriteToml("[agent]\nnice = -5\n")), "expected an integer 0..19");
}

TEST(ConfigErrorsTest, ValuesOverriddenLaterAreStillChecked) {
  // A wrong value in the file is refused even though the flag overrides it.
  std::string path = WriteToml("[executor]\nmax_retries = 500\n");
  EXPECT_CONTAINS(LoadError(path, {}, {{"executor.max_retries", "1"}}), "0..100");
}

TEST(ConfigErrorsTest, UnparsableTextValues) {
  std::string msg = LoadError("", {{"TASK_EXECUTOR_MAX_RETRIES", "three"}});
  EXPECT_CONTAINS(msg, "executor.max_retries (from TASK_EXECUTOR_MAX_RETRIES)");
  EXPECT_CONTAINS(msg, "expected an integer, got \"three\"");
  EXPECT_CONTAINS(LoadError("", {{"TASK_EXECUTOR_POLL_INTERVAL", ""}}), "expected an integer");
  EXPECT_CONTAINS(LoadError("", {{"TASK_EXECUTOR_POLL_INTERVAL", "99999999999"}}), "out of range");
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_EXECUTOR_AUTO_ASSIGN", "maybe"}}),
                  "expected a boolean");
  EXPECT_EQ(LoadOk("", {{"TASK_EXECUTOR_MAX_RETRIES", " +4 "}}).executor.max_retries, 4);
}

TEST(ConfigErrorsTest, EnumeratedValues) {
  struct Case {
    const char* toml;
    const char* expected;
  };
  const Case cases[] = {
      {"[store]\nbackend = \"mysql\"\n",
       "\"mysql\" is not allowed; expected one of sqlite, postgres, neo4j"},
      {"[agent]\npreset = \"gpt\"\n",
       "openclaw-local, openclaw, openclaw-exec, claude, codex, opencode, gemini, seed"},
      {"[agent]\nstdin_mode = \"pipe\"\n", "none, prompt"},
      {"[notion]\napi_version = \"2023-01-01\"\n",
       "2022-06-28, 2025-09-03, 2026-03-11, 2026-12-01"},
      {"[notion]\nstatus_property_type = \"multi_select\"\n", "select, status"},
      {"log_level = \"verbose\"\n", "trace, debug, info, warn, error"},
      {"[routing]\nmode = \"merge\"\n", "extend, replace"},
  };
  for (const Case& c : cases) EXPECT_CONTAINS(LoadError(WriteToml(c.toml)), c.expected);
}

TEST(ConfigErrorsTest, ListenAddressAndUrls) {
  for (const char* bad :
       {"localhost", "127.0.0.1:0", "127.0.0.1:99999", ":8080", "::1:80", "127.0.0.1:80x"}) {
    std::string msg = LoadError("", {{"TASKEXEC_SERVER_LISTEN", bad}});
    EXPECT_CONTAINS(msg, "server.listen (from TASKEXEC_SERVER_LISTEN)");
    EXPECT_CONTAINS(msg, "host:port");
  }
  EXPECT_EQ(LoadOk("", {{"TASKEXEC_SERVER_LISTEN", "[::1]:8081"}}).server.listen, "[::1]:8081");
  EXPECT_CONTAINS(LoadError("", {{"NOTION_API_BASE_URL", "api.notion.com"}}), "http://");
  EXPECT_CONTAINS(LoadError("", {{"NEO4J_URI", "http://x"}}), "bolt+s");
}

TEST(ConfigErrorsTest, SecurityListsAreCheckedEntryByEntry) {
  Config c =
      LoadOk(WriteToml("[server]\nallowed_hosts = [\"tasks.example.com\", \".corp.example\", "
                       "\"*\"]\ncors_origins = [\"https://ui.example.com\", "
                       "\"http://localhost:3000\"]\n[agent]\npass_env = "
                       "[\"ANTHROPIC_API_KEY\", \"OPENAI_*\"]\n"));
  EXPECT_EQ(c.server.allowed_hosts,
            (std::vector<std::string>{"tasks.example.com", ".corp.example", "*"}));
  EXPECT_EQ(c.server.cors_origins,
            (std::vector<std::string>{"https://ui.example.com", "http://localhost:3000"}));
  EXPECT_EQ(c.agent.pass_env, (std::vector<std::string>{"ANTHROPIC_API_KEY", "OPENAI_*"}));
  EXPECT_EQ(LoadOk("", {{"TASKEXEC_AGENT_PASS_ENV", "[\"GH_TOKEN\"]"}}).agent.pass_env,
            (std::vector<std::string>{"GH_TOKEN"}));

  std::string msg = LoadError("", {{"TASKEXEC_SERVER_ALLOWED_HOSTS",
                                    "[\"ok.example\", "
                                    "\"http://bad.example\"]"}});
  EXPECT_CONTAINS(msg, "server.allowed_hosts (from TASKEXEC_SERVER_ALLOWED_HOSTS)");
  EXPECT_CONTAINS(msg, "entry 2, \"http://bad.example\"");
  EXPECT_CONTAINS(msg, "without scheme or port");
  for (const char* bad : {"[\"ui.example.com\"]", "[\"https://ui.example.com/path\"]",
                          "[\"http://x:0\"]", "[\"ftp://x\"]"}) {
    msg = LoadError("", {{"TASKEXEC_SERVER_CORS_ORIGINS", bad}});
    EXPECT_CONTAINS(msg, "server.cors_origins");
    EXPECT_CONTAINS(msg, "an origin: http:// or https://");
  }
  for (const char* bad : {"[\"OPENAI-KEY\"]", "[\"1ABC\"]", "[\"\"]", "[\"A*B\"]"}) {
    msg = LoadError("", {{"TASKEXEC_AGENT_PASS_ENV", bad}});
    EXPECT_CONTAINS(msg, "agent.pass_env");
    EXPECT_CONTAINS(msg, "environment variable name");
  }
}

// agent.env is passed to agents as written: it may not carry a secret.
TEST(ConfigErrorsTest, AgentEnvMayNotHoldTaskexecSecrets) {
  std::string msg = LoadError(WriteToml("[agent.env]\nCOPY = \"tok-123\"\n"),
                              {{"NOTION_TOKEN", "tok-123"}, {"NOTION_TASK_DATABASE_ID", "db"}});
  EXPECT_CONTAINS(msg, "agent.env");
  EXPECT_CONTAINS(msg, "\"COPY\" holds one of taskexec's own secrets");
  EXPECT_EQ(msg.find("tok-123"), std::string::npos) << "the message must not repeat the secret";
  LoadOk(WriteToml("[agent.env]\nCOPY = \"other\"\n"),
         {{"NOTION_TOKEN", "tok-123"}, {"NOTION_TASK_DATABASE_ID", "db"}});
  Config c;
  c.neo4j.password = "pw";
  c.server.token = "st";
  c.notion.webhook_secret = "ws";
  c.postgres.url = "postgresql://te:pgpw@db/taskexec";
  c.postgres.password = "pgpw2";
  std::vector<std::string> values = SecretValues(c);
  std::sort(values.begin(), values.end());
  // The whole URL, and the password inside it.
  EXPECT_EQ(values, (std::vector<std::string>{"pgpw", "pgpw2", "postgresql://te:pgpw@db/taskexec",
                                              "pw", "st", "ws"}));
  std::vector<std::string> names = SecretEnvironmentNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "NEO4J_PASSWORD", "NOTION_TOKEN", "TASKEXEC_NOTION_WEBHOOK_SECRET",
                "TASKEXEC_POSTGRES_PASSWORD", "TASKEXEC_POSTGRES_URL", "TASKEXEC_SERVER_TOKEN"}));
}

TEST(ConfigErrorsTest, UnknownKeysAreRefused) {
  std::string path = WriteToml("[executor]\nmax_retrys = 3\n");
  std::string msg = LoadError(path);
  EXPECT_CONTAINS(msg, "executor.max_retrys (from " + path + " line 2): unknown key");
  EXPECT_CONTAINS(msg, "did you mean executor.max_retries?");

  EXPECT_CONTAINS(LoadError(WriteToml("[exec]\nmax_retries = 3\n")), "exec (from ");
  EXPECT_CONTAINS(LoadError(WriteToml("color = true\n")), "color (from ");
  EXPECT_CONTAINS(LoadError(WriteToml("[notion]\nenabled = true\n")),
                  "Notion is enabled when notion.token and notion.database_id are both set");
  EXPECT_CONTAINS(LoadError("", {}, {{"executor.nope", "1"}}),
                  "executor.nope (from flag): unknown key");
}

TEST(ConfigErrorsTest, FileProblems) {
  Config config;
  Status s = LoadConfig(::testing::TempDir() + "/no-such-taskexec.toml", {}, {}, &config);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_CONTAINS(s.message(), "no-such-taskexec.toml");

  std::string path = WriteToml("[executor]\nmax_retries = = 3\n");
  std::string msg = LoadError(path);
  EXPECT_CONTAINS(msg, path + " line 2");
  EXPECT_CONTAINS(msg, "invalid TOML");
}

TEST(ConfigErrorsTest, NotionNeedsTokenAndDatabase) {
  std::string msg = LoadError("", {{"NOTION_TOKEN", "secret_x"}});
  EXPECT_CONTAINS(msg, "notion.database_id is missing");
  EXPECT_CONTAINS(msg, "NOTION_TASK_DATABASE_ID");
  EXPECT_CONTAINS(msg, "from NOTION_TOKEN");

  msg = LoadError(WriteToml("[notion]\ndatabase_id = \"abc\"\n"));
  EXPECT_CONTAINS(msg, "notion.token is missing");
  EXPECT_CONTAINS(msg, "NOTION_TOKEN");

  EXPECT_FALSE(LoadOk("").notion.enabled);
}

TEST(ConfigErrorsTest, CrossFieldRules) {
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_STORE_BACKEND", "neo4j"}}),
                  "neo4j.uri is missing: store.backend is \"neo4j\" (from TASKEXEC_STORE_BACKEND)");
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_SERVER_LISTEN", "0.0.0.0:8080"}}),
                  "server.token is missing");
  // Loopback means what the HTTP server will bind, not a name's prefix.
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_SERVER_LISTEN", "127.evil.example:8080"}}),
                  "server.token is missing");
  EXPECT_EQ(LoadOk("", {{"TASKEXEC_SERVER_LISTEN", "[0:0:0:0:0:0:0:1]:8080"}}).server.token, "");
  EXPECT_EQ(LoadOk("", {{"TASKEXEC_SERVER_LISTEN", "127.0.0.2:8080"}}).server.token, "");
  Config c =
      LoadOk("", {{"TASKEXEC_SERVER_LISTEN", "0.0.0.0:8080"}, {"TASKEXEC_SERVER_TOKEN", "t"}});
  EXPECT_EQ(c.server.token, "t");

  std::string msg = LoadError(WriteToml("[routing]\ndefault_agent = \"genghis\"\n"));
  EXPECT_CONTAINS(msg, "routing.default_agent (from ");
  EXPECT_CONTAINS(msg, "\"genghis\" is not allowed; expected one of routing.agents (main, mongke");

  msg = LoadError(WriteToml("[routing]\nmapping = [[\"security\", \"genghis\"]]\n"));
  EXPECT_CONTAINS(msg, "routing.mapping");
  EXPECT_CONTAINS(msg, "unknown agent");

  EXPECT_CONTAINS(LoadError(WriteToml("[routing]\nmapping = [[\"++\", \"jochi\"]]\n")),
                  "letter or digit");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor.agent_limits]\ngenghis = 2\n")),
                  "\"genghis\" is not a known agent");
  EXPECT_CONTAINS(LoadError(WriteToml("[executor]\nretry_delay_seconds = 600\n"
                                      "retry_max_delay_seconds = 60\n")),
                  "executor.retry_max_delay_seconds");
  EXPECT_CONTAINS(LoadError(WriteToml("[routing]\nagents = [\"main\", \"main\"]\n")),
                  "listed twice");
  EXPECT_CONTAINS(LoadError(WriteToml("[notion.status_options]\nfinished = \"Done\"\n")),
                  "\"finished\" is not a task status");
  EXPECT_CONTAINS(LoadError(WriteToml("[agent.env]\n\"A=B\" = \"x\"\n")),
                  "not a valid environment variable name");
  EXPECT_CONTAINS(LoadError(WriteToml("[agent]\ncommand = [\"\", \"x\"]\n")), "agent.command");
}

TEST(ConfigErrorsTest, ValidateConfigWithoutOrigins) {
  Config c;
  c.executor.max_retries = 101;
  Status s = ValidateConfig(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "executor.max_retries: 101 is not allowed; expected an integer 0..100");
  c = Config{};
  c.notion.token = "t";
  EXPECT_CONTAINS(ValidateConfig(c).message(), "notion.database_id");
  c = Config{};
  c.notion.enabled = true;
  EXPECT_FALSE(ValidateConfig(c).ok());
}

TEST(ConfigErrorsTest, FailedLoadLeavesOutputUntouched) {
  Config config;
  config.executor.max_retries = 42;
  EXPECT_FALSE(LoadConfig("", {{"TASK_EXECUTOR_MAX_RETRIES", "x"}}, {}, &config).ok());
  EXPECT_EQ(config.executor.max_retries, 42);
}

TEST(AgentCommandTest, FromTomlArrayAndJsonEnvironment) {
  Config c = LoadOk(WriteToml("[agent]\ncommand = [\"my-agent\", \"--agent\", \"{agent}\"]\n"));
  EXPECT_EQ(c.agent.command, (std::vector<std::string>{"my-agent", "--agent", "{agent}"}));

  c = LoadOk("",
             {{"TASKEXEC_AGENT_COMMAND", R"(["claude", "-p", "{prompt}", "a \"quoted\" arg"])"}});
  EXPECT_EQ(c.agent.command,
            (std::vector<std::string>{"claude", "-p", "{prompt}", "a \"quoted\" arg"}));

  // The environment beats the file.
  c = LoadOk(WriteToml("[agent]\ncommand = [\"file\"]\n"),
             {{"TASKEXEC_AGENT_COMMAND", "[\"env\"]"}});
  EXPECT_EQ(c.agent.command, std::vector<std::string>{"env"});
}

TEST(AgentCommandTest, MalformedJsonIsRefusedClearly) {
  for (const char* bad : {R"(["openclaw", "agent")", "openclaw agent", R"("openclaw")",
                          R"(["openclaw", 3])", R"({"a": "b"})"}) {
    std::string msg = LoadError("", {{"TASKEXEC_AGENT_COMMAND", bad}});
    EXPECT_CONTAINS(msg, "agent.command (from TASKEXEC_AGENT_COMMAND)");
    EXPECT_CONTAINS(msg, "expected a JSON array of strings");
    EXPECT_CONTAINS(msg, "got \"");
  }
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_AGENT_COMMAND", R"(["openclaw", "agent")"}}),
                  "not valid JSON");
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_AGENT_COMMAND", R"(["openclaw", 3])"}}),
                  "element 1 is not a string");
  // Well-formed, but a number no double holds: refused, not thrown.
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_AGENT_COMMAND", R"(["openclaw", 1e999])"}}),
                  "not valid JSON");
}

TEST(AgentCommandTest, SpawnCmdReplacesTheSeedProgramWords) {
  Config c =
      LoadOk("", {{"OPENCLAW_SESSIONS_SPAWN_CMD", " /opt/oc/bin/openclaw  sessions_spawn "}});
  EXPECT_EQ(c.agent.command,
            (std::vector<std::string>{"/opt/oc/bin/openclaw", "sessions_spawn", "--agent",
                                      "{agent}", "--label", "task-{task_id}", "--context",
                                      "{context_json}", "--prompt", "{prompt}"}));
  EXPECT_EQ(c.agent.preset, "seed") << "a deployment with a sessions_spawn wrapper keeps it";
  // agent.command from any source wins; other presets ignore it.
  c = LoadOk("", {{"OPENCLAW_SESSIONS_SPAWN_CMD", "x"}, {"TASKEXEC_AGENT_COMMAND", "[\"y\"]"}});
  EXPECT_EQ(c.agent.command, std::vector<std::string>{"y"});
  c = LoadOk("", {{"OPENCLAW_SESSIONS_SPAWN_CMD", "x"}}, {{"agent.preset", "claude"}});
  EXPECT_TRUE(c.agent.command.empty());
  EXPECT_CONTAINS(LoadError("", {{"OPENCLAW_SESSIONS_SPAWN_CMD", "  "}}),
                  "agent.command (from OPENCLAW_SESSIONS_SPAWN_CMD)");
}

TEST(TablesTest, RoutingMappingKeepsOrderInBothForms) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"security", "jochi"}, {"frontend", "temujin"}, {"alpha", "mongke"}};
  Config c =
      LoadOk(WriteToml("[routing]\nmode = \"replace\"\n"
                       "mapping = [[\"security\", \"jochi\"], [\"frontend\", \"temujin\"], "
                       "[\"alpha\", \"mongke\"]]\n"));
  EXPECT_EQ(c.routing.mapping, expected);
  EXPECT_EQ(c.routing.mode, "replace");

  c =
      LoadOk(WriteToml("[[routing.mapping]]\nkeyword = \"security\"\nagent = \"jochi\"\n"
                       "[[routing.mapping]]\nkeyword = \"frontend\"\nagent = \"temujin\"\n"
                       "[[routing.mapping]]\nkeyword = \"alpha\"\nagent = \"mongke\"\n"));
  EXPECT_EQ(c.routing.mapping, expected);

  c = LoadOk(
      "",
      {{"TASKEXEC_ROUTING_MAPPING",
        R"([["security","jochi"],{"keyword":"frontend","agent":"temujin"},["alpha","mongke"]])"}});
  EXPECT_EQ(c.routing.mapping, expected);

  std::string msg = LoadError(WriteToml("[routing.mapping]\nsecurity = \"jochi\"\n"));
  EXPECT_CONTAINS(msg, "routing.mapping");
  EXPECT_CONTAINS(msg, "does not keep its order");
  EXPECT_CONTAINS(LoadError(WriteToml("[routing]\nmapping = [[\"a\", \"b\", \"c\"]]\n")),
                  "at index 0");
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_ROUTING_MAPPING", R"([["a"]])"}}),
                  "element 0 is not a [keyword, agent] pair");
}

TEST(TablesTest, LimitsEnvAndStatusOptions) {
  Config c = LoadOk(WriteToml(R"(
[executor.agent_limits]
temujin = 2
mongke = 1
[agent.env]
OPENAI_API_KEY = "sk-1"
[notion.status_options]
failed = "Blocked"
)"));
  EXPECT_EQ(c.executor.agent_limits, (std::map<std::string, int>{{"temujin", 2}, {"mongke", 1}}));
  EXPECT_EQ(c.agent.env.at("OPENAI_API_KEY"), "sk-1");
  EXPECT_EQ(c.notion.status_options.at("failed"), "Blocked");

  c = LoadOk("", {{"TASKEXEC_EXECUTOR_AGENT_LIMITS", R"({"jochi": 3})"},
                  {"TASKEXEC_AGENT_ENV", R"({"A": "1"})"},
                  {"TASKEXEC_ROUTING_AGENTS", R"(["main", "jochi"])"}});
  EXPECT_EQ(c.executor.agent_limits, (std::map<std::string, int>{{"jochi", 3}}));
  EXPECT_EQ(c.agent.env.at("A"), "1");
  EXPECT_EQ(c.routing.agents, (std::vector<std::string>{"main", "jochi"}));
  EXPECT_CONTAINS(LoadError("", {{"TASKEXEC_EXECUTOR_AGENT_LIMITS", R"({"jochi": "3"})"}}),
                  "a JSON object of integers");
}

TEST(DescribeConfigTest, RedactsSecretsAndRoundTrips) {
  Env env = {{"NOTION_TOKEN", "secret_abc"},
             {"NOTION_TASK_DATABASE_ID", "db1"},
             {"NEO4J_PASSWORD", "pw"},
             {"TASKEXEC_SERVER_TOKEN", "srvtok-9"},
             {"TASKEXEC_AGENT_ENV", R"({"KEY": "sk-1"})"},
             {"TASKEXEC_ROUTING_MAPPING", R"([["security","jochi"]])"},
             {"TASKEXEC_EXECUTOR_RETRY_JITTER", "0.25"},
             {"TASKEXEC_AGENT_PROMPT_TEMPLATE", "line1\n\"quoted\" \\ tab\t"}};
  Config c = LoadOk("", env);
  std::string redacted = DescribeConfig(c, true);
  EXPECT_CONTAINS(redacted, "[executor]\nmax_retries = 3\n");
  EXPECT_CONTAINS(redacted, "token = \"***\"");
  EXPECT_CONTAINS(redacted, "password = \"***\"");
  EXPECT_CONTAINS(redacted, "env = { KEY = \"***\" }");
  EXPECT_CONTAINS(redacted, "# enabled = true");
  for (const char* secret : {"secret_abc", "\"pw\"", "srvtok-9", "sk-1"}) {
    EXPECT_EQ(redacted.find(secret), std::string::npos) << secret;
  }
  EXPECT_CONTAINS(redacted, "webhook_secret = \"\"");  // empty secrets stay visible as empty

  // The unredacted dump is valid TOML that loads back to the same values.
  std::string plain = DescribeConfig(c, false);
  EXPECT_CONTAINS(plain, "secret_abc");
  Config back = LoadOk(WriteToml(plain));
  EXPECT_EQ(DescribeConfig(back, false), "# file: " + back.source_file + "\n" + plain);
  EXPECT_EQ(back.agent.prompt_template, c.agent.prompt_template);
  EXPECT_EQ(back.routing.mapping, c.routing.mapping);
  EXPECT_DOUBLE_EQ(back.executor.retry_jitter, 0.25);
}

TEST(DescribeConfigTest, ShowsThePostgresUrlWithoutItsPassword) {
  Config c = LoadOk("", {{"TASKEXEC_STORE_BACKEND", "postgres"},
                         {"TASKEXEC_POSTGRES_URL",
                          "postgresql://te:hunter2@db.example.com:5433/tasks?sslmode=verify-full"},
                         {"TASKEXEC_POSTGRES_PASSWORD", "other-secret"}});
  const std::string redacted = DescribeConfig(c, true);
  EXPECT_CONTAINS(redacted,
                  "url = \"postgresql://te:***@db.example.com:5433/tasks?sslmode=verify-full\"");
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos);
  EXPECT_EQ(redacted.find("other-secret"), std::string::npos);
  EXPECT_CONTAINS(DescribeConfig(c, false), "hunter2");
}

TEST(ConfigErrorsTest, ThePostgresBackendNeedsAUrl) {
  std::string msg = LoadError("", {{"TASKEXEC_STORE_BACKEND", "postgres"}});
  EXPECT_CONTAINS(msg, "postgres.url");
  EXPECT_CONTAINS(msg, "TASKEXEC_POSTGRES_URL");
  msg = LoadError(
      "", {{"TASKEXEC_STORE_BACKEND", "postgres"}, {"TASKEXEC_POSTGRES_URL", "db.example.com"}});
  EXPECT_CONTAINS(msg, "postgres.url (from TASKEXEC_POSTGRES_URL)");
  EXPECT_CONTAINS(msg, "postgresql:// URI");
}

TEST(ConnInfoTest, FindsAndHidesThePasswordInEitherForm) {
  struct Case {
    std::string conninfo, password, redacted;
  };
  const std::vector<Case> cases = {
      {"postgresql://te:pw@db/x", "pw", "postgresql://te:***@db/x"},
      {"postgres://te:p%40ss@db:5432", "p@ss", "postgres://te:***@db:5432"},
      {"postgresql://te@db/x?password=qq&sslmode=require", "qq",
       "postgresql://te@db/x?password=***&sslmode=require"},
      {"postgresql://db/x", "", "postgresql://db/x"},
      {"postgresql:///x?host=/run/pg", "", "postgresql:///x?host=/run/pg"},
      {"host=db password=pw dbname=x", "pw", "host=db password=*** dbname=x"},
      {"host=db password = 'p w\\'q' dbname=x", "p w'q", "host=db password = '***' dbname=x"},
      {"host=db dbname=x", "", "host=db dbname=x"},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ConnInfoPassword(c.conninfo), c.password) << c.conninfo;
    EXPECT_EQ(RedactConnInfo(c.conninfo), c.redacted) << c.conninfo;
    EXPECT_EQ(CheckConnInfo(c.conninfo), "") << c.conninfo;
  }
  EXPECT_NE(CheckConnInfo("db.example.com"), "");
}

TEST(ProcessEnvironmentTest, ReadsTheProcessEnvironment) {
  ASSERT_EQ(setenv("TASKEXEC_CONFIG_TEST_VAR", "a=b", 1), 0);
  auto env = ProcessEnvironment();
  EXPECT_EQ(env["TASKEXEC_CONFIG_TEST_VAR"], "a=b");
  unsetenv("TASKEXEC_CONFIG_TEST_VAR");
}

}  // namespace
}  // namespace taskexec

namespace taskexec {
namespace {

// docs/configuration.md must list every key with its environment variable,
// so the table cannot drift from the registry.
TEST(ConfigDocsTest, EveryKeyIsDocumented) {
  std::ifstream in(std::string(TASKEXEC_SOURCE_DIR_FOR_TESTS) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& spec : config_internal::AllKeys()) {
    std::string row = "| `" + std::string(spec.name) + "` | `" + std::string(spec.env) + "`";
    EXPECT_NE(doc.find(row), std::string::npos) << "missing row for " << spec.name;
  }
}

}  // namespace
}  // namespace taskexec
