// Secrets never leave taskexec (docs/security.md, rule 4): with every secret
// set to a marker value, a real `taskexec serve` syncs with the fake Notion,
// runs agents that print their whole environment and fail, logs at debug
// level and answers every API route; then no response, no CLI output, no
// Notion write and no file under its work, log and store directories holds a
// marker.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "comment_kinds.h"
#include "e2e/e2e_util.h"
#include "fakes/fake_notion_server.h"
#include "notion/notion_client.h"

namespace taskexec::e2e {
namespace {

namespace fs = std::filesystem;
using notion_test::WithoutProgress;

const std::map<std::string, std::string> kMarkers = {
    {"NOTION_TOKEN", "mk-notion-9d3e71"},
    {"TASKEXEC_SERVER_TOKEN", "mk-server-9d3e71"},
    {"TASKEXEC_NOTION_WEBHOOK_SECRET", "mk-webhook-9d3e71"},
    {"NEO4J_PASSWORD", "mk-neo4j-9d3e71"},
};

// Every marker found in `text`, for the failure message.
std::vector<std::string> MarkersIn(const std::string& text) {
  std::vector<std::string> found;
  for (const auto& [name, value] : kMarkers) {
    if (text.find(value) != std::string::npos) found.push_back(name);
  }
  return found;
}

class SecurityE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("security-e2e");
    fakes::FakeNotionOptions o;
    o.token = kMarkers.at("NOTION_TOKEN");
    o.rate_per_second = 0;
    fake_ = std::make_unique<fakes::FakeNotionServer>(o);
    ASSERT_TRUE(fake_->Start().ok());
  }
  void TearDown() override {
    fake_->Stop();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // The secrets come from the environment only, as most deployments pass
  // them; the config file holds none.
  std::string WriteConfig(int port) {
    const std::string agent = SourceDir() + "/tests/fakes/fake_agent.sh";
    std::string path = dir_ + "/taskexec.toml";
    WriteFile(path, "log_level = \"trace\"\n\n[store]\ndb_path = \"" + dir_ +
                        "/tasks.db\"\n\n"
                        "[executor]\nmax_retries = 0\nretry_delay_seconds = 0\n"
                        "store_poll_ms = 100\npoll_interval_seconds = 1\nlease_seconds = 5\n"
                        "shutdown_grace_seconds = 2\n\n"
                        "[agent]\ncommand = [\"" +
                        agent +
                        "\", \"--agent\", \"{agent}\", \"--prompt\", \"{prompt}\"]\n"
                        // Globs that match every secret's variable: still withheld.
                        "pass_env = [\"NOTION_*\", \"NEO4J_*\", \"TASKEXEC_*\", \"COPY_*\"]\n"
                        "work_dir = \"" +
                        dir_ + "/work\"\nlog_dir = \"" + dir_ +
                        "/logs\"\ntimeout_seconds = 60\nkill_grace_seconds = 1\n\n"
                        "[server]\nlisten = \"127.0.0.1:" +
                        std::to_string(port) + "\"\n\n[notion]\nrequests_per_second = 100\n");
    return path;
  }

  std::map<std::string, std::string> Env() {
    std::map<std::string, std::string> env = kMarkers;
    env["NOTION_TASK_DATABASE_ID"] = fake_->options().database_id;
    env["NOTION_API_BASE_URL"] = fake_->base_url();
    env["NOTION_POLL_INTERVAL_SECONDS"] = "1";
    env["COPY_OF_NOTION_TOKEN"] = kMarkers.at("NOTION_TOKEN");  // a secret under another name
    return env;
  }

  // curl -i: status line, headers and body.
  std::string Curl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"curl", "-sS", "-i", "--max-time", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = e2e::Run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out + r.err;
  }

  std::string dir_;
  std::unique_ptr<fakes::FakeNotionServer> fake_;
};

