#include "notion/notion_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <set>
#include <thread>

#include "fakes/fake_notion_server.h"
#include "notion/http_transport.h"
#include "notion/rate_limiter.h"

namespace taskexec::notion {
namespace {

// Records sleeps instead of sleeping (and advances nothing): retry tests
// check the waits the policy asked for without spending them.
class RecordingSleeper final : public Sleeper {
 public:
  void SleepMs(int64_t ms) override {
    std::lock_guard<std::mutex> lock(mu);
    sleeps.push_back(ms);
  }
  std::mutex mu;
  std::vector<int64_t> sleeps;
};

struct ClientHarness {
  explicit ClientHarness(std::string version = "2022-06-28", fakes::FakeNotionOptions fo = {})
      : fake(fo), limiter(1000, 1000, SystemClock::Default(), &sleeper) {
    EXPECT_TRUE(fake.Start().ok());
    NotionClientOptions o;
    o.base_url = fake.base_url();
    o.token = fake.options().token;
    o.api_version = std::move(version);
    o.database_id = fake.options().database_id;
    o.backoff_initial_ms = 100;
    o.backoff_max_ms = 1000;
    o.jitter_seed = 7;
    client =
        std::make_unique<NotionClient>(o, &transport, &limiter, SystemClock::Default(), &sleeper);
  }
  fakes::FakeNotionServer fake;
  CurlTransport transport;
  RecordingSleeper sleeper;
  RateLimiter limiter;
  std::unique_ptr<NotionClient> client;
};

TEST(NotionClient, QueryAllFollowsCursorsAcross250Pages) {
  ClientHarness h;
  for (int i = 0; i < 250; ++i) h.fake.AddTaskPage("Task " + std::to_string(i), "To Do");
  h.fake.ResetRequests();
  std::vector<Json> pages;
  ASSERT_TRUE(h.client->QueryAll(Json(), Json(), &pages).ok());
  EXPECT_EQ(pages.size(), 250u);
  EXPECT_EQ(h.fake.RequestCount(), 3);  // 100 + 100 + 50
  std::set<std::string> ids;
  for (const auto& p : pages) ids.insert(p["id"].get<std::string>());
  EXPECT_EQ(ids.size(), 250u) << "no page twice, none lost";
}

TEST(NotionClient, FiltersAndSortsAreApplied) {
  ClientHarness h;
  h.fake.AddTaskPage("a", "To Do");
  h.fake.AddTaskPage("b", "Done");
  h.fake.AddTaskPage("c", "Blocked");
  Json filter = {
      {"and", Json::array({{{"property", "Status"}, {"select", {{"does_not_equal", "Done"}}}},
                           {{"property", "Neo4j Task ID"}, {"rich_text", {{"is_empty", true}}}}})}};
  Json sorts = Json::array({{{"property", "Name"}, {"direction", "descending"}}});
  std::vector<Json> pages;
  ASSERT_TRUE(h.client->QueryAll(filter, sorts, &pages).ok());
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(PlainText(pages[0]["properties"]["Name"]["title"]), "c");
  EXPECT_EQ(PlainText(pages[1]["properties"]["Name"]["title"]), "a");
}

TEST(NotionClient, DataSourceVersionUsesDataSourceRoutes) {
  ClientHarness h("2025-09-03");
  h.fake.AddTaskPage("a", "To Do");
  std::string table;
  ASSERT_TRUE(h.client->TableId(&table).ok());
  EXPECT_EQ(table, h.fake.options().data_source_id);
  Json schema;
  ASSERT_TRUE(h.client->RetrieveSchema(&schema).ok());
  EXPECT_TRUE(schema.contains("Status"));
  std::vector<Json> pages;
  ASSERT_TRUE(h.client->QueryAll(Json(), Json(), &pages).ok());
  EXPECT_EQ(pages.size(), 1u);
  bool used_ds = false;
  for (const auto& r : h.fake.Requests())
    if (r.path.find("/v1/data_sources/") == 0) used_ds = true;
  EXPECT_TRUE(used_ds);
}

TEST(NotionClient, OldVersionQueryIsRefusedUnderNewVersion) {
  // The fake, like Notion, does not serve database queries in 2025-09-03.
  ClientHarness h("2025-09-03");
  Json body = {{"page_size", 10}};
  NotionError err;
  Status st = h.client->Call("POST", "/databases/" + h.fake.options().database_id + "/query", &body,
                             true, nullptr, &err);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_EQ(err.code, "invalid_request_url");
}

TEST(NotionClient, ErrorObjectIsParsedIntoStatus) {
  ClientHarness h;
  Json page;
  NotionError err;
  Status st = h.client->Call("GET", "/pages/00000000-0000-0000-0000-000000000000", nullptr, true,
                             &page, &err);
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(err.http_status, 404);
  EXPECT_EQ(err.code, "object_not_found");
  EXPECT_NE(st.message().find("object_not_found"), std::string::npos);
  EXPECT_NE(st.message().find("Could not find object"), std::string::npos);
  EXPECT_FALSE(err.request_id.empty());
}

TEST(NotionClient, BadTokenIsUnauthorizedAndNotRetried) {
  ClientHarness h;
  NotionClientOptions o = h.client->options();
  o.token = "secret_wrong";
  NotionClient bad(o, &h.transport, &h.limiter, SystemClock::Default(), &h.sleeper);
  h.fake.ResetRequests();
  Json schema;
  Status st = bad.RetrieveSchema(&schema);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("unauthorized"), std::string::npos);
  EXPECT_EQ(h.fake.RequestCount(), 1);
}

TEST(NotionClient, MissingVersionIsReported) {
  ClientHarness h;
  NotionClientOptions o = h.client->options();
  o.api_version = "";
  NotionClient bad(o, &h.transport, &h.limiter, SystemClock::Default(), &h.sleeper);
  Json schema;
  Status st = bad.RetrieveSchema(&schema);
  EXPECT_NE(st.message().find("missing_version"), std::string::npos) << st.ToString();
}

TEST(NotionClient, ValidationErrorIsNeverRetried) {
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  h.fake.ResetRequests();
  Json props = {{"No Such Property", {{"rich_text", Json::array()}}}};
  Status st = h.client->UpdatePage(id, props, nullptr);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("validation_error"), std::string::npos);
  EXPECT_NE(st.message().find("is not a property that exists"), std::string::npos);
  EXPECT_EQ(h.fake.RequestCount(), 1);
  EXPECT_TRUE(h.sleeper.sleeps.empty());
}

