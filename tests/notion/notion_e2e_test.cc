// End to end with the real `taskexec serve`: the fake Notion server runs in
// this process, the service talks to it over HTTP (NOTION_API_BASE_URL), runs
// the cards with the scripted fake agent and writes the results back.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "comment_kinds.h"
#include "e2e/e2e_util.h"
#include "fakes/fake_notion_server.h"
#include "notion/notion_client.h"
#include "notion/sync_state.h"
#include "notion/webhook.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec::e2e {
namespace {

namespace fs = std::filesystem;
using notion_test::IsProgressComment;
using notion_test::WithoutProgress;

class NotionE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("notion-e2e");
    fakes::FakeNotionOptions o;
    o.rate_per_second = 0;  // rate compliance is tested separately (notion_rate_test)
    fake_ = std::make_unique<fakes::FakeNotionServer>(o);
    ASSERT_TRUE(fake_->Start().ok());
  }
  void TearDown() override {
    fake_->Stop();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string WriteConfig(int port, const std::string& webhook_secret, double rate = 100) {
    const std::string agent = SourceDir() + "/tests/fakes/fake_agent.sh";
    std::string path = dir_ + "/taskexec.toml";
    WriteFile(path,
              "[store]\ndb_path = \"" + dir_ + "/tasks.db\"\n\n" +
                  "[executor]\nmax_retries = 0\nretry_delay_seconds = 0\nstore_poll_ms = 100\n"
                  "poll_interval_seconds = 1\nlease_seconds = 5\nmax_concurrent = 8\n"
                  "per_agent_limit = 8\nshutdown_grace_seconds = 2\n\n" +
                  "[agent]\ncommand = [\"" + agent +
                  "\", \"--agent\", \"{agent}\", \"--label\", \"task-{task_id}\", "
                  "\"--context\", \"{context_json}\", \"--prompt\", \"{prompt}\"]\n"
                  "work_dir = \"" +
                  dir_ + "/work\"\nlog_dir = \"" + dir_ +
                  "/logs\"\ntimeout_seconds = 60\nkill_grace_seconds = 1\n\n" +
                  "[server]\nlisten = \"" +
                  (port > 0 ? "127.0.0.1:" + std::to_string(port) : std::string()) +
                  "\"\n\n[notion]\nrequests_per_second = " + std::to_string(rate) +
                  "\nwebhook_secret = \"" + webhook_secret + "\"\n");
    return path;
  }

  std::map<std::string, std::string> NotionEnv(int poll_seconds = 1) {
    return {{"NOTION_TOKEN", fake_->options().token},
            {"NOTION_TASK_DATABASE_ID", fake_->options().database_id},
            {"NOTION_API_BASE_URL", fake_->base_url()},
            {"NOTION_POLL_INTERVAL_SECONDS", std::to_string(poll_seconds)}};
  }

  std::string dir_;
  std::unique_ptr<fakes::FakeNotionServer> fake_;
};

// Notion's real pace: the fake enforces 3 requests/s (burst 10) and the
// service runs with requests_per_second = 3. A 429 storm at the start and a
// Notion outage (five minutes by default; NOTION_E2E_OUTAGE_SECONDS) while
// the agents work lose no update, and the rate the fake measured never
// exceeds 3/s on average over any 10-second window.
class NotionE2eRealPace : public NotionE2e {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("notion-e2e-pace");
    fake_ = std::make_unique<fakes::FakeNotionServer>(fakes::FakeNotionOptions{});
    ASSERT_TRUE(fake_->Start().ok());
  }
};

