#include "notion/webhook.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "store/sqlite/sqlite_store.h"

namespace taskexec::notion {
namespace {

using Json = nlohmann::json;
using Headers = std::multimap<std::string, std::string>;

const TimeMs kNow = 1764067321000;

std::string Event(const std::string& id, TimeMs at,
                  const std::string& type = "page.properties_updated",
                  const std::string& page = "page-1") {
  return Json{{"id", id},
              {"timestamp", FormatIso8601(at)},
              {"type", type},
              {"entity", {{"id", page}, {"type", "page"}}},
              {"data", Json::object()}}
      .dump();
}

TEST(Webhook, SignatureIsHmacSha256OfTheRawBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(NotionSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(VerifyNotionSignature("k", "body", NotionSignature("k", "body")));
  EXPECT_FALSE(VerifyNotionSignature("k", "body ", NotionSignature("k", "body")));
  EXPECT_FALSE(VerifyNotionSignature("k", "body", "sha256=00"));
  EXPECT_FALSE(VerifyNotionSignature("", "body", NotionSignature("", "body")));
}

TEST(Webhook, ValidEventNamesThePageOnce) {
  ManualClock clock(kNow);
  WebhookHandler h({"secret_x", 300000, 100}, nullptr, &clock);
  std::string body = Event("e1", kNow - 1000);
  WebhookResult r = h.Handle({{"x-notion-signature", NotionSignature("secret_x", body)}}, body);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.outcome, "accepted");
  ASSERT_EQ(r.page_ids.size(), 1u);
  EXPECT_EQ(r.page_ids[0], "page-1");
  WebhookResult again = h.Handle({{"X-Notion-Signature", NotionSignature("secret_x", body)}}, body);
  EXPECT_EQ(again.http_status, 200);
  EXPECT_EQ(again.outcome, "duplicate");
  EXPECT_TRUE(again.page_ids.empty());
}

TEST(Webhook, ForgedOrUnsignedEventsAreRefused) {
  ManualClock clock(kNow);
  WebhookHandler h({"secret_x", 300000, 100}, nullptr, &clock);
  std::string body = Event("e2", kNow);
  WebhookResult r = h.Handle({{"X-Notion-Signature", NotionSignature("other", body)}}, body);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_TRUE(r.page_ids.empty());
  EXPECT_EQ(h.Handle({}, body).http_status, 401);
  // A refused event was not remembered: the genuine delivery still counts.
  EXPECT_EQ(h.Handle({{"X-Notion-Signature", NotionSignature("secret_x", body)}}, body).outcome,
            "accepted");
}

// Notion retries a failed delivery with the event's original timestamp: a
// signed event is accepted however late (6, 30, 180 minutes after an
// outage) or early (a skewed clock), and a retry of one already taken is a
// duplicate.
TEST(Webhook, LateAndFutureDatedSignedEventsAreAccepted) {
  ManualClock clock(kNow);
  WebhookHandler h({"secret_x", 300000, 100}, nullptr, &clock);
  auto send = [&](const std::string& id, TimeMs at) {
    std::string b = Event(id, at);
    return h.Handle({{"X-Notion-Signature", NotionSignature("secret_x", b)}}, b);
  };
  for (int minutes : {6, 30, 180}) {
    const std::string id = "late-" + std::to_string(minutes);
    WebhookResult r = send(id, kNow - minutes * 60'000LL);
    EXPECT_EQ(r.http_status, 200) << minutes;
    EXPECT_EQ(r.outcome, "accepted") << minutes;
    EXPECT_EQ(r.page_ids, std::vector<std::string>{"page-1"}) << minutes;
    EXPECT_EQ(send(id, kNow - minutes * 60'000LL).outcome, "duplicate") << minutes;
  }
  EXPECT_EQ(send("early", kNow + 20 * 60'000).outcome, "accepted");
}

// Event ids outlive the process: a retry that arrives after a restart is a
// duplicate, read from the store's slots.
TEST(Webhook, DuplicatesAreKnownAfterARestart) {
  auto dir = std::filesystem::temp_directory_path() /
             ("taskexec-webhook-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open((dir / "tasks.db").string(), StoreConfig{}, &store).ok());
  ManualClock clock(kNow);
  auto send = [&](WebhookHandler& h, const std::string& id) {
    std::string b = Event(id, kNow - 3600'000);
    return h.Handle({{"X-Notion-Signature", NotionSignature("k", b)}}, b).outcome;
  };
  {
    WebhookHandler before({"k", 300000, 100}, store.get(), &clock);
    EXPECT_EQ(send(before, "evt-1"), "accepted");
    EXPECT_EQ(send(before, "evt-2"), "accepted");
  }
  WebhookHandler after({"k", 300000, 100}, store.get(), &clock);
  EXPECT_EQ(send(after, "evt-1"), "duplicate");
  EXPECT_EQ(send(after, "evt-2"), "duplicate");
  EXPECT_EQ(send(after, "evt-3"), "accepted");
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST(Webhook, VerificationTokenBecomesTheKeyOnce) {
  ManualClock clock(kNow);
  WebhookHandler h({"", 300000, 100}, nullptr, &clock);
  EXPECT_EQ(h.Handle({}, R"({"verification_token":"secret_first"})").outcome, "verification");
  EXPECT_EQ(h.Key(), "secret_first");
  EXPECT_EQ(h.Handle({}, R"({"verification_token":"secret_attacker"})").outcome,
            "verification_ignored");
  EXPECT_EQ(h.Key(), "secret_first");
  std::string body = Event("e4", kNow);
  EXPECT_EQ(h.Handle({{"X-Notion-Signature", NotionSignature("secret_first", body)}}, body).outcome,
            "accepted");
}

TEST(Webhook, DedupeMemoryIsBounded) {
  ManualClock clock(kNow);
  WebhookHandler h({"k", 300000, 2}, nullptr, &clock);
  auto send = [&](const std::string& id) {
    std::string b = Event(id, kNow);
    return h.Handle({{"X-Notion-Signature", NotionSignature("k", b)}}, b).outcome;
  };
  EXPECT_EQ(send("a"), "accepted");
  EXPECT_EQ(send("b"), "accepted");
  EXPECT_EQ(send("c"), "accepted");
  EXPECT_EQ(send("c"), "duplicate");
  EXPECT_EQ(send("a"), "accepted");  // forgotten: harmless, events are only hints
}

}  // namespace
}  // namespace taskexec::notion
