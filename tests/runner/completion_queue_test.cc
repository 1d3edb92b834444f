#include "runner/completion_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace taskexec {
namespace {

TEST(CompletionQueue, RunsJobsInOrderOffTheCallersThread) {
  std::vector<int> order;
  std::thread::id ran_on;
  CompletionQueue q;
  for (int i = 0; i < 100; ++i) q.Post([&order, i] { order.push_back(i); });
  q.Post([&ran_on] { ran_on = std::this_thread::get_id(); });
  q.Drain();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(q.pending(), 0u);
}

TEST(CompletionQueue, DrainWaitsForTheJobInProgress) {
  CompletionQueue q;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  q.Post([released, &finished] {
    released.wait();
    finished = true;
  });
  auto drained = std::async(std::launch::async, [&q] { q.Drain(); });
  EXPECT_EQ(drained.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(q.pending(), 1u);
  release.set_value();
  drained.get();
  EXPECT_TRUE(finished);
}

TEST(CompletionQueue, DestructionRunsWhatWasPosted) {
  std::atomic<int> ran{0};
  {
    CompletionQueue q;
    for (int i = 0; i < 10; ++i) q.Post([&ran] { ++ran; });
  }
  EXPECT_EQ(ran, 10);
}

TEST(CompletionQueue, AJobMayPostAnother) {
  std::atomic<int> ran{0};
  CompletionQueue q;
  q.Post([&] {
    ++ran;
    q.Post([&ran] { ++ran; });
  });
  q.Drain();  // the second job was posted before the first finished
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace taskexec