TEST(NotionClient, RichTextOver2000CharactersIsRejectedByTheFakeAndSplitByTheClient) {
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  Json too_long = {
      {"Requester", {{"rich_text", {{{"text", {{"content", std::string(2001, 'x')}}}}}}}}};
  EXPECT_TRUE(h.client->UpdatePage(id, too_long, nullptr).IsInvalidArgument());
  Json split = {{"Requester", {{"rich_text", RichText(std::string(4500, 'y'))}}}};
  ASSERT_TRUE(h.client->UpdatePage(id, split, nullptr).ok());
  EXPECT_EQ(h.fake.TextOf(id, "Requester").size(), 4500u);
}

TEST(NotionClient, RateLimitedHonoursRetryAfterThenSucceeds) {
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  h.fake.InjectRateLimited(2, 2);
  h.fake.ResetRequests();
  ManualClock clock(1000000);
  RateLimiter limiter(3, 3, &clock, &h.sleeper);
  NotionClient client(h.client->options(), &h.transport, &limiter, &clock, &h.sleeper);
  Json page;
  ASSERT_TRUE(client.GetPage(id, &page).ok());
  EXPECT_EQ(h.fake.RequestCount(), 3);
  EXPECT_EQ(client.stats().rate_limited, 2);
  // By the status answered (/metrics): two 429s, then the page; answered
  // at the (manual) clock's time.
  EXPECT_EQ(client.stats().by_status, (std::map<int, int64_t>{{200, 1}, {429, 2}}));
  EXPECT_EQ(client.stats().last_answer_at, clock.NowMs());
  EXPECT_EQ(client.stats().last_failure_at, 0);
  // Both retries waited for the 2 s Retry-After (through the shared limiter).
  std::lock_guard<std::mutex> lock(h.sleeper.mu);
  ASSERT_GE(h.sleeper.sleeps.size(), 2u);
  EXPECT_GE(h.sleeper.sleeps[0], 2000);
}

// Retry-After as an HTTP date (RFC 9110's other form) is waited out too, not
// read as the 1 s default.
TEST(NotionClient, RetryAfterAsAnHttpDateIsHonoured) {
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  h.fake.InjectRateLimited(1, 5, /*as_http_date=*/true);
  h.fake.ResetRequests();
  ManualClock clock(SystemClock::Default()->NowMs());
  RateLimiter limiter(3, 3, &clock, &h.sleeper);
  NotionClient client(h.client->options(), &h.transport, &limiter, &clock, &h.sleeper);
  Json page;
  ASSERT_TRUE(client.GetPage(id, &page).ok());
  EXPECT_EQ(client.stats().rate_limited, 1);
  std::lock_guard<std::mutex> lock(h.sleeper.mu);
  ASSERT_GE(h.sleeper.sleeps.size(), 1u);
  // The date has whole seconds: 4 to 5 s from the moment it was written,
  // plus the emptied bucket's refill (1/3 s at 3 requests/s); not the 1 s
  // fallback, not the 120 s cap.
  EXPECT_GE(h.sleeper.sleeps[0], 3000);
  EXPECT_LE(h.sleeper.sleeps[0], 6000);
}

