// Notion API versions: every supported Notion-Version imports the same
// board the same way (2026-12-01 lists only titles unless asked), queries
// and page reads name the mapped properties by id, a page that comes
// without a mapped property is not applied, and person names may be null.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "notion/api_version.h"
#include "notion/notion_client.h"
#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

using notion::Json;

const char* const kVersions[] = {"2022-06-28", "2025-09-03", "2026-03-11", "2026-12-01"};

// A board whose Status column is `status_type` (select or status), without
// the stand-in's rate limit.
fakes::FakeNotionOptions BoardWith(const std::string& status_type) {
  fakes::FakeNotionOptions fo = Harness::Unlimited();
  fo.status_type = status_type;
  return fo;
}

TEST(NotionApiVersion, TheTableKnowsEachVersionAndAdvisesTheNewest) {
  for (const char* v : kVersions) ASSERT_NE(notion::FindApiVersion(v), nullptr) << v;
  EXPECT_EQ(notion::FindApiVersion("2023-01-01"), nullptr);
  EXPECT_FALSE(notion::FindApiVersion("2022-06-28")->data_sources);
  EXPECT_TRUE(notion::FindApiVersion("2025-09-03")->data_sources);
  EXPECT_FALSE(notion::FindApiVersion("2026-03-11")->lists_title_only);
  EXPECT_TRUE(notion::FindApiVersion("2026-12-01")->lists_title_only);
  EXPECT_EQ(notion::FindApiVersion("2026-03-11")->status_groups, notion::StatusGroupFilters::kBeta);
  EXPECT_EQ(notion::FindApiVersion("2026-12-01")->status_groups,
            notion::StatusGroupFilters::kNative);
  EXPECT_EQ(notion::ApiVersionAdvice(notion::kLatestApiVersion), "");
  EXPECT_NE(notion::ApiVersionAdvice("2022-06-28").find("older than 2026-12-01"),
            std::string::npos);
  EXPECT_NE(notion::ApiVersionAdvice("2023-01-01").find("not supported"), std::string::npos);
  // The day Notion announces a retirement, the table's date is what check says.
  std::vector<notion::ApiVersionTraits> announced = notion::ApiVersions();
  announced[0].retires = "2027-06-30";
  EXPECT_EQ(notion::ApiVersionAdvice("2022-06-28", announced),
            "Notion retires Notion-Version 2022-06-28 on 2027-06-30; move to 2026-12-01 "
            "(docs/notion.md, \"API versions\")");
  EXPECT_NE(notion::ApiVersionAdvice("2025-09-03", announced).find("older than"),
            std::string::npos);
}

TEST(NotionApiVersion, FilterPropertiesAreSentOncePerIdAndEncodedOnce) {
  EXPECT_EQ(notion::FilterPropertiesQuery({}), "");
  // Notion's ids come URL-encoded ("%3A" is ':'); the SDK decodes each and
  // lets the URL encode it again, so it reaches Notion encoded once.
  EXPECT_EQ(notion::FilterPropertiesQuery({"title", "st%3A1", "a b"}),
            "?filter_properties=title&filter_properties=st%3A1&filter_properties=a%20b");
}

// The ids (decoded) a request asked for with filter_properties.
std::set<std::string> AskedFor(const fakes::RequestRecord& r) {
  std::set<std::string> ids;
  for (const auto& [k, v] : r.params)
    if (k == "filter_properties") ids.insert(v);
  return ids;
}

const std::set<std::string> kMappedIds = {"title", "st:1", "ti:1", "pr:1", "ag:1", "rq:1", "de:1"};

