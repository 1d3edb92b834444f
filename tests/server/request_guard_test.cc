// The Host/Origin rules without sockets (request_guard.h).
#include "server/request_guard.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

GuardVerdict Post(const RequestGuard& g, const std::string& host, const std::string& origin,
                  const std::string& site = "", const std::string& referer = "") {
  return g.Check(GuardRequest{"POST", host, origin, site, referer});
}

TEST(RequestGuard, NormalizeOrigin) {
  EXPECT_EQ(NormalizeOrigin("http://LocalHost:8080"), "http://localhost:8080");
  EXPECT_EQ(NormalizeOrigin("https://ui.example.com"), "https://ui.example.com:443");
  EXPECT_EQ(NormalizeOrigin("http://ui.example.com/path?q#f"), "http://ui.example.com:80");
  EXPECT_EQ(NormalizeOrigin("http://[::1]:9"), "http://[::1]:9");
  EXPECT_EQ(NormalizeOrigin("null"), "");
  EXPECT_EQ(NormalizeOrigin("file:///etc/passwd"), "");
  EXPECT_EQ(NormalizeOrigin("http://user@evil.example"), "");
  EXPECT_EQ(NormalizeOrigin("http://a b"), "");
  EXPECT_EQ(NormalizeOrigin("http://host:99999x"), "");
}

TEST(RequestGuard, HostOfAuthority) {
  EXPECT_EQ(HostOfAuthority("Example.COM:8080"), "example.com");
  EXPECT_EQ(HostOfAuthority("[::1]:80"), "::1");
  EXPECT_EQ(HostOfAuthority("localhost."), "localhost");
  EXPECT_EQ(HostOfAuthority("a:b:c"), "");
  EXPECT_EQ(HostOfAuthority("evil\r\nx"), "");
}

TEST(RequestGuard, HostRules) {
  RequestGuard loopback("127.0.0.1", {"tasks.example.com", ".corp.example"}, {});
  auto get = [&](const RequestGuard& g, const std::string& host) {
    return g.Check(GuardRequest{"GET", host, "", "", ""}).status;
  };
  EXPECT_EQ(get(loopback, ""), 0);
  EXPECT_EQ(get(loopback, "localhost:1"), 0);
  EXPECT_EQ(get(loopback, "127.0.0.2:1"), 0);
  EXPECT_EQ(get(loopback, "[::1]"), 0);
  EXPECT_EQ(get(loopback, "tasks.example.com"), 0);
  EXPECT_EQ(get(loopback, "x.y.corp.example"), 0);
  EXPECT_EQ(get(loopback, "evilcorp.example"), 421);
  EXPECT_EQ(get(loopback, "192.168.1.5"), 421);
  EXPECT_EQ(get(loopback, "sub.localhost"), 421);

  RequestGuard wildcard("0.0.0.0", {}, {});
  EXPECT_EQ(get(wildcard, "192.168.1.5:8080"), 0);  // an IP cannot be rebound
  EXPECT_EQ(get(wildcard, "[fe80::1]:8080"), 0);
  EXPECT_EQ(get(wildcard, "attacker.example"), 421);

  RequestGuard named("tasks.internal", {}, {});
  EXPECT_EQ(get(named, "tasks.internal:8080"), 0);
  RequestGuard any("127.0.0.1", {"*"}, {});
  EXPECT_EQ(get(any, "whatever.example"), 0);
}

TEST(RequestGuard, OriginRules) {
  RequestGuard g("127.0.0.1", {"tasks.example.com"}, {"https://ui.example.com"});
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "").status, 0);  // curl, the CLI
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "http://127.0.0.1:8080").status, 0);
  EXPECT_EQ(Post(g, "localhost:8080", "http://LOCALHOST:8080").status, 0);
  EXPECT_EQ(Post(g, "tasks.example.com", "https://tasks.example.com").status, 0);  // via TLS proxy
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "https://ui.example.com").status, 0);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "http://127.0.0.1:8081").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "http://localhost:8080").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "null").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "http://evil.example").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "cross-site").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "same-site").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "same-origin").status, 0);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "none").status, 0);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "", "http://127.0.0.1:8080/x").status, 0);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "", "http://evil.example/x").status, 403);
  EXPECT_EQ(Post(g, "127.0.0.1:8080", "", "", "about:blank").status, 403);
  EXPECT_EQ(Post(g, "evil.example", "http://evil.example").status, 421);  // Host first
  for (const char* method : {"PUT", "PATCH", "DELETE", "PROPFIND"}) {
    EXPECT_EQ(g.Check(GuardRequest{method, "127.0.0.1:1", "http://evil.example", "", ""}).status,
              403)
        << method;
  }
  EXPECT_EQ(g.Check(GuardRequest{"GET", "127.0.0.1:1", "http://evil.example", "", ""}).status, 0);
}

TEST(RequestGuard, CorsHeadersOnlyForListedOrigins) {
  RequestGuard none("127.0.0.1", {}, {});
  EXPECT_TRUE(none.CorsHeaders("http://evil.example").empty());
  EXPECT_FALSE(none.IsAllowedPreflight("OPTIONS", "http://evil.example", "POST"));
  RequestGuard g("127.0.0.1", {}, {"https://ui.example.com"});
  EXPECT_FALSE(g.CorsHeaders("https://ui.example.com").empty());
  EXPECT_TRUE(g.CorsHeaders("https://ui.example.com.evil").empty());
  EXPECT_TRUE(g.IsAllowedPreflight("OPTIONS", "https://ui.example.com", "POST"));
  EXPECT_FALSE(g.IsAllowedPreflight("OPTIONS", "https://ui.example.com", ""));
}

}  // namespace
}  // namespace taskexec
