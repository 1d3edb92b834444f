// Routing tables for neo4j:// URIs: which cluster members route, read and
// write for one database, and until when that is known to hold.
//
// Thread-safety: RoutingTable is a plain value; the driver guards it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bolt/uri.h"
#include "bolt/value.h"
#include "core/status.h"

namespace taskexec::bolt {

struct RoutingTable {
  std::string database;
  std::vector<Address> routers, readers, writers;
  int64_t expires_at_ms = 0;  // monotonic ms

  // Parses ROUTE's SUCCESS metadata {rt: {ttl, db, servers: [{addresses,
  // role}]}} received at monotonic time now_ms.
  static Status FromRouteResponse(const Map& metadata, int64_t now_ms, RoutingTable* out);

  // Fresh enough to serve `for_write` (or read) requests at now_ms: not
  // expired, has a router, and has a server for that role.
  bool IsFresh(bool for_write, int64_t now_ms) const;
  // Forgets a server entirely (its connection failed).
  void Forget(const Address& a);
  // Forgets a server as a writer only (it answered NotALeader).
  void ForgetWriter(const Address& a);
};

}  // namespace taskexec::bolt
