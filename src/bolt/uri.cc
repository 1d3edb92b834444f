#include "bolt/uri.h"

#include <charconv>

namespace taskexec::bolt {

std::string Address::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Status ParseAddress(const std::string& text, Address* out) {
  Address a;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("bad address '" + text + "'");
    a.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return Status::InvalidArgument("bad address '" + text + "'");
      port = text.substr(close + 2);
    }
  } else {
    size_t colon = text.rfind(':');
    a.host = text.substr(0, colon);
    if (colon != std::string::npos) port = text.substr(colon + 1);
  }
  if (a.host.empty()) return Status::InvalidArgument("address '" + text + "' has no host");
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535) {
      return Status::InvalidArgument("address '" + text + "' has a bad port");
    }
    a.port = p;
  }
  *out = a;
  return Status::OK();
}

Status ParseUri(const std::string& uri, BoltUri* out) {
  size_t sep = uri.find("://");
  if (sep == std::string::npos) {
    return Status::InvalidArgument("Neo4j URI '" + uri + "' has no scheme (bolt://, neo4j://...)");
  }
  std::string scheme = uri.substr(0, sep);
  BoltUri u;
  if (scheme == "bolt" || scheme == "neo4j") {
    u.tls = TlsMode::kNone;
  } else if (scheme == "bolt+s" || scheme == "neo4j+s") {
    u.tls = TlsMode::kVerify;
  } else if (scheme == "bolt+ssc" || scheme == "neo4j+ssc") {
    u.tls = TlsMode::kTrustAll;
  } else {
    return Status::InvalidArgument("Neo4j URI scheme '" + scheme +
                                   "' is not one of bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, "
                                   "neo4j+ssc");
  }
  u.routing = scheme.rfind("neo4j", 0) == 0;
  std::string rest = uri.substr(sep + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("Neo4j URI '" + uri + "' must not have a path");
  }
  if (Status s = ParseAddress(rest, &u.address); !s.ok()) return s;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    std::string kv =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("Neo4j URI query part '" + kv + "' is not key=value");
    }
    u.query.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  *out = std::move(u);
  return Status::OK();
}

}  // namespace taskexec::bolt