TEST_F(NotionE2eRealPace, A429StormAndAnOutageLoseNothingAndTheRateHolds) {
  const char* env_outage = getenv("NOTION_E2E_OUTAGE_SECONDS");
  const int outage_seconds = env_outage != nullptr ? atoi(env_outage) : 300;
  std::vector<std::string> pages;
  for (int i = 0; i < 20; ++i)
    pages.push_back(fake_->AddTaskPage("Paced " + std::to_string(i), "To Do", "P1"));
  fake_->InjectRateLimited(5, 2);
  Service service(WriteConfig(0, "", /*rate=*/3), dir_ + "/service.log", NotionEnv(5));
  service.Start();
  // Notion goes down as soon as the service has read the board.
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& r : fake_->Requests())
          if (r.path.find("/query") != std::string::npos && r.status == 200) return true;
        return false;
      },
      60));
  fake_->SetOutage(true);
  std::this_thread::sleep_for(std::chrono::seconds(outage_seconds));  // the outage itself
  int done_during_outage = 0;
  for (const auto& p : pages) done_during_outage += fake_->StatusOf(p) == "Done" ? 1 : 0;
  fake_->SetOutage(false);
  const bool landed = WaitFor(
      [&] {
        for (const auto& p : pages)
          if (fake_->StatusOf(p) != "Done" || WithoutProgress(fake_->Comments(p)).size() != 1)
            return false;
        return true;
      },
      300);
  EXPECT_EQ(service.Terminate(), 0);
  ASSERT_TRUE(landed) << ReadFile(dir_ + "/service.log").substr(0, 4000);
  for (const auto& p : pages) {
    EXPECT_EQ(fake_->TextOf(p, "Neo4j Task ID").rfind("task-", 0), 0u);
    EXPECT_EQ(WithoutProgress(fake_->Comments(p)).size(), 1u);
  }
  int64_t rate_limited = 0;
  for (const auto& r : fake_->Requests())
    if (r.status == 429) ++rate_limited;
  const int64_t worst = fake_->MaxRequestsInWindow(10000);
  std::printf(
      "notion e2e pace: %lld requests, %lld answered 429, at most %lld in any 10 s; "
      "%d of 20 cards were Done before the %d s outage ended\n",
      static_cast<long long>(fake_->RequestCount()), static_cast<long long>(rate_limited),
      static_cast<long long>(worst), done_during_outage, outage_seconds);
  EXPECT_EQ(rate_limited, 5) << "only the injected storm";
  EXPECT_LE(worst, 30);
}