TEST(NotionClient, ServerErrorsBackOffWithJitterThenSucceed) {
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  h.fake.InjectStatus(3, 503);
  h.fake.ResetRequests();
  Json page;
  ASSERT_TRUE(h.client->GetPage(id, &page).ok());
  EXPECT_EQ(h.fake.RequestCount(), 4);
  std::lock_guard<std::mutex> lock(h.sleeper.mu);
  ASSERT_EQ(h.sleeper.sleeps.size(), 3u);
  // Exponential: base 100 << attempt, between base/2 and base.
  EXPECT_GE(h.sleeper.sleeps[0], 100);
  EXPECT_LE(h.sleeper.sleeps[0], 200);
  EXPECT_GE(h.sleeper.sleeps[2], 400);
  EXPECT_LE(h.sleeper.sleeps[2], 800);
}

TEST(NotionClient, GatewayHtmlBodyIsAnUnknownHttpError) {
  ClientHarness h;
  NotionClientOptions o = h.client->options();
  o.max_attempts = 1;
  NotionClient client(o, &h.transport, &h.limiter, SystemClock::Default(), &h.sleeper);
  h.fake.InjectStatus(1, 502);
  Json page;
  NotionError err;
  Status st = client.Call("GET", "/pages/x", nullptr, true, &page, &err);
  EXPECT_TRUE(st.IsUnavailable());
  EXPECT_EQ(err.code, "unknown_http_error");
  EXPECT_EQ(err.http_status, 502);
}

TEST(NotionClient, AmbiguousCommentPostIsNotRepeatedBlindly) {
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  h.fake.InjectStatus(1, 504);  // may have committed: do not repeat a POST
  h.fake.ResetRequests();
  Status st = h.client->CreateComment(id, "hello", nullptr);
  EXPECT_TRUE(st.IsUnavailable());
  EXPECT_EQ(h.fake.RequestCount(), 1);
}

TEST(NotionClient, ConnectionRefusedIsUnavailable) {
  ClientHarness h;
  NotionClientOptions o = h.client->options();
  o.base_url = "http://127.0.0.1:1/v1";
  o.max_attempts = 2;
  NotionClient client(o, &h.transport, &h.limiter, SystemClock::Default(), &h.sleeper);
  Json page;
  NotionError err;
  Status st = client.Call("GET", "/pages/x", nullptr, true, &page, &err);
  EXPECT_TRUE(st.IsUnavailable());
  EXPECT_EQ(err.code, "transport_error");
  EXPECT_EQ(client.stats().requests, 2);
  EXPECT_EQ(client.stats().by_status, (std::map<int, int64_t>{{0, 2}}));  // no answer
  EXPECT_GT(client.stats().last_failure_at, 0);
  EXPECT_EQ(client.stats().last_answer_at, 0);
}

// The transport says whether a failed request left this machine: libcurl's
// count of request bytes written, not the wording of its error.
TEST(NotionClient, TransportTellsWhetherAFailedRequestWasSent) {
  CurlTransport transport;
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:1/v1/comments";  // nothing listens: never sent
  req.body = "{}";
  req.timeout_ms = 2000;
  HttpResponse resp;
  EXPECT_FALSE(transport.Send(req, &resp).ok());
  EXPECT_FALSE(resp.request_sent);

  // A server that accepts (the kernel's backlog) but never answers: the
  // request was written, its outcome is unknown.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1/comments";
  req.timeout_ms = 300;
  EXPECT_FALSE(transport.Send(req, &resp).ok());
  EXPECT_TRUE(resp.request_sent);
  close(fd);
}