TEST_F(SecurityE2e, SecretsReachNoLogResponseOrFile) {
  std::vector<std::string> pages = {
      fake_->AddTaskPage("Leak attempt fake-mode=env-fail", "To Do"),
      fake_->AddTaskPage("Plain failure fake-mode=fail", "To Do"),
      fake_->AddTaskPage("Works fine", "To Do"),
  };
  const int port = FreePort();
  const std::string config = WriteConfig(port);
  Service service(config, dir_ + "/service.log", Env());
  service.Start();
  auto board_done = [&] {
    for (const std::string& page : pages) {
      if (WithoutProgress(fake_->Comments(page)).empty()) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitFor(board_done, 120)) << ReadFile(dir_ + "/service.log").substr(0, 4000);

  // Everything that leaves the service, collected with where it came from.
  std::vector<std::pair<std::string, std::string>> outputs;
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string auth = "Authorization: Bearer " + kMarkers.at("TASKEXEC_SERVER_TOKEN");
  std::string tasks = Curl({"-H", auth, base + "/api/v1/tasks"});
  outputs.emplace_back("GET /api/v1/tasks", tasks);
  ASSERT_NE(tasks.find("200"), std::string::npos) << tasks;
  for (const char* path : {"/", "/healthz", "/metrics", "/api/v1/status"}) {
    outputs.emplace_back(std::string("GET ") + path, Curl({"-H", auth, base + path}));
  }
  outputs.emplace_back("no token", Curl({base + "/api/v1/tasks"}));
  outputs.emplace_back("wrong token",
                       Curl({"-H", "Authorization: Bearer wrong", base + "/metrics"}));
  outputs.emplace_back("foreign host", Curl({"-H", "Host: evil.example", base + "/api/v1/tasks"}));
  outputs.emplace_back("bad webhook",
                       Curl({"-X", "POST", "-H", "X-Notion-Signature: sha256=00", "--data",
                             R"({"type":"page.properties_updated"})", base + "/webhooks/notion"}));

  CommandResult list = Cli(config, {"--json", "tasks"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  outputs.emplace_back("taskexec tasks", list.out + list.err);
  int shown = 0;
  for (size_t at = tasks.find("\"id\":\"task-"); at != std::string::npos;
       at = tasks.find("\"id\":\"task-", at + 1)) {
    std::string id = tasks.substr(at + 6, tasks.find('"', at + 6) - at - 6);
    outputs.emplace_back("GET task " + id, Curl({"-H", auth, base + "/api/v1/tasks/" + id}));
    CommandResult show = Cli(config, {"task", "show", id});
    outputs.emplace_back("taskexec task show " + id, show.out + show.err);
    ++shown;
  }
  EXPECT_EQ(shown, 3) << tasks;
  // The executions' logs, through the API and the CLI.
  for (const fs::directory_entry& e : fs::directory_iterator(dir_ + "/logs")) {
    std::string exec_id = e.path().stem().string();
    outputs.emplace_back("GET log " + exec_id,
                         Curl({"-H", auth, base + "/api/v1/executions/" + exec_id + "/log"}));
    CommandResult logs = Cli(config, {"logs", exec_id});
    outputs.emplace_back("taskexec logs " + exec_id, logs.out + logs.err);
  }
  EXPECT_EQ(service.Terminate(), 0);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"config", "check"}, {"config", "show"}, {"--json", "status"}, {"notion", "check"}}) {
    std::vector<std::string> argv = {TaskexecBinary(), "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = e2e::Run(argv, Env());
    outputs.emplace_back("taskexec " + args[0] + " " + args[1], r.out + r.err);
  }
  // `config check` names what agents get and what they do not.
  const std::string check = outputs[outputs.size() - 4].second;
  EXPECT_NE(check.find("agent environment withheld (taskexec's secrets):"), std::string::npos)
      << check;
  EXPECT_NE(check.find("COPY_OF_NOTION_TOKEN"), std::string::npos) << check;

  // What the agents wrote reached Notion: their failure comments carry their
  // environment, without the secrets.
  const std::string leak =
      notion::PlainText(WithoutProgress(fake_->Comments(pages[0]))[0]["rich_text"]);
  EXPECT_NE(leak.find("TASKEXEC_TASK_ID="), std::string::npos) << leak;
  for (const std::string& page : pages) {
    for (const auto& comment : fake_->Comments(page)) {
      outputs.emplace_back("Notion comment on " + page, comment.dump());
    }
    nlohmann::json json;
    ASSERT_TRUE(fake_->GetPage(page, &json).ok());
    outputs.emplace_back("Notion page " + page, json.dump());
  }
  outputs.emplace_back("service log", ReadFile(dir_ + "/service.log"));
  EXPECT_NE(outputs.back().second.find("[debug]"), std::string::npos) << "debug logging was on";

  int files = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir_)) {
    if (!e.is_regular_file()) continue;
    outputs.emplace_back(e.path().string(), ReadFile(e.path().string()));
    ++files;
  }
  EXPECT_GE(files, 6);  // the config, the store, the service log, three execution logs, ...
  for (const auto& [where, text] : outputs) {
    std::vector<std::string> found = MarkersIn(text);
    EXPECT_TRUE(found.empty()) << where << " holds " << found.front() << "'s value:\n"
                               << text.substr(0, 3000);
  }
}

}  // namespace
}  // namespace taskexec::e2e
