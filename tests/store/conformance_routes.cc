// Conformance: dispatch by routed agent -- the stored route, the per-agent
// runnable listing, unrouted tasks, routes written and cleared, and the
// queued agents.
#include <string>
#include <vector>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using E = ExecutionStatus;
using S = TaskStatus;

TEST_P(StoreConformanceTest, RoutedAgentIsStoredAndEditsOfRoutingInputsClearIt) {
  NewTask nt;
  nt.title = "Fix the login bug";
  nt.routed_agent = "temujin";
  Task t = Add(nt);
  EXPECT_EQ(t.routed_agent, "temujin");
  EXPECT_EQ(Get(t.id).routed_agent, "temujin");
  Task out;
  TaskPatch priority_only;
  priority_only.priority = Priority::kHigh;
  ASSERT_TRUE(store_->UpdateTask(t.id, priority_only, -1, kT0 + 1, &out).ok());
  EXPECT_EQ(Get(t.id).routed_agent, "temujin");
  for (int field = 0; field < 4; ++field) {
    ASSERT_TRUE(store_->SetRoutes({TaskRoute{Get(t.id), "temujin"}}, nullptr).ok());
    TaskPatch p;
    if (field == 0) p.title = "Research vector databases";
    if (field == 1) p.description = "all of them";
    if (field == 2) p.type = "research";
    if (field == 3) p.assigned_to = "mongke";
    ASSERT_TRUE(store_->UpdateTask(t.id, p, -1, kT0 + 2 + field, &out).ok());
    EXPECT_EQ(out.routed_agent, "") << field;
    EXPECT_EQ(Get(t.id).routed_agent, "") << field;
  }
}

TEST_P(StoreConformanceTest, RunnableForListsOneAgentsRunnableTasksInQueueOrder) {
  auto add = [&](const std::string& title, const std::string& agent, TimeMs now,
                 Priority priority = Priority::kNormal) {
    NewTask nt;
    nt.title = title;
    nt.priority = priority;
    nt.routed_agent = agent;
    return Add(nt, now);
  };
  Task low = add("low", "temujin", kT0 + 1, Priority::kLow);
  Task normal_old = add("normal old", "temujin", kT0 + 2);
  Task critical = add("critical", "temujin", kT0 + 3, Priority::kCritical);
  Task normal_new = add("normal new", "temujin", kT0 + 4);
  Task retry_due = add("retry due", "temujin", kT0 + 5, Priority::kHigh);
  Task retry_later = add("retry later", "temujin", kT0 + 6, Priority::kCritical);
  Task requested = add("requested", "temujin", kT0 + 7, Priority::kCritical);
  Task cancelled = add("cancelled", "temujin", kT0 + 8, Priority::kCritical);
  Task held = add("held", "temujin", kT0 + 9, Priority::kCritical);
  add("other agent", "mongke", kT0 + 10, Priority::kCritical);
  add("unrouted", "", kT0 + 11, Priority::kCritical);
  NewTask blocked;
  blocked.title = "blocked";
  blocked.status = S::kBlocked;
  blocked.routed_agent = "temujin";
  Add(blocked, kT0 + 12);
  ASSERT_TRUE(
      store_->RequestExecution(requested.id, "exec-r", "", /*force=*/false, kT0 + 20, nullptr)
          .ok());
  ASSERT_TRUE(store_->RequestCancel(cancelled.id, "no", kT0 + 20, nullptr).ok());
  MustClaim(held);
  {
    Claim c = MustClaim(retry_due);
    AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 30);
    o.retry_count = 1;
    o.next_attempt_at = kT0 + 40;
    ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
    c = MustClaim(retry_later);
    o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 30);
    o.retry_count = 1;
    o.next_attempt_at = kT0 + 100'000;
    ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  }
  // A retry keeps its route.
  EXPECT_EQ(Get(retry_due.id).routed_agent, "temujin");

  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 50, 100, {}, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{critical.id, retry_due.id, normal_old.id,
                                                normal_new.id, low.id}));
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 50, 2, {}, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{critical.id, retry_due.id}));
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 100'000, 3, {}, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{critical.id, retry_later.id, retry_due.id}));
  ASSERT_TRUE(store_->ListRunnableFor("nobody", kT0 + 50, 5, {}, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(store_->ListRunnableFor("temujin", kT0, 0, {}, &out).IsInvalidArgument());
}

// A type at its executor.max_concurrent_by_type cap is left out of the
// listing (case-insensitively), and its tasks do not use up the limit.
TEST_P(StoreConformanceTest, RunnableForLeavesOutTheSkippedTypes) {
  auto add = [&](const std::string& title, const std::string& type, TimeMs now) {
    NewTask nt;
    nt.title = title;
    nt.type = type;
    nt.routed_agent = "temujin";
    return Add(nt, now);
  };
  Task deploy = add("deploy", "Deploy", kT0 + 1);
  Task deploy2 = add("deploy again", "deploy", kT0 + 2);
  Task research = add("research", "research", kT0 + 3);
  Task untyped = add("untyped", "", kT0 + 4);
  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 10, 10, {}, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{deploy.id, deploy2.id, research.id, untyped.id}));
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 10, 1, {"deploy"}, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{research.id});
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 10, 10, {"deploy", "research"}, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{untyped.id});
}