// The reproduction: on 2026-12-01 a list answers only titles, so a
// sync that does not name its properties imported To Do, Done, Backlog and
// Blocked cards alike as pending tasks and wrote them back as To Do.
TEST(NotionVersions, EveryVersionImportsTheBoardAsItIsAndLeavesTheCardsWhereTheyAre) {
  for (const char* status_type : {"select", "status"}) {
    for (const char* version : kVersions) {
      SCOPED_TRACE(std::string(version) + " " + status_type);
      Harness h(BoardWith(status_type), version);
      const std::string todo = h.fake.AddTaskPage("Write the report", "To Do", "P1", "mongke");
      const std::string done = h.fake.AddTaskPage("Shipped already", "Done");
      const std::string backlog = h.fake.AddTaskPage("Some day", "Backlog");
      const std::string blocked = h.fake.AddTaskPage("Waiting on legal", "Blocked");
      auto* sync = h.NewSync();
      ASSERT_TRUE(sync->Init().ok());
      ASSERT_TRUE(sync->SyncOnce(/*full_scan=*/true).ok());
      ASSERT_TRUE(sync->FlushOutbox(std::chrono::seconds(20)).ok());

      const Task t = h.TaskForPage(todo);
      EXPECT_EQ(t.status, TaskStatus::kPending);
      EXPECT_EQ(t.priority, Priority::kHigh);
      EXPECT_EQ(t.assigned_to, "mongke");
      EXPECT_TRUE(h.TaskForPage(done).id.empty()) << "a Done card became a task";
      EXPECT_EQ(h.TaskForPage(backlog).status, TaskStatus::kSuspended);
      EXPECT_EQ(h.TaskForPage(blocked).status, TaskStatus::kBlocked);
      EXPECT_EQ(h.fake.StatusOf(todo), "To Do");
      EXPECT_EQ(h.fake.StatusOf(done), "Done");
      EXPECT_EQ(h.fake.StatusOf(backlog), "Backlog");
      EXPECT_EQ(h.fake.StatusOf(blocked), "Blocked");
      EXPECT_EQ(h.fake.TextOf(todo, "Neo4j Task ID"), t.id);

      int queries = 0;
      for (const auto& r : h.fake.Requests()) {
        if (r.method != "POST" || r.path.find("/query") == std::string::npos) continue;
        ++queries;
        EXPECT_EQ(AskedFor(r), kMappedIds) << r.path;
        EXPECT_EQ(std::count_if(r.params.begin(), r.params.end(),
                                [](const auto& p) { return p.first == "filter_properties"; }),
                  static_cast<long>(kMappedIds.size()))
            << "one filter_properties per id";
      }
      EXPECT_GT(queries, 0);
    }
  }
}

TEST(NotionVersions, APageReadAsksForTheMappedPropertiesToo) {
  for (const char* version : kVersions) {
    SCOPED_TRACE(version);
    Harness h(Harness::Unlimited(), version);
    const std::string page = h.fake.AddTaskPage("Read me", "To Do");
    auto* sync = h.NewSync();
    ASSERT_TRUE(sync->Init().ok());
    ASSERT_TRUE(sync->SyncOnce().ok());
    // A trashed card is not listed: the full scan reads the page itself.
    ASSERT_TRUE(h.fake.ArchivePage(page).ok());
    h.fake.ResetRequests();
    ASSERT_TRUE(sync->SyncOnce(/*full_scan=*/true).ok());
    EXPECT_EQ(h.TaskForPage(page).status, TaskStatus::kCancelled);
    int gets = 0;
    for (const auto& r : h.fake.Requests()) {
      if (r.method != "GET" || r.path.find("/v1/pages/") != 0) continue;
      ++gets;
      EXPECT_EQ(AskedFor(r), kMappedIds);
    }
    EXPECT_EQ(gets, 1);
  }
}

TEST(NotionVersions, APageWithoutAMappedPropertyIsReportedAndNotApplied) {
  Harness h(Harness::Unlimited(), "2026-12-01");
  const std::string page = h.fake.AddTaskPage("Half an answer", "Backlog");
  HookTransport transport;
  std::atomic<bool> strip{true};
  transport.after = [&](const notion::HttpRequest& req, notion::HttpResponse* resp) {
    if (!strip || req.url.find("/query") == std::string::npos) return;
    Json body = Json::parse(resp->body);
    for (auto& p : body["results"]) p["properties"].erase("Status");
    resp->body = body.dump();
  };
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  Status st = sync->SyncOnce();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("without the mapped properties \"Status\""), std::string::npos)
      << st.ToString();
  EXPECT_TRUE(h.TaskForPage(page).id.empty()) << "a card without its status became a task";
  EXPECT_EQ(sync->inbound_stats().bad_pages, 1);
  EXPECT_EQ(h.CountRequests("PATCH"), 0);
  EXPECT_EQ(h.fake.StatusOf(page), "Backlog");

  // With the full answer the card is applied as it is.
  strip = false;
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.TaskForPage(page).status, TaskStatus::kSuspended);
}

TEST(NotionVersions, ARenamedColumnIsStillReadByItsId) {
  Harness h(Harness::Unlimited(), "2026-12-01");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(h.fake.RenameProperty("Priority", "Urgency").ok());
  const std::string page = h.fake.AddTaskPage("Urgent one", "To Do");
  ASSERT_TRUE(h.fake.SetRawProperty(page, "Urgency", {{"select", {{"name", "P0"}}}}).ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.TaskForPage(page).priority, Priority::kCritical);
}