// Requests in a row go over one connection (keep-alive): a server sees them
// all from the same client port. Threads sending at once each get their own
// handle, and a failed request does not spoil a handle for the next one.
TEST(NotionClient, TransportKeepsItsConnectionsOpenBetweenRequests) {
  httplib::Server server;
  server.set_keep_alive_max_count(1000);  // its default closes after 5 requests
  std::mutex mu;
  std::multiset<int> ports;
  server.Post("/v1/pages", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ports.insert(req.remote_port);
    }
    res.set_content(R"({"object":"page"})", "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });

  auto transport = std::make_unique<CurlTransport>();
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/pages";
  req.body = "{}";
  for (int i = 0; i < 20; ++i) {
    HttpResponse resp;
    ASSERT_TRUE(transport->Send(req, &resp).ok());
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.body, R"({"object":"page"})");
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(ports.size(), 20u);
    EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), 1u) << "one connection for 20";
  }

  HttpRequest nowhere = req;
  nowhere.url = "http://127.0.0.1:1/v1/pages";
  nowhere.timeout_ms = 2000;
  HttpResponse failed;
  EXPECT_FALSE(transport->Send(nowhere, &failed).ok());

  std::vector<std::thread> senders;
  std::atomic<int> ok{0};
  for (int t = 0; t < 3; ++t) {
    senders.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        HttpResponse resp;
        if (transport->Send(req, &resp).ok() && resp.status == 200) ++ok;
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(ok.load(), 30);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_LE(std::set<int>(ports.begin(), ports.end()).size(), 4u)
        << "three threads use at most three more connections";
  }
  transport.reset();  // closes the connections the server's workers read
  server.stop();
  serving.join();
}

// A transport that fails every request, saying whether it was sent.
class FailingTransport final : public HttpTransport {
 public:
  explicit FailingTransport(bool sent) : sent_(sent) {}
  Status Send(const HttpRequest&, HttpResponse* response) override {
    ++calls;
    response->request_sent = sent_;
    return Status::Unavailable("transport failed");
  }
  int calls = 0;

 private:
  bool sent_;
};

TEST(NotionClient, APostIsRepeatedOnlyWhenItSurelyWasNotSent) {
  ClientHarness h;
  NotionClientOptions o = h.client->options();
  o.max_attempts = 3;
  FailingTransport never_left(/*sent=*/false);
  NotionClient a(o, &never_left, &h.limiter, SystemClock::Default(), &h.sleeper);
  EXPECT_TRUE(a.CreateComment("page-1", "hello", nullptr).IsUnavailable());
  EXPECT_EQ(never_left.calls, 3);

  FailingTransport maybe_applied(/*sent=*/true);
  NotionClient b(o, &maybe_applied, &h.limiter, SystemClock::Default(), &h.sleeper);
  EXPECT_TRUE(b.CreateComment("page-1", "hello", nullptr).IsUnavailable());
  EXPECT_EQ(maybe_applied.calls, 1);
}

TEST(NotionClient, ParseNotionErrorHandlesBothShapes) {
  NotionError e = ParseNotionError(
      409,
      R"({"object":"error","status":409,"code":"conflict_error","message":"m","request_id":"r"})");
  EXPECT_EQ(e.code, "conflict_error");
  EXPECT_TRUE(StatusFromNotionError(e).IsConflict());
  NotionError g = ParseNotionError(504, "<html>timeout</html>");
  EXPECT_EQ(g.code, "unknown_http_error");
  EXPECT_TRUE(StatusFromNotionError(g).IsUnavailable());
}

TEST(NotionClient, RichTextSplitsOnCharactersNotBytes) {
  std::string text;
  for (int i = 0; i < 2500; ++i) text += "\xc3\xa9";  // é, 2 bytes each
  Json items = RichText(text);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["text"]["content"].get<std::string>().size(), 4000u);
  EXPECT_EQ(PlainText(items), text);
  Json capped = RichText(std::string(300000, 'z'));
  EXPECT_EQ(capped.size(), 100u);
}

// Notion counts UTF-16 units: an emoji (a 4-byte UTF-8 sequence) is 2 of
// them, so a result full of emoji is split earlier, never inside one, and
// the fake (counting as Notion does) accepts every piece.
TEST(NotionClient, RichTextCountsEmojiAsNotionDoes) {
  std::string text;
  for (int i = 0; i < 1500; ++i) text += "a\xf0\x9f\x9a\x80";  // "a🚀": 3 units each
  Json items = RichText(text);
  ASSERT_EQ(items.size(), 3u);
  // 666 pairs (1998 units), then "a" (1999); the next rocket would be 2001.
  EXPECT_EQ(items[0]["text"]["content"].get<std::string>().size(), 666u * 5 + 1);
  EXPECT_EQ(PlainText(items), text);
  ClientHarness h;
  std::string id = h.fake.AddTaskPage("a", "To Do");
  ASSERT_TRUE(h.client->CreateComment(id, text, nullptr).ok());
  EXPECT_EQ(PlainText(h.fake.Comments(id)[0]["rich_text"]), text);
  // One item of 2,000 such units is refused by the fake, as by Notion.
  Json one = {{"Requester", {{"rich_text", {{{"text", {{"content", text.substr(0, 3335)}}}}}}}}};
  EXPECT_TRUE(h.client->UpdatePage(id, one, nullptr).IsInvalidArgument());
}

}  // namespace
}  // namespace taskexec::notion
