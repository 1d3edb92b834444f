// The outbox as a person sees it: pending writes, refusals with Notion's
// reason, and a retry that queues a refused task's writes again.
#include <gtest/gtest.h>

#include "comment_kinds.h"
#include "notion/outbox.h"
#include "notion/sync_state.h"
#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

using notion::Json;

bool IsPatchOf(const notion::HttpRequest& r, const std::string& page_id) {
  return r.method == "PATCH" &&
         notion::CompactId(r.url).find(notion::CompactId(page_id)) != std::string::npos;
}

void Refuse(notion::HttpResponse* resp, const std::string& message) {
  resp->status = 400;
  resp->body =
      Json{{"object", "error"}, {"status", 400}, {"code", "validation_error"}, {"message", message}}
          .dump();
}

// While `*refuse` holds, Notion refuses every property write to `page_id`
// as a bad option value.
void RefusePatchesOf(HookTransport* transport, const std::string& page_id,
                     const std::atomic<bool>* refuse) {
  transport->before = [page_id, refuse](const notion::HttpRequest& req,
                                        notion::HttpResponse* resp) {
    if (!*refuse || !IsPatchOf(req, page_id)) return false;
    Refuse(resp, "Invalid select option, commas not allowed.");
    return true;
  };
}

std::vector<notion::OutboxItem> Outbox(TaskStore* store) {
  std::vector<notion::OutboxItem> items;
  Status st = notion::ListOutbox(store, &items);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return items;
}

TEST(NotionOutbox, ARefusalIsListedWithItsReasonAndARetryWritesItOnceFixed) {
  Harness h;
  HookTransport transport;
  const std::string bad = h.fake.AddTaskPage("Refused", "To Do");
  const std::string good = h.fake.AddTaskPage("Accepted", "To Do");
  std::atomic<bool> refuse{true};
  RefusePatchesOf(&transport, bad, &refuse);
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  const Task refused = h.TaskForPage(bad);
  const Task accepted = h.TaskForPage(good);

  std::vector<notion::OutboxItem> items = Outbox(h.store.get());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].task_id, refused.id);
  EXPECT_EQ(items[0].page_id, bad);
  EXPECT_EQ(items[0].state, "refused");
  EXPECT_EQ(items[0].what, "page update");
  EXPECT_NE(items[0].reason.find("Invalid select option"), std::string::npos) << items[0].reason;
  EXPECT_FALSE(items[0].refused_at.empty());

  // A change not written yet is pending, with its attempt's comment.
  const std::string e = StartTask(h.store.get(), accepted.id, "mongke");
  FinishTask(h.store.get(), accepted.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted,
             "done", "");
  items = Outbox(h.store.get());
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].state, "refused");
  EXPECT_EQ(items[1].task_id, accepted.id);
  EXPECT_EQ(items[1].state, "pending");
  EXPECT_GT(items[1].task_version, items[1].synced_version);
  EXPECT_EQ(items[1].comments_waiting, 1);

  // Retrying names refused tasks only.
  std::vector<std::string> requeued;
  EXPECT_TRUE(notion::RetryOutbox(h.store.get(), {accepted.id}, &requeued).IsNotFound());
  // The cause fixed (here: Notion takes the value now), a retry writes it.
  refuse = false;
  ASSERT_TRUE(notion::RetryOutbox(h.store.get(), {}, &requeued).ok());
  EXPECT_EQ(requeued, std::vector<std::string>{refused.id});
  items = Outbox(h.store.get());
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].state, "pending");
  EXPECT_EQ(items[1].state, "pending");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_TRUE(Outbox(h.store.get()).empty());
  EXPECT_EQ(h.fake.TextOf(bad, "Neo4j Task ID"), refused.id);
  EXPECT_EQ(h.fake.StatusOf(good), "Done");
  EXPECT_EQ(WithoutProgress(h.fake.Comments(good)).size(), 1u);
  EXPECT_TRUE(notion::SyncState(h.store.get()).RefusedTasks().empty());
}

// A flush reads a task's synced version from the store once: later flushes
// use the cache, until a retry (here from another SyncState, as `notion
// outbox retry` in another process) lowers one and the cache is read again.
TEST(NotionOutbox, SyncedVersionsAreReadOnceUntilARetryLowersOne) {
  Harness h;
  HookTransport transport;
  std::vector<std::string> pages;
  for (int i = 0; i < 40; ++i)
    pages.push_back(h.fake.AddTaskPage("Card " + std::to_string(i), "To Do"));
  const std::string bad = pages[7];
  std::atomic<bool> refuse{true};
  RefusePatchesOf(&transport, bad, &refuse);
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  const int64_t reads = sync->outbound_stats().synced_reads;
  EXPECT_LE(reads, 40) << "at most one read per task";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(sync->outbound_stats().synced_reads, reads) << "later flushes read the cache";

  // A finished attempt is written from the cache's point of view too.
  const Task done = h.TaskForPage(pages[3]);
  const std::string e = StartTask(h.store.get(), done.id, "mongke");
  FinishTask(h.store.get(), done.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted, "done",
             "");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(pages[3]), "Done");
  EXPECT_EQ(sync->outbound_stats().synced_reads, reads);

  refuse = false;
  std::vector<std::string> requeued;
  ASSERT_TRUE(notion::RetryOutbox(h.store.get(), {}, &requeued).ok());
  ASSERT_EQ(requeued.size(), 1u);
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.TextOf(bad, "Neo4j Task ID"), h.TaskForPage(bad).id)
      << "the retry is seen although the synced version was cached";
  EXPECT_GT(sync->outbound_stats().synced_reads, reads);
  EXPECT_TRUE(Outbox(h.store.get()).empty());
}

TEST(NotionOutbox, ALaterWriteThatLandsClearsTheRefusal) {
  Harness h;
  HookTransport transport;
  const std::string page = h.fake.AddTaskPage("Refused once", "To Do");
  std::atomic<bool> refuse{true};
  RefusePatchesOf(&transport, page, &refuse);
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_EQ(Outbox(h.store.get()).size(), 1u);
  refuse = false;
  const Task t = h.TaskForPage(page);
  const std::string e = StartTask(h.store.get(), t.id, "mongke");
  FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted, "done",
             "");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_TRUE(Outbox(h.store.get()).empty());
  EXPECT_EQ(h.fake.StatusOf(page), "Done");
}

TEST(NotionOutbox, ARefusedCommentIsListedAsOne) {
  Harness h;
  HookTransport transport;
  const std::string page = h.fake.AddTaskPage("Comment refused", "To Do");
  transport.before = [&](const notion::HttpRequest& req, notion::HttpResponse* resp) {
    if (req.method != "POST" || req.url.find("/comments") == std::string::npos) return false;
    Refuse(resp, "body failed validation: body.rich_text[0].text.content.length should be ≤ 2000");
    return true;
  };
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  const Task t = h.TaskForPage(page);
  const std::string e = StartTask(h.store.get(), t.id, "mongke");
  FinishTask(h.store.get(), t.id, e, ExecutionStatus::kFailed, TaskStatus::kFailed, "",
             "agent crashed");
  ASSERT_TRUE(sync->SyncOnce().ok());
  std::vector<notion::OutboxItem> items = Outbox(h.store.get());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, "refused");
  EXPECT_EQ(items[0].what, "comment");
  EXPECT_EQ(items[0].comments_waiting, 1);
  EXPECT_NE(items[0].reason.find("should be ≤ 2000"), std::string::npos);
}

}  // namespace
}  // namespace taskexec::notion_test
