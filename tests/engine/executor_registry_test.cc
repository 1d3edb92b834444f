// The services on a store, from their heartbeats: live within a lease, gone
// after a clean stop, forgotten ten leases after a silent death; and an
// engine beats from its start and departs when it stops.
#include "engine/executor_registry.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "engine/engine.h"
#include "fake_launcher.h"
#include "routing/agent_router.h"
#include "store/sqlite/sqlite_store.h"
#include "store/temp_dir.h"

namespace taskexec {
namespace {

constexpr TimeMs kT0 = 1'800'000'000'000;

class ExecutorRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SqliteStore::Open(dir_.File("tasks.db"), StoreConfig{}, &store_).ok());
  }
  ExecutorRecord Record(const std::string& id) {
    ExecutorRecord r;
    r.executor_id = id;
    r.host = "host-" + id;
    r.pid = 100;
    r.started_at = kT0;
    r.lease_ms = 30'000;
    return r;
  }
  std::vector<std::string> Live(TimeMs now) {
    std::vector<ExecutorRecord> live;
    EXPECT_TRUE(LiveExecutors(store_.get(), now, &live).ok());
    std::vector<std::string> ids;
    for (const auto& r : live) ids.push_back(r.executor_id);
    return ids;
  }

  store_test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

// Every process on the store writes these records: one with a field of
// another type (a newer or a broken writer) reads as unset instead of
// throwing out of `status` or a heartbeat.
TEST_F(ExecutorRegistryTest, ARecordWithAFieldOfAnotherTypeIsReadNotThrown) {
  ASSERT_TRUE(store_
                  ->SetMeta(kExecutorsKey,
                            R"({"odd": {"host": 7, "pid": "100", "heartbeat_at": 1.8e12,
                                        "lease_ms": "30s", "version": null}})")
                  .ok());
  EXPECT_TRUE(Heartbeat(store_.get(), Record("a"), kT0).ok());
  std::vector<ExecutorRecord> live;
  ASSERT_TRUE(LiveExecutors(store_.get(), kT0, &live).ok());
  ASSERT_EQ(live.size(), 1u) << "the odd record has no heartbeat time: not live";
  EXPECT_EQ(live[0].executor_id, "a");
}

TEST_F(ExecutorRegistryTest, LiveWithinALeaseGoneAfterAStopForgottenAfterTenLeases) {
  EXPECT_TRUE(Live(kT0).empty());
  ASSERT_TRUE(Heartbeat(store_.get(), Record("a"), kT0).ok());
  ASSERT_TRUE(Heartbeat(store_.get(), Record("b"), kT0 + 1000).ok());
  std::vector<ExecutorRecord> live;
  ASSERT_TRUE(LiveExecutors(store_.get(), kT0 + 1000, &live).ok());
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].host, "host-a");
  EXPECT_EQ(live[0].heartbeat_at, kT0);
  EXPECT_EQ(live[0].version, TASKEXEC_VERSION);

  // a goes silent (killed): live for one lease after its last beat.
  ASSERT_TRUE(Heartbeat(store_.get(), Record("b"), kT0 + 30'000).ok());
  EXPECT_EQ(Live(kT0 + 30'000), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Live(kT0 + 30'001), (std::vector<std::string>{"b"}));
  // Its entry stays (a slow store may delay a beat) until ten leases passed.
  ASSERT_TRUE(Heartbeat(store_.get(), Record("b"), kT0 + 300'000).ok());
  std::string text;
  ASSERT_TRUE(store_->GetMeta(kExecutorsKey, &text).ok());
  EXPECT_NE(text.find("\"a\""), std::string::npos) << text;
  ASSERT_TRUE(Heartbeat(store_.get(), Record("b"), kT0 + 300'001).ok());
  ASSERT_TRUE(store_->GetMeta(kExecutorsKey, &text).ok());
  EXPECT_EQ(text.find("\"a\""), std::string::npos) << text;

  // A clean stop removes the entry at once.
  ASSERT_TRUE(Depart(store_.get(), "b").ok());
  EXPECT_TRUE(Live(kT0 + 300'001).empty());
  // An unreadable value is started afresh, not an error.
  ASSERT_TRUE(store_->SetMeta(kExecutorsKey, "not json").ok());
  EXPECT_TRUE(Live(kT0).empty());
  ASSERT_TRUE(Heartbeat(store_.get(), Record("c"), kT0).ok());
  EXPECT_EQ(Live(kT0), (std::vector<std::string>{"c"}));
}

TEST_F(ExecutorRegistryTest, AnEngineBeatsWhileItRunsAndDepartsWhenItStops) {
  Config config;
  config.store.db_path = dir_.File("tasks.db");
  config.executor.executor_id = "engine-under-test";
  config.executor.shutdown_grace_seconds = 0;
  AgentRouter router(config.routing);
  ManualClock clock(kT0);
  {
    Engine engine(config, store_.get(), &router, &clock,
                  [] { return std::make_unique<FakeLauncher>(); });
    ASSERT_TRUE(engine.Start().ok());
    // The first lease renewal runs at the loop's start.
    std::vector<ExecutorRecord> live;
    for (int i = 0; i < 2000 && live.empty(); ++i) {
      ASSERT_TRUE(LiveExecutors(store_.get(), kT0, &live).ok());
      if (live.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].executor_id, "engine-under-test");
    EXPECT_EQ(live[0].pid, static_cast<int64_t>(getpid()));
    EXPECT_EQ(live[0].host, HostName());
    EXPECT_EQ(live[0].started_at, kT0);
    engine.Stop();
  }
  EXPECT_TRUE(Live(kT0).empty());
}

}  // namespace
}  // namespace taskexec
