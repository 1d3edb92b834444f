#include "server/request_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "core/listen_address.h"

namespace taskexec {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsIpLiteral(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

bool IsWildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host == "*" || host.empty();
}

// A host name or IP literal: letters, digits, '-', '.', ':' (IPv6) only, so
// a Host header cannot smuggle anything into a comparison or a message.
bool PlausibleHost(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_';
  });
}

bool SafeMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

// Printable, bounded text of a header value for an error message.
std::string Shown(const std::string& value) {
  std::string out;
  for (char c : value.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return "\"" + out + "\"";
}

// "scheme://" + Host normalized as an origin: what Origin would be for a
// page served by this server under that Host.
std::string SelfOrigin(const std::string& scheme, const std::string& host_header) {
  return NormalizeOrigin(scheme + "://" + host_header);
}

}  // namespace

std::string HostOfAuthority(const std::string& authority) {
  std::string a = Lower(authority);
  std::string host;
  if (!a.empty() && a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string::npos) return "";
    host = a.substr(1, close - 1);
    std::string rest = a.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return "";
  } else {
    size_t colon = a.find(':');
    if (colon != std::string::npos && a.find(':', colon + 1) != std::string::npos) return "";
    host = a.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.pop_back();
  return PlausibleHost(host) ? host : "";
}

std::string NormalizeOrigin(const std::string& origin_or_url) {
  std::string s = Lower(origin_or_url);
  std::string scheme;
  if (s.rfind("http://", 0) == 0) {
    scheme = "http";
  } else if (s.rfind("https://", 0) == 0) {
    scheme = "https";
  } else {
    return "";
  }
  std::string rest = s.substr(scheme.size() + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos) return "";  // userinfo: not an origin
  std::string host = HostOfAuthority(authority);
  if (host.empty()) return "";
  std::string port = scheme == "https" ? "443" : "80";
  size_t colon = authority.rfind(':');
  size_t close = authority.rfind(']');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return "";
    }
  }
  bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port;
}

RequestGuard::RequestGuard(std::string listen_host, std::vector<std::string> allowed_hosts,
                           std::vector<std::string> cors_origins)
    : listen_host_(Lower(std::move(listen_host))), listen_wildcard_(IsWildcard(listen_host_)) {
  for (auto& h : allowed_hosts) allowed_hosts_.push_back(Lower(h));
  for (auto& o : cors_origins) {
    std::string normalized = NormalizeOrigin(o);
    if (!normalized.empty()) cors_origins_.push_back(normalized);
  }
}

bool RequestGuard::HostAllowed(const std::string& host_header) const {
  // No Host at all: an HTTP/1.0 client, never a browser.
  if (host_header.empty()) return true;
  std::string host = HostOfAuthority(host_header);
  if (host.empty()) return false;
  if (IsIpLiteral(host)) {
    if (IsLoopbackHost(host) || host == listen_host_ || listen_wildcard_) return true;
  } else if (host == "localhost" || host == listen_host_) {
    return true;
  }
  for (const std::string& entry : allowed_hosts_) {
    if (entry == "*" || entry == host) return true;
    if (entry.size() > 1 && entry[0] == '.' &&
        (host == entry.substr(1) ||
         (host.size() > entry.size() &&
          host.compare(host.size() - entry.size(), entry.size(), entry) == 0))) {
      return true;
    }
  }
  return false;
}

bool RequestGuard::OriginListed(const std::string& origin) const {
  std::string normalized = NormalizeOrigin(origin);
  if (normalized.empty()) return false;
  return std::find(cors_origins_.begin(), cors_origins_.end(), normalized) != cors_origins_.end();
}

GuardVerdict RequestGuard::Check(const GuardRequest& request) const {
  if (!HostAllowed(request.host)) {
    return {421, "misdirected_request",
            "Host " + Shown(request.host) +
                " does not name this server; add it to server.allowed_hosts if it should"};
  }
  if (SafeMethod(request.method)) return {};
  auto refused = [](const std::string& why) {
    return GuardVerdict{403, "cross_origin",
                        "cross-origin request refused: " + why +
                            "; list the origin in server.cors_origins to allow it"};
  };
  if (!request.origin.empty()) {
    std::string origin = NormalizeOrigin(request.origin);
    if (origin.empty())
      return refused("Origin " + Shown(request.origin) + " is opaque or malformed");
    std::string scheme = origin.substr(0, origin.find(':'));
    if (!request.host.empty() && origin == SelfOrigin(scheme, request.host)) return {};
    if (OriginListed(origin)) return {};
    return refused("Origin " + Shown(request.origin) + " is not this server");
  }
  std::string site = Lower(request.sec_fetch_site);
  if (site == "cross-site" || site == "same-site") {
    return refused("Sec-Fetch-Site is " + Shown(request.sec_fetch_site));
  }
  if (!request.referer.empty() && site != "same-origin") {
    std::string from = NormalizeOrigin(request.referer);
    if (from.empty()) return refused("Referer is not an http(s) URL");
    std::string scheme = from.substr(0, from.find(':'));
    bool same = !request.host.empty() && from == SelfOrigin(scheme, request.host);
    if (!same && !OriginListed(from)) return refused("Referer names another origin");
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> RequestGuard::CorsHeaders(
    const std::string& origin) const {
  if (origin.empty() || !OriginListed(origin)) return {};
  return {{"Access-Control-Allow-Origin", origin},
          {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
          {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
          {"Access-Control-Max-Age", "600"},
          {"Vary", "Origin"}};
}

bool RequestGuard::IsAllowedPreflight(const std::string& method, const std::string& origin,
                                      const std::string& request_method) const {
  return method == "OPTIONS" && !request_method.empty() && OriginListed(origin);
}

}  // namespace taskexec
