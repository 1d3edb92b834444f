// RequestGuard: the Host and Origin rules that keep a web page the user
// visits from driving the API through the user's browser.
//
//  - Host (DNS rebinding): a request is answered only when its Host names
//    this server: an IP literal that is loopback, the listen address, or any
//    IP literal when listening on a wildcard address (an IP cannot be
//    rebound); "localhost"; the listen host; or an entry of
//    server.allowed_hosts (exact name, ".example.com" for it and its
//    subdomains, "*" for any). The port is not compared: a reverse proxy may
//    forward from another port. Refused with 421 Misdirected Request.
//  - Origin (CSRF), for every method other than GET, HEAD and OPTIONS: the
//    Origin header must name this server (scheme://Host, compared on
//    host:port with default ports filled in) or an entry of
//    server.cors_origins. Without Origin, "Sec-Fetch-Site: cross-site" or
//    "same-site" is refused, and a Referer naming another host is refused.
//    A request with none of the three (curl, the CLI, scripts) passes: only
//    browsers send them, and browsers always send Origin on cross-origin
//    POSTs. Refused with 403. "Origin: null" (sandboxed frames, file: pages)
//    is cross-origin.
//  - CORS: response headers only for an Origin listed in server.cors_origins.
//
// docs/http-api.md and docs/security.md state the same rules for users.
//
// Thread-safety: immutable after construction; Check() and the other const
// methods may be called from any number of threads.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace taskexec {

struct GuardRequest {
  std::string method;          // "GET", "POST", ...
  std::string host;            // the Host header ("" when absent)
  std::string origin;          // the Origin header ("" when absent)
  std::string sec_fetch_site;  // the Sec-Fetch-Site header ("" when absent)
  std::string referer;         // the Referer header ("" when absent)
};

struct GuardVerdict {
  int status = 0;  // 0 = allowed; otherwise 421 or 403
  std::string code;
  std::string message;
  bool allowed() const { return status == 0; }
};

class RequestGuard {
 public:
  // `listen_host` as in core/listen_address.h (no brackets). Entries of
  // `allowed_hosts` and `cors_origins` are matched case-insensitively; the
  // config validation (config/validate.cc) has already checked their form.
  RequestGuard(std::string listen_host, std::vector<std::string> allowed_hosts,
               std::vector<std::string> cors_origins);

  GuardVerdict Check(const GuardRequest& request) const;

  // The CORS response headers for `origin`: none unless it is listed in
  // server.cors_origins.
  std::vector<std::pair<std::string, std::string>> CorsHeaders(const std::string& origin) const;

  // True when the request is a CORS preflight (OPTIONS with
  // Access-Control-Request-Method) from a listed origin; answer it with 204
  // and CorsHeaders().
  bool IsAllowedPreflight(const std::string& method, const std::string& origin,
                          const std::string& request_method) const;

 private:
  bool HostAllowed(const std::string& host_header) const;
  bool OriginListed(const std::string& origin) const;

  std::string listen_host_;
  bool listen_wildcard_ = false;
  std::vector<std::string> allowed_hosts_;  // lower case
  std::vector<std::string> cors_origins_;   // normalized: scheme://host:port, lower case
};

// "scheme://host[:port]" of an origin or URL, lower case, with the default
// port (80/443) made explicit and any path dropped; "" when it is not an
// http(s) URL. Exposed for config validation and tests.
std::string NormalizeOrigin(const std::string& origin_or_url);

// The host part of a Host header ("Example.com:8080" -> "example.com",
// "[::1]:80" -> "::1"), lower case, trailing dot dropped; "" when malformed.
std::string HostOfAuthority(const std::string& authority);

}  // namespace taskexec