// A dispatch's listings read together give what the listings made one by
// one give: the requested tasks, then each agent's, in the order asked.
TEST_P(StoreConformanceTest, ListForDispatchGivesWhatEachListingGives) {
  auto add = [&](const std::string& title, const std::string& agent, const std::string& type,
                 TimeMs now) {
    NewTask nt;
    nt.title = title;
    nt.type = type;
    nt.routed_agent = agent;
    return Add(nt, now);
  };
  Task t1 = add("t1", "temujin", "", kT0 + 1);
  Task t2 = add("t2", "temujin", "deploy", kT0 + 2);
  Task t3 = add("t3", "temujin", "", kT0 + 3);
  Task k1 = add("k1", "kublai", "", kT0 + 4);
  Task asked = add("asked", "kublai", "", kT0 + 5);
  ASSERT_TRUE(
      store_->RequestExecution(asked.id, "exec-a", "", /*force=*/false, kT0 + 6, nullptr).ok());

  const std::vector<std::pair<std::string, int>> per_agent = {
      {"kublai", 5}, {"temujin", 2}, {"nobody", 3}};
  TaskStore::DispatchListing listed;
  ASSERT_TRUE(store_->ListForDispatch(kT0 + 10, 8, per_agent, {"deploy"}, &listed).ok());
  EXPECT_EQ(Ids(listed.requested), std::vector<std::string>{asked.id});
  ASSERT_EQ(listed.by_agent.size(), 3u);
  EXPECT_EQ(Ids(listed.by_agent[0]), std::vector<std::string>{k1.id});
  EXPECT_EQ(Ids(listed.by_agent[1]), (std::vector<std::string>{t1.id, t3.id}));
  EXPECT_TRUE(listed.by_agent[2].empty());
  for (size_t i = 0; i < per_agent.size(); ++i) {
    std::vector<Task> alone;
    ASSERT_TRUE(
        store_
            ->ListRunnableFor(per_agent[i].first, kT0 + 10, per_agent[i].second, {"deploy"}, &alone)
            .ok());
    EXPECT_EQ(Ids(listed.by_agent[i]), Ids(alone)) << per_agent[i].first;
  }

  // No requests asked for, no agents: nothing read, nothing left over.
  ASSERT_TRUE(store_->ListForDispatch(kT0 + 10, 0, {}, {}, &listed).ok());
  EXPECT_TRUE(listed.requested.empty());
  EXPECT_TRUE(listed.by_agent.empty());
  EXPECT_TRUE(
      store_->ListForDispatch(kT0 + 10, 0, {{"temujin", 0}}, {}, &listed).IsInvalidArgument());
  (void)t2;
}

