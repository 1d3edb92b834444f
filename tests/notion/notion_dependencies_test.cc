// Dependencies read from the board: notion.blocked_by_property names a
// relation column of the board to itself; each card's related cards become
// its task's blocked_by, on every API version, past the 25 related pages a
// page object lists, with cards not imported yet imported first and a cycle
// of cards reported instead of imported.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

using notion::Json;

fakes::FakeNotionOptions BoardWithDependencies() {
  fakes::FakeNotionOptions o = Harness::Unlimited();
  o.relation_property = "Blocked by";
  return o;
}

Json Relation(const std::vector<std::string>& pages) {
  Json items = Json::array();
  for (const std::string& p : pages) items.push_back({{"id", p}});
  return Json{{"relation", items}};
}

class NotionDependenciesByVersion : public ::testing::TestWithParam<const char*> {};

TEST_P(NotionDependenciesByVersion, RelatedCardsBecomeTheTasksBlockedBy) {
  Harness h(BoardWithDependencies(), GetParam());
  h.config.blocked_by_property = "Blocked by";
  const std::string schema = h.fake.AddTaskPage("Design the schema", "To Do");
  const std::string api = h.fake.AddTaskPage("Build the API", "To Do");
  const std::string done = h.fake.AddTaskPage("Pick the database", "Done");
  ASSERT_TRUE(h.fake.SetRawProperty(api, "Blocked by", Relation({schema, done})).ok());
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.service->adds.load(), 2);  // the finished card is history
  const Task first = h.TaskForPage(schema);
  Task second = h.TaskForPage(api);
  ASSERT_FALSE(first.id.empty());
  EXPECT_EQ(second.blocked_by, std::vector<std::string>{first.id});
  EXPECT_EQ(second.waiting_on, std::vector<std::string>{first.id});

  // The first task fails: the second is blocked, and its card says so.
  const std::string exec = StartTask(h.store.get(), first.id, "main");
  FinishTask(h.store.get(), first.id, exec, ExecutionStatus::kFailed, TaskStatus::kFailed, "",
             "tests do not pass");
  ASSERT_TRUE(sync->SyncOnce().ok());
  second = h.TaskForPage(api);
  EXPECT_EQ(second.status, TaskStatus::kBlocked);
  EXPECT_EQ(h.fake.StatusOf(api), "Blocked");

  // A person drops the relation on the card: the task is released.
  ASSERT_TRUE(h.fake.SetRawProperty(api, "Blocked by", Relation({})).ok());
  h.clock.Advance(60 * 1000);
  ASSERT_TRUE(sync->SyncOnce().ok());
  second = h.TaskForPage(api);
  EXPECT_TRUE(second.blocked_by.empty());
  EXPECT_EQ(second.status, TaskStatus::kPending);
}

INSTANTIATE_TEST_SUITE_P(Versions, NotionDependenciesByVersion,
                         ::testing::Values("2022-06-28", "2025-09-03", "2026-12-01"));

TEST(NotionDependencies, MoreThan25RelatedCardsAreReadFromThePropertyItems) {
  Harness h(BoardWithDependencies());
  h.config.blocked_by_property = "Blocked by";
  std::vector<std::string> parts;
  for (int i = 0; i < 30; ++i)
    parts.push_back(h.fake.AddTaskPage("Part " + std::to_string(i), "To Do"));
  const std::string whole = h.fake.AddTaskPage("Assemble", "To Do");
  ASSERT_TRUE(h.fake.SetRawProperty(whole, "Blocked by", Relation(parts)).ok());
  Json page;
  ASSERT_TRUE(h.fake.GetPage(whole, &page).ok());
  EXPECT_TRUE(page["properties"]["Blocked by"]["has_more"].get<bool>());
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  h.fake.ResetRequests();
  ASSERT_TRUE(sync->SyncOnce().ok());
  const Task t = h.TaskForPage(whole);
  ASSERT_EQ(t.blocked_by.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(t.blocked_by[i], h.TaskForPage(parts[i]).id) << i;
  int item_reads = 0;
  for (const auto& r : h.fake.Requests())
    if (r.path.find("/properties/") != std::string::npos) ++item_reads;
  EXPECT_EQ(item_reads, 1);  // 30 items fit in one page of 100
}

TEST(NotionDependencies, ACycleOfCardsIsReportedNotImportedUntilBroken) {
  Harness h(BoardWithDependencies());
  h.config.blocked_by_property = "Blocked by";
  const std::string a = h.fake.AddTaskPage("Write the docs", "To Do");
  const std::string b = h.fake.AddTaskPage("Review the docs", "To Do");
  const std::string c = h.fake.AddTaskPage("Unrelated", "To Do");
  ASSERT_TRUE(h.fake.SetRawProperty(a, "Blocked by", Relation({b})).ok());
  ASSERT_TRUE(h.fake.SetRawProperty(b, "Blocked by", Relation({a})).ok());
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  Status st = sync->SyncOnce();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cycle"), std::string::npos) << st.ToString();
  EXPECT_TRUE(h.TaskForPage(a).id.empty());
  EXPECT_TRUE(h.TaskForPage(b).id.empty());
  EXPECT_FALSE(h.TaskForPage(c).id.empty());  // the rest of the board goes on

  ASSERT_TRUE(h.fake.SetRawProperty(a, "Blocked by", Relation({})).ok());
  h.clock.Advance(60 * 1000);
  ASSERT_TRUE(sync->SyncOnce().ok());
  const Task ta = h.TaskForPage(a);
  const Task tb = h.TaskForPage(b);
  ASSERT_FALSE(ta.id.empty());
  EXPECT_EQ(tb.blocked_by, std::vector<std::string>{ta.id});

  // Closing the cycle again between two imported tasks is refused by the
  // store: the edit is not applied and b keeps waiting on a.
  ASSERT_TRUE(h.fake.SetRawProperty(a, "Blocked by", Relation({b})).ok());
  h.clock.Advance(60 * 1000);
  sync->SyncOnce();
  EXPECT_TRUE(h.TaskForPage(a).blocked_by.empty());
  EXPECT_EQ(h.TaskForPage(b).blocked_by, std::vector<std::string>{ta.id});
}

TEST(NotionDependencies, AMisTypedOrMissingColumnStopsInit) {
  Harness missing;  // the default board has no relation column
  missing.config.blocked_by_property = "Blocked by";
  Status st = missing.NewSync()->Init();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"Blocked by\" (dependencies) is missing"), std::string::npos)
      << st.message();
  Harness wrong;
  wrong.config.blocked_by_property = "Requester";
  st = wrong.NewSync()->Init();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("expected type relation, found rich_text"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace taskexec::notion_test
