// The TaskStore conformance suite on PostgreSQL: a throwaway server
// (pg_server.h) for the whole binary, a fresh schema for each test.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "store/pg_test_server.h"
#include "store/postgres/pg_store.h"
#include "store/store_conformance.h"

namespace taskexec {
namespace {

using store_test::PgServer;

PgServer* Server() { return store_test::TestPgServer(); }

std::unique_ptr<TaskStore> FreshPgStore() {
  if (Server() == nullptr) return nullptr;
  PgStoreOptions o;
  Status s = Server()->FreshSchema(&o.connect.conninfo);
  if (!s.ok()) {
    ADD_FAILURE() << s.ToString();
    return nullptr;
  }
  std::unique_ptr<PgStore> store;
  s = PgStore::Open(o, &store);
  if (!s.ok()) {
    ADD_FAILURE() << "cannot open the PostgreSQL store: " << s.ToString();
    return nullptr;
  }
  return store;
}

// Waits for pushes from a subscription, counting them.
class PushCounter {
 public:
  std::function<void()> Callback() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++pushes_;
      cv_.notify_all();
    };
  }
  // True once more than `seen` pushes arrived (within 30 s).
  bool WaitBeyond(int seen) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return pushes_ > seen; });
  }
  int pushes() {
    std::lock_guard<std::mutex> lock(mu_);
    return pushes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pushes_ = 0;
};

std::unique_ptr<PgStore> OpenOn(const std::string& conninfo) {
  PgStoreOptions o;
  o.connect.conninfo = conninfo;
  std::unique_ptr<PgStore> store;
  Status s = PgStore::Open(o, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

// A task added through one service's store reaches another's at once, by
// NOTIFY, not at its next poll; neither a board in another schema nor the
// writer itself is woken.
TEST(PgChanges, AWriteByAnotherProcessIsPushed) {
  ASSERT_NE(Server(), nullptr);
  std::string info, other_info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  ASSERT_TRUE(Server()->FreshSchema(&other_info).ok());
  auto writer = OpenOn(info), watcher = OpenOn(info), other = OpenOn(other_info);
  ASSERT_TRUE(writer && watcher && other);
  PushCounter pushed, elsewhere, own;
  auto sub = watcher->SubscribeToChanges(pushed.Callback());
  auto own_sub = writer->SubscribeToChanges(own.Callback());
  auto other_sub = other->SubscribeToChanges(elsewhere.Callback());
  ASSERT_NE(sub, nullptr);
  int64_t before = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&before).ok());
  NewTask nt;
  nt.title = "pushed";
  Task t;
  ASSERT_TRUE(writer->AddTask(nt, store_test::kT0, &t).ok());
  ASSERT_TRUE(pushed.WaitBeyond(0));
  int64_t after = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&after).ok());
  EXPECT_NE(after, before);
  // A cancel request is a task write too.
  const int seen = pushed.pushes();
  ASSERT_TRUE(writer->RequestCancel(t.id, "no longer needed", store_test::kT0, &t).ok());
  ASSERT_TRUE(pushed.WaitBeyond(seen));
  EXPECT_EQ(elsewhere.pushes(), 0) << "another schema's board was woken";
  EXPECT_EQ(own.pushes(), 0) << "a store was told of its own writes";
  // After the subscription ends, no more calls.
  sub.reset();
  const int final_count = pushed.pushes();
  ASSERT_TRUE(writer->AddTask(nt, store_test::kT0, &t).ok());
  ASSERT_TRUE(watcher->ChangeCounter(&after).ok());
  EXPECT_EQ(pushed.pushes(), final_count);
}

// The listener's connection dies with the server; it comes back by itself
// and says that changes may have been missed.
TEST(PgChanges, TheListenerReconnectsAfterAServerRestart) {
  ASSERT_NE(Server(), nullptr);
  std::string info;
  ASSERT_TRUE(Server()->FreshSchema(&info).ok());
  auto watcher = OpenOn(info);
  ASSERT_NE(watcher, nullptr);
  PushCounter pushed;
  auto sub = watcher->SubscribeToChanges(pushed.Callback());
  int64_t before = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&before).ok());
  ASSERT_TRUE(Server()->Stop(/*immediate=*/true).ok());
  ASSERT_TRUE(Server()->StartAgain().ok());
  ASSERT_TRUE(pushed.WaitBeyond(0)) << "no push after the reconnect";
  // Pushes flow again: a write after the restart is heard.
  auto writer = OpenOn(info);
  ASSERT_NE(writer, nullptr);
  const int seen = pushed.pushes();
  NewTask nt;
  nt.title = "after the restart";
  Task t;
  ASSERT_TRUE(writer->AddTask(nt, store_test::kT0, &t).ok());
  ASSERT_TRUE(pushed.WaitBeyond(seen));
  int64_t after = 0;
  ASSERT_TRUE(watcher->ChangeCounter(&after).ok());
  EXPECT_NE(after, before);
}

}  // namespace

namespace store_test {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"postgres", FreshPgStore}),
                         StoreFactoryName);

}  // namespace store_test
}  // namespace taskexec
