#include "notion/webhook.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(Webhook, ForgedMissingOrStaleEventsAreRefused) {
  ManualClock clock(kNow);
  WebhookHandler h({"secret_x", 300000, 100}, nullptr, &clock);
  std::string body = Event("e2", kNow);
  EXPECT_EQ(h.Handle({{"X-Notion-Signature", NotionSignature("other", body)}}, body).http_status,
            401);
  EXPECT_EQ(h.Handle({}, body).http_status, 401);
  std::string stale = Event("e3", kNow - 600000);
  WebhookResult r = h.Handle({{"X-Notion-Signature", NotionSignature("secret_x", stale)}}, stale);
  EXPECT_EQ(r.outcome, "stale");
  EXPECT_TRUE(r.page_ids.empty());
  // A refused event was not remembered: the genuine delivery still counts.
  EXPECT_EQ(h.Handle({{"X-Notion-Signature", NotionSignature("secret_x", body)}}, body).outcome,
            "accepted");
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