// `taskexec notion outbox` reads the store only: a refusal recorded by the
// sync is listed with Notion's answer, `retry` queues it again.
TEST_F(NotionE2e, TheOutboxCommandListsARefusalAndQueuesItAgain) {
  const std::string config = WriteConfig(0, "");
  std::string task_id;
  {
    std::unique_ptr<SqliteStore> store;
    ASSERT_TRUE(SqliteStore::Open(dir_ + "/tasks.db", StoreConfig{}, &store).ok());
    NewTask nt;
    nt.title = "Refused card";
    nt.description = "Refused card";
    nt.source = "notion";
    nt.notion_page_id = "5eed0001-0000-4000-8000-000000000001";
    Task t;
    ASSERT_TRUE(store->AddTask(nt, 1000, &t).ok());
    task_id = t.id;
    notion::SyncState state(store.get());
    ASSERT_TRUE(state.SetSyncedVersion(t.id, t.version).ok());
    ASSERT_TRUE(state
                    .SetRefusal(t.id, {{"what", "page update"},
                                       {"reason", "notion 400 validation_error: Invalid option"},
                                       {"at", "2026-12-05T19:00:00.000Z"},
                                       {"version", t.version}})
                    .ok());
  }
  CommandResult r = Cli(config, {"notion", "outbox"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(task_id + "  refused  page 5eed0001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("page update refused at 2026-12-05T19:00:00.000Z: notion 400 "
                       "validation_error: Invalid option"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("0 pending, 1 refused"), std::string::npos) << r.out;

  r = Cli(config, {"notion", "outbox", "retry"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--all"), std::string::npos) << r.err;
  r = Cli(config, {"notion", "outbox", "retry", "task-unknown"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no refused Notion write"), std::string::npos) << r.err;
  r = Cli(config, {"notion", "outbox", "retry", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("queued again: " + task_id), std::string::npos) << r.out;

  r = Cli(config, {"--json", "notion", "outbox"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json items = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(items.is_array()) << r.out;
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["task_id"], task_id);
  EXPECT_EQ(items[0]["state"], "pending");
  EXPECT_EQ(items[0]["synced_version"], 0);
}

TEST_F(NotionE2e, TwoHundredFiftyCardsBecomeTasksRunAndReportBack) {
  std::vector<std::string> pages;
  for (int i = 0; i < 250; ++i) {
    std::string title = "Card " + std::to_string(i) + (i % 7 == 3 ? " fake-mode=fail" : "");
    pages.push_back(fake_->AddTaskPage(title, "To Do", "P2", i % 5 == 0 ? "temujin" : ""));
  }
  Service service(WriteConfig(0, ""), dir_ + "/service.log", NotionEnv());
  service.Start();
  auto board_done = [&] {
    for (int i = 0; i < 250; ++i) {
      if (fake_->StatusOf(pages[i]) != (i % 7 == 3 ? "Blocked" : "Done")) return false;
      if (WithoutProgress(fake_->Comments(pages[i])).empty()) return false;
    }
    return true;
  };
  const bool done = WaitFor(board_done, 600);
  EXPECT_EQ(service.Terminate(), 0);
  ASSERT_TRUE(done) << ReadFile(dir_ + "/service.log").substr(0, 4000);
  int queries_before_first_patch = 0;
  for (const auto& r : fake_->Requests()) {
    if (r.method == "PATCH") break;
    if (r.path.find("/query") != std::string::npos) ++queries_before_first_patch;
  }
  EXPECT_EQ(queries_before_first_patch, 3);  // 250 cards = three result pages
  for (int i = 0; i < 250; ++i) {
    EXPECT_EQ(fake_->TextOf(pages[i], "Neo4j Task ID").rfind("task-", 0), 0u) << i;
    if (i % 5 == 0) {
      EXPECT_EQ(fake_->TextOf(pages[i], "Agent"), "temujin") << i;
    }
    EXPECT_FALSE(fake_->TextOf(pages[i], "Agent").empty()) << i;
    auto comments = WithoutProgress(fake_->Comments(pages[i]));
    ASSERT_EQ(comments.size(), 1u) << i;
    std::string text = notion::PlainText(comments[0]["rich_text"]);
    if (i % 7 == 3) {
      EXPECT_NE(text.find("fake failure requested"), std::string::npos) << text;
    } else {
      EXPECT_NE(text.find("Summary: "), std::string::npos) << text;
    }
  }
}

TEST_F(NotionE2e, AMovedCardStopsTheAgentWithinAPollInterval) {
  std::string page = fake_->AddTaskPage("Poll me fake-mode=hang", "To Do");
  Service service(WriteConfig(0, ""), dir_ + "/service.log", NotionEnv(1));
  service.Start();
  ASSERT_TRUE(WaitFor([&] { return fake_->StatusOf(page) == "In Progress"; }, 60))
      << ReadFile(dir_ + "/service.log").substr(0, 4000);
  // While the agent runs, its card shows its progress in one comment.
  auto progress = [&] {
    for (const auto& c : fake_->Comments(page))
      if (IsProgressComment(c)) return notion::PlainText(c["rich_text"]);
    return std::string();
  };
  EXPECT_TRUE(WaitFor([&] { return progress().find(" is running\n") != std::string::npos; }, 30))
      << progress();
  ASSERT_TRUE(fake_->MoveCard(page, "Backlog").ok());
  auto t0 = std::chrono::steady_clock::now();
  // The result comment is written once the agent was stopped.
  EXPECT_TRUE(WaitFor([&] { return WithoutProgress(fake_->Comments(page)).size() == 1; }, 30));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(fake_->StatusOf(page), "Backlog");
  // The progress comment is closed, saying how the attempt ended.
  EXPECT_TRUE(
      WaitFor([&] { return progress().find(" ended cancelled after ") != std::string::npos; }, 30))
      << progress();
  EXPECT_EQ(service.Terminate(), 0);
  EXPECT_EQ(fake_->Comments(page).size(), 2u);  // the progress comment and the result
  std::string text = notion::PlainText(WithoutProgress(fake_->Comments(page))[0]["rich_text"]);
  EXPECT_NE(text.find("cancelled"), std::string::npos) << text;
}

TEST_F(NotionE2e, AWebhookStopsTheAgentAtOnceAndForgeriesChangeNothing) {
  const int port = FreePort();
  const std::string secret = "secret_e2e_hook";
  std::string page = fake_->AddTaskPage("Hook me fake-mode=hang", "To Do");
  // Polls an hour apart: only the webhook can explain a reaction.
  Service service(WriteConfig(port, secret), dir_ + "/service.log", NotionEnv(3600));
  service.Start();
  ASSERT_TRUE(WaitFor([&] { return fake_->StatusOf(page) == "In Progress"; }, 60))
      << ReadFile(dir_ + "/service.log").substr(0, 4000);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/notion";
  fake_->SetWebhookTarget(url, "secret_forger");
  ASSERT_TRUE(fake_->MoveCard(page, "Blocked").ok());  // posts a forged event: 401
  EXPECT_EQ(fake_->SendWebhookEvent("page.properties_updated", page), 401);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(WithoutProgress(fake_->Comments(page)).empty()) << "a forged event changed something";
  fake_->SetWebhookTarget(url, secret);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(fake_->SendWebhookEvent("page.properties_updated", page), 200);
  EXPECT_TRUE(WaitFor([&] { return WithoutProgress(fake_->Comments(page)).size() == 1; }, 30));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(fake_->StatusOf(page), "Blocked");
  EXPECT_EQ(service.Terminate(), 0);
}

}  // namespace
}  // namespace taskexec::e2e
