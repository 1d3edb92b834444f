// Neo4j connection URIs: bolt://, bolt+s://, bolt+ssc://, neo4j://,
// neo4j+s://, neo4j+ssc://, "host[:port]" with an optional "?k=v&..." query
// that becomes the routing context for neo4j:// URIs.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bolt/transport.h"
#include "core/status.h"

namespace taskexec::bolt {

struct Address {
  std::string host;
  int port = 7687;
  std::string ToString() const;  // "host:port" ("[::1]:port" for IPv6)
  friend bool operator==(const Address&, const Address&) = default;
};

// Parses "host:port", "host" (port 7687) or "[v6]:port".
Status ParseAddress(const std::string& text, Address* out);

struct BoltUri {
  bool routing = false;  // neo4j:// family
  TlsMode tls = TlsMode::kNone;
  Address address;
  std::vector<std::pair<std::string, std::string>> query;  // routing context extras
};

Status ParseUri(const std::string& uri, BoltUri* out);

}  // namespace taskexec::bolt