TEST(NotionVersions, APersonWithoutANameIsNamedByTheirId) {
  for (const char* version : {"2025-09-03", "2026-12-01"}) {
    SCOPED_TRACE(version);
    fakes::FakeNotionOptions fo = Harness::Unlimited();
    fo.requester_type = "people";
    Harness h(fo, version);
    const std::string page = h.fake.AddTaskPage("Asked by Ada", "To Do");
    ASSERT_TRUE(h.fake
                    .SetRawProperty(page, "Requester",
                                    {{"people", Json::array({{{"object", "user"},
                                                              {"id", "user-ada"},
                                                              {"name", "Ada Lovelace"}}})}})
                    .ok());
    auto* sync = h.NewSync();
    ASSERT_TRUE(sync->Init().ok());
    ASSERT_TRUE(sync->SyncOnce().ok());
    const Task t = h.TaskForPage(page);
    ASSERT_FALSE(t.id.empty());
    // 2026-12-01 answers "name": null for this person.
    const std::string want = std::string(version) == "2026-12-01" ? "user-ada" : "Ada Lovelace";
    EXPECT_EQ(Json::parse(t.context_json).value("requester", ""), want);
  }
}

}  // namespace
}  // namespace taskexec::notion_test

namespace taskexec::notion_test {
namespace {

// The filter the first query of a sync sent, and its Notion-Beta header.
std::pair<notion::Json, std::string> FirstQueryFilter(const Harness& h) {
  for (const auto& r : h.fake.Requests())
    if (r.method == "POST" && r.path.find("/query") != std::string::npos)
      return {notion::Json::parse(r.body).value("filter", notion::Json()), r.notion_beta};
  return {};
}

TEST(NotionVersions, TheFirstReadLeavesFinishedCardsOutWithTheFilterEachVersionTakes) {
  using notion::Json;
  for (const char* status_type : {"select", "status"}) {
    for (const char* version : kVersions) {
      SCOPED_TRACE(std::string(version) + " " + status_type);
      Harness h(BoardWith(status_type), version);
      const std::string todo = h.fake.AddTaskPage("Open", "To Do");
      const std::string done = h.fake.AddTaskPage("Finished", "Done");
      auto* sync = h.NewSync();
      ASSERT_TRUE(sync->Init().ok());
      ASSERT_TRUE(sync->SyncOnce().ok());
      EXPECT_EQ(sync->inbound_stats().pages_seen, 1) << "the Done card was listed";
      EXPECT_FALSE(h.TaskForPage(todo).id.empty());
      EXPECT_TRUE(h.TaskForPage(done).id.empty());

      const auto [filter, beta] = FirstQueryFilter(h);
      const bool groups =
          std::string(status_type) == "status" && std::string(version) >= "2026-03-11";
      const Json want =
          groups ? Json{{"property", "st%3A1"},
                        {"status", {{"group", {{"does_not_equal", "Complete"}}}}}}
                 : Json{{"property", "st%3A1"}, {status_type, {{"does_not_equal", "Done"}}}};
      EXPECT_EQ(filter, want);
      // The group operators are a beta on 2026-03-11 and plain on 2026-12-01.
      EXPECT_EQ(beta,
                groups && std::string(version) == "2026-03-11" ? notion::kStatusGroupBeta : "");

      // A card finished later is still seen (the incremental poll reads every
      // edited card) and finishes its task.
      ASSERT_TRUE(h.fake.MoveCard(todo, "Done").ok());
      h.clock.Advance(61000);
      ASSERT_TRUE(sync->SyncOnce(/*full_scan=*/true).ok());
      EXPECT_TRUE(IsTerminal(h.TaskForPage(todo).status)) << ToString(h.TaskForPage(todo).status);
    }
  }
}

TEST(NotionVersions, TheStandInMatchesStatusGroupsAsEachVersionDoes) {
  using notion::Json;
  for (const char* version : kVersions) {
    SCOPED_TRACE(version);
    Harness h(BoardWith("status"), version);
    h.fake.AddTaskPage("Open", "To Do");
    h.fake.AddTaskPage("Finished", "Done");
    auto* sync = h.NewSync();
    ASSERT_TRUE(sync->Init().ok());
    notion::QueryPage page;
    // A group name in `equals` matched the group until 2026-12-01.
    const Json by_name = {{"property", "Status"}, {"status", {{"equals", "Complete"}}}};
    ASSERT_TRUE(sync->client()->Query(by_name, Json(), "", &page).ok());
    EXPECT_EQ(page.results.size(), std::string(version) == "2026-12-01" ? 0u : 1u);
    // The group operator: refused before 2026-03-11 (no beta header is sent
    // there), behind the beta header on 2026-03-11, plain on 2026-12-01.
    const Json by_group = {{"property", "Status"},
                           {"status", {{"group", {{"equals", "Complete"}}}}}};
    Status st = sync->client()->Query(by_group, Json(), "", &page);
    if (std::string(version) < "2026-03-11") {
      EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
    } else {
      ASSERT_TRUE(st.ok()) << st.ToString();
      EXPECT_EQ(page.results.size(), 1u);
    }
  }
}

}  // namespace
}  // namespace taskexec::notion_test
