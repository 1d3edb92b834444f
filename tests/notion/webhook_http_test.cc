// The webhook over real HTTP: the fake Notion server posts signed events to
// the service's HttpServer, which hands them to NotionSync.
#include <gtest/gtest.h>

#include "app/webhook_route.h"
#include "notion/notion_commands.h"
#include "notion_test_support.h"
#include "server/http_server.h"

namespace taskexec::notion_test {
namespace {

TEST(NotionWebhookHttp, ACardMovedActsWithinASecondAndForgeriesAreRefused) {
  Harness h;
  h.config.poll_interval_seconds = 3600;  // polling cannot explain a reaction
  h.config.webhook_secret = "secret_hook";
  std::string page = h.fake.AddTaskPage("Hooked", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task t = h.TaskForPage(page);
  StartTask(h.store.get(), t.id, "main");
  ASSERT_TRUE(sync->SyncOnce().ok());

  ServerConfig sc;
  sc.listen = "127.0.0.1:0";
  HttpServer server(sc, h.service.get());
  notion::RegisterWebhook(server, sync);
  ASSERT_TRUE(server.Start().ok());
  const int64_t before = h.fake.RequestCount();
  ASSERT_TRUE(sync->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.fake.RequestCount() > before; }));  // first round polled

  const std::string url =
      "http://127.0.0.1:" + std::to_string(server.port()) + notion::kWebhookPath;
  // A forger without the key: refused, nothing changes.
  h.fake.SetWebhookTarget(url, "secret_wrong");
  ASSERT_TRUE(h.fake.MoveCard(page, "Backlog").ok());
  EXPECT_EQ(h.fake.SendWebhookEvent("page.properties_updated", page), 401);
  EXPECT_FALSE(WaitFor([&] { return h.TaskForPage(page).cancel_requested; }, 500));

  // Notion with the right key: the move is acted on at once.
  h.fake.SetWebhookTarget(url, "secret_hook");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(h.fake.SendWebhookEvent("page.properties_updated", page, "evt-1"), 200);
  ASSERT_TRUE(WaitFor([&] { return h.TaskForPage(page).cancel_requested; }, 5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // A replay of the same event is accepted as a duplicate and does nothing.
  EXPECT_EQ(h.fake.SendWebhookEvent("page.properties_updated", page, "evt-1"), 200);
  // A delivery Notion retried an hour later is still taken (signed: a hint).
  EXPECT_EQ(h.fake.SendWebhookEvent("page.properties_updated", page, "evt-old",
                                    FormatIso8601(h.clock.NowMs() - 3600 * 1000)),
            200);
  CarryOutCancels(h.store.get());
  EXPECT_TRUE(WaitFor([&] { return h.TaskForPage(page).status == TaskStatus::kSuspended; }));
  sync->Stop();
  server.Stop();
}

TEST(NotionCommands, CheckReportsEachStepAndNamesABadProperty) {
  Harness h;
  Config cfg;
  cfg.notion = h.config;
  std::ostringstream out;
  ASSERT_TRUE(notion::NotionCheck(cfg, out).ok()) << out.str();
  EXPECT_NE(out.str().find("token accepted"), std::string::npos);
  EXPECT_NE(out.str().find("(Notion-Version 2022-06-28)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("warn Notion-Version 2022-06-28 is older than 2026-12-01"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("schema"), std::string::npos);
  {
    // The newest version: nothing to advise.
    Config newest = cfg;
    newest.notion.api_version = "2026-12-01";
    std::ostringstream latest;
    ASSERT_TRUE(notion::NotionCheck(newest, latest).ok()) << latest.str();
    EXPECT_EQ(latest.str().find("warn"), std::string::npos) << latest.str();
  }
  ASSERT_TRUE(h.fake.RenameProperty("Status", "Stage").ok());
  std::ostringstream bad;
  Status st = notion::NotionCheck(cfg, bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(bad.str().find("\"Status\""), std::string::npos) << bad.str();
}

TEST(NotionCommands, SyncOnceImportsAndReports) {
  Harness h;
  h.fake.AddTaskPage("One", "To Do");
  h.fake.AddTaskPage("Two", "Backlog");
  Config cfg;
  cfg.notion = h.config;
  std::ostringstream out;
  ASSERT_TRUE(notion::NotionSyncOnce(cfg, h.store.get(), h.service.get(), out).ok()) << out.str();
  EXPECT_NE(out.str().find("tasks created 2"), std::string::npos) << out.str();
  std::vector<Task> tasks;
  ASSERT_TRUE(h.store->ListTasks(TaskFilter{}, &tasks).ok());
  ASSERT_EQ(tasks.size(), 2u);
}

}  // namespace
}  // namespace taskexec::notion_test