TEST_P(StoreConformanceTest, UnroutedTasksAreListedAndRoutedAtTheirVersion) {
  NewTask nt;
  nt.title = "a";
  nt.priority = Priority::kLow;
  Task a = Add(nt, kT0 + 1);
  nt.title = "b";
  nt.priority = Priority::kHigh;
  Task b = Add(nt, kT0 + 2);
  nt.title = "c";
  nt.priority = Priority::kNormal;
  Task c = Add(nt, kT0 + 3);
  nt.title = "retrying later";
  Task r = Add(nt, kT0 + 4);
  nt.title = "routed";
  nt.routed_agent = "kublai";
  Add(nt, kT0 + 5);
  nt.routed_agent = "";
  nt.title = "done";
  nt.status = S::kCompleted;
  Add(nt, kT0 + 6);
  {
    Claim cl = MustClaim(r);
    AttemptOutcome o = OutcomeFor(cl, S::kRetrying, E::kFailed, kT0 + 7);
    o.retry_count = 1;
    o.next_attempt_at = kT0 + 100'000;  // not due: still queued, still to route
    ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  }
  r = Get(r.id);

  std::vector<Task> out;
  ASSERT_TRUE(store_->ListUnrouted(10, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{b.id, c.id, r.id, a.id}));
  ASSERT_TRUE(store_->ListUnrouted(2, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{b.id, c.id}));
  EXPECT_TRUE(store_->ListUnrouted(0, &out).IsInvalidArgument());

  // `a` is edited after it was read: its route is not recorded.
  ASSERT_TRUE(store_->ListUnrouted(10, &out).ok());
  TaskPatch p;
  p.priority = Priority::kCritical;
  ASSERT_TRUE(store_->UpdateTask(a.id, p, -1, kT0 + 8, nullptr).ok());
  std::vector<TaskRoute> routes;
  for (const Task& t : out) routes.push_back(TaskRoute{t, t.id == r.id ? "mongke" : "temujin"});
  int written = -1;
  ASSERT_TRUE(store_->SetRoutes(routes, &written).ok());
  EXPECT_EQ(written, 3);
  // Derived data: no version bump, no updated_at change.
  Task b_after = Get(b.id);
  EXPECT_EQ(b_after.routed_agent, "temujin");
  EXPECT_EQ(b_after.version, b.version);
  EXPECT_EQ(b_after.updated_at, b.updated_at);
  EXPECT_EQ(Get(r.id).routed_agent, "mongke");
  EXPECT_EQ(Get(a.id).routed_agent, "");
  ASSERT_TRUE(store_->ListUnrouted(10, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{a.id});
  // A claim made from the version read before the route still succeeds.
  MustClaim(b);
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 10, 10, {}, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{c.id});
  ASSERT_TRUE(store_->ListRunnableFor("mongke", kT0 + 100'000, 10, {}, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{r.id});
  TaskRoute empty{Get(a.id), ""};
  EXPECT_TRUE(store_->SetRoutes({empty}, nullptr).IsInvalidArgument());
  ASSERT_TRUE(store_->SetRoutes({}, &written).ok());
  EXPECT_EQ(written, 0);

  // Two executors routed the same read: the first route recorded stands,
  // and the second write leaves the task alone.
  Task d = Add("d");
  ASSERT_TRUE(store_->SetRoutes({TaskRoute{d, "temujin"}}, &written).ok());
  EXPECT_EQ(written, 1);
  ASSERT_TRUE(store_->SetRoutes({TaskRoute{d, "mongke"}}, &written).ok());
  EXPECT_EQ(written, 0);
  EXPECT_EQ(Get(d.id).routed_agent, "temujin");
}

TEST_P(StoreConformanceTest, QueuedAgentsAndClearRoutes) {
  NewTask nt;
  nt.title = "t";
  for (const char* agent : {"temujin", "mongke", "temujin", ""}) {
    nt.routed_agent = agent;
    Add(nt);
  }
  nt.routed_agent = "kublai";
  Task retrying = Add(nt);
  nt.routed_agent = "jochi";
  nt.status = S::kCompleted;
  Add(nt);  // not queued
  nt.status = S::kPending;
  nt.routed_agent = "ogedei";
  MustClaim(Add(nt));  // held: not queued
  {
    Claim c = MustClaim(retrying);
    AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 5);
    o.retry_count = 1;
    o.next_attempt_at = kT0 + 100'000;
    ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  }
  std::vector<std::string> agents;
  ASSERT_TRUE(store_->ListQueuedAgents(&agents).ok());
  EXPECT_EQ(agents, (std::vector<std::string>{"kublai", "mongke", "temujin"}));

  int64_t cleared = -1;
  ASSERT_TRUE(store_->ClearRoutes(&cleared).ok());
  EXPECT_EQ(cleared, 6);  // every task with a route, queued or not
  ASSERT_TRUE(store_->ListQueuedAgents(&agents).ok());
  EXPECT_TRUE(agents.empty());
  std::vector<Task> out;
  ASSERT_TRUE(store_->ListUnrouted(100, &out).ok());
  EXPECT_EQ(out.size(), 5u);
  ASSERT_TRUE(store_->ClearRoutes(&cleared).ok());
  EXPECT_EQ(cleared, 0);
}

}  // namespace
}  // namespace taskexec::store_test
