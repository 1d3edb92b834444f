// Conformance: the task listing people page through -- newest first or by
// another key, filtered by type and free text, skipped with an offset,
// continued with a cursor in either direction -- and the count of what the
// filters match.
#include <functional>
#include <string>
#include <vector>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using Strings = std::vector<std::string>;

// Five tasks, one created per millisecond from kT0 + 1 (ids a..e):
//   a "Fix the login bug"  research  low       assigned jochi
//   b "add tests"          code      critical
//   c "Write docs"         research  normal    description mentions LOGIN
//   d "deploy"             code      high      assigned jochi
//   e "Zebra"              ops       normal
Strings AddFive(const std::function<Task(const NewTask&, TimeMs)>& add) {
  struct Row {
    const char* title;
    const char* type;
    Priority priority;
    const char* agent;
    const char* description;
  };
  const Row rows[] = {
      {"Fix the login bug", "research", Priority::kLow, "jochi", ""},
      {"add tests", "code", Priority::kCritical, "", ""},
      {"Write docs", "research", Priority::kNormal, "", "Explain the Login page"},
      {"deploy", "code", Priority::kHigh, "jochi", ""},
      {"Zebra", "ops", Priority::kNormal, "", ""},
  };
  Strings ids;
  TimeMs at = kT0;
  for (const Row& r : rows) {
    NewTask nt;
    nt.title = r.title;
    nt.type = r.type;
    nt.priority = r.priority;
    nt.assigned_to = r.agent;
    nt.description = r.description;
    ids.push_back(add(nt, ++at).id);
  }
  return ids;
}

Strings List(TaskStore& store, const TaskFilter& f) {
  std::vector<Task> out;
  Status s = store.ListTasks(f, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return Ids(out);
}

int64_t Count(TaskStore& store, const TaskFilter& f) {
  int64_t n = -1;
  Status s = store.CountTasks(f, &n);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return n;
}

Strings Pick(const Strings& ids, std::initializer_list<int> which) {
  Strings out;
  for (int i : which) out.push_back(ids[static_cast<size_t>(i)]);
  return out;
}

TEST_P(StoreConformanceTest, ListingNewestFirstWithOffsetAndTotal) {
  const Strings ids = AddFive([&](const NewTask& nt, TimeMs at) { return Add(nt, at); });
  TaskFilter f;
  f.descending = true;
  EXPECT_EQ(List(*store_, f), Pick(ids, {4, 3, 2, 1, 0}));
  f.limit = 2;
  f.offset = 1;
  EXPECT_EQ(List(*store_, f), Pick(ids, {3, 2}));
  f.offset = 4;
  EXPECT_EQ(List(*store_, f), Pick(ids, {0}));
  f.offset = 9;
  EXPECT_TRUE(List(*store_, f).empty());
  EXPECT_EQ(Count(*store_, f), 5);  // limit and offset do not change the total
}

TEST_P(StoreConformanceTest, ListingSortsByEachKeyBothWays) {
  const Strings ids = AddFive([&](const NewTask& nt, TimeMs at) { return Add(nt, at); });
  TaskFilter f;
  f.sort = TaskSortKey::kPriority;
  f.descending = true;  // critical first; equal priorities newest first
  EXPECT_EQ(List(*store_, f), Pick(ids, {1, 3, 4, 2, 0}));
  f.descending = false;
  EXPECT_EQ(List(*store_, f), Pick(ids, {0, 2, 4, 3, 1}));
  f.sort = TaskSortKey::kTitle;  // case-insensitive
  EXPECT_EQ(List(*store_, f), Pick(ids, {1, 3, 0, 2, 4}));
  f.descending = true;
  EXPECT_EQ(List(*store_, f), Pick(ids, {4, 2, 0, 3, 1}));

  // A claim moves the task's status and its updated_at.
  std::vector<Task> all;
  ASSERT_TRUE(store_->ListTasks({}, &all).ok());
  MustClaim(all[1], "exec-A", kT0 + 100);
  f = {};
  f.sort = TaskSortKey::kUpdated;
  f.descending = true;
  EXPECT_EQ(List(*store_, f).front(), ids[1]);
  f.sort = TaskSortKey::kStatus;  // "assigned" before "pending"
  f.descending = false;
  EXPECT_EQ(List(*store_, f), Pick(ids, {1, 0, 2, 3, 4}));
}

TEST_P(StoreConformanceTest, ListingFiltersByTypeAndFreeTextAndCountsThem) {
  const Strings ids = AddFive([&](const NewTask& nt, TimeMs at) { return Add(nt, at); });
  TaskFilter f;
  f.type = "research";
  EXPECT_EQ(List(*store_, f), Pick(ids, {0, 2}));
  EXPECT_EQ(Count(*store_, f), 2);

  f = {};
  f.text = "LoGiN";  // a title and a description, any case
  EXPECT_EQ(List(*store_, f), Pick(ids, {0, 2}));
  EXPECT_EQ(Count(*store_, f), 2);
  f.text = ids[3];  // the id
  EXPECT_EQ(List(*store_, f), Pick(ids, {3}));
  f.text = "no such words";
  EXPECT_TRUE(List(*store_, f).empty());
  EXPECT_EQ(Count(*store_, f), 0);
  f.text = "50%_";  // LIKE wildcards are plain text
  EXPECT_TRUE(List(*store_, f).empty());

  f = {};
  f.type = "code";
  f.agent = "jochi";
  EXPECT_EQ(List(*store_, f), Pick(ids, {3}));
  EXPECT_EQ(Count(*store_, f), 1);

  // Status and agent alone: the totals the stats keep.
  f = {};
  EXPECT_EQ(Count(*store_, f), 5);
  f.agent = "jochi";
  EXPECT_EQ(Count(*store_, f), 2);
  f.status = TaskStatus::kPending;
  EXPECT_EQ(Count(*store_, f), 2);
  f.status = TaskStatus::kCompleted;
  EXPECT_EQ(Count(*store_, f), 0);
}

// A cursor pages newest first too, also through an agent's tasks (which a
// store may read status by status) with tasks sharing a created_at.
TEST_P(StoreConformanceTest, ListingACursorPagesNewestFirst) {
  Strings all;
  for (int i = 0; i < 7; ++i) {
    NewTask nt;
    nt.title = "t" + std::to_string(i);
    nt.assigned_to = i % 2 == 0 ? "jochi" : "";
    all.push_back(Add(nt, kT0 + i / 2).id);
  }
  std::vector<Task> first;
  ASSERT_TRUE(store_->ListTasks({}, &first).ok());
  // t2 stays jochi's but moves to another status.
  ClaimRequest req = ClaimFor(first[2], "exec-A", kT0 + 50);
  req.agent = "jochi";
  Claim claim;
  ASSERT_TRUE(store_->Claim(req, &claim).ok());
  ASSERT_EQ(claim.task.status, TaskStatus::kInProgress);

  for (const std::string agent : {"", "jochi"}) {
    Strings expected;
    for (int i = 6; i >= 0; --i) {
      if (agent.empty() || i % 2 == 0) expected.push_back(all[static_cast<size_t>(i)]);
    }
    TaskFilter f;
    f.agent = agent;
    f.descending = true;
    f.limit = 2;
    Strings seen;
    for (int page = 0; page < 6; ++page) {
      std::vector<Task> out;
      ASSERT_TRUE(store_->ListTasks(f, &out).ok());
      if (out.empty()) break;
      for (const Task& t : out) seen.push_back(t.id);
      f.after = out.back().id;
    }
    EXPECT_EQ(seen, expected) << "agent " << agent;
    // An agent's newest first, with an offset, merged across statuses.
    f.after.clear();
    f.offset = 1;
    f.limit = 2;
    EXPECT_EQ(List(*store_, f), Strings(expected.begin() + 1, expected.begin() + 3))
        << "agent " << agent;
  }
}

TEST_P(StoreConformanceTest, ListingRefusesWhatNoStoreCanList) {
  const Strings ids = AddFive([&](const NewTask& nt, TimeMs at) { return Add(nt, at); });
  std::vector<Task> out;
  TaskFilter f;
  f.offset = -1;
  EXPECT_TRUE(store_->ListTasks(f, &out).IsInvalidArgument());
  f.offset = 1;
  f.after = ids[0];
  EXPECT_TRUE(store_->ListTasks(f, &out).IsInvalidArgument());
  f.offset = 0;
  f.sort = TaskSortKey::kTitle;
  Status s = store_->ListTasks(f, &out);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("created"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace taskexec::store_test
