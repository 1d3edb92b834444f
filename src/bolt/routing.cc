#include "bolt/routing.h"

#include <algorithm>

namespace taskexec::bolt {

Status RoutingTable::FromRouteResponse(const Map& metadata, int64_t now_ms, RoutingTable* out) {
  const Value* rt = metadata.Find("rt");
  if (rt == nullptr || !rt->is_map()) return Status::Corruption("ROUTE answer has no 'rt' map");
  const Value* ttl = FindIn(*rt, "ttl");
  const Value* servers = FindIn(*rt, "servers");
  if (ttl == nullptr || !ttl->is_int() || servers == nullptr || !servers->is_list()) {
    return Status::Corruption("ROUTE answer lacks ttl or servers");
  }
  RoutingTable t;
  if (const Value* db = FindIn(*rt, "db")) t.database = db->StringOr("");
  for (const auto& s : servers->as_list()) {
    const Value* role = FindIn(s, "role");
    const Value* addrs = FindIn(s, "addresses");
    if (role == nullptr || !role->is_string() || addrs == nullptr || !addrs->is_list()) {
      return Status::Corruption("ROUTE answer has a malformed server entry");
    }
    std::vector<Address>* dest = nullptr;
    if (role->as_string() == "ROUTE") dest = &t.routers;
    if (role->as_string() == "READ") dest = &t.readers;
    if (role->as_string() == "WRITE") dest = &t.writers;
    if (dest == nullptr) continue;  // roles added by newer servers
    for (const auto& a : addrs->as_list()) {
      Address addr;
      if (!a.is_string() || !ParseAddress(a.as_string(), &addr).ok()) {
        return Status::Corruption("ROUTE answer has a bad address");
      }
      dest->push_back(addr);
    }
  }
  if (t.routers.empty()) return Status::Corruption("ROUTE answer names no routers");
  // ttl is in seconds; cap it so a hostile value cannot overflow.
  int64_t ttl_s = std::clamp<int64_t>(ttl->as_int(), 0, int64_t{1} << 31);
  t.expires_at_ms = now_ms + ttl_s * 1000;
  *out = std::move(t);
  return Status::OK();
}

bool RoutingTable::IsFresh(bool for_write, int64_t now_ms) const {
  if (now_ms >= expires_at_ms || routers.empty()) return false;
  return for_write ? !writers.empty() : !readers.empty();
}

void RoutingTable::Forget(const Address& a) {
  for (auto* list : {&routers, &readers, &writers}) {
    list->erase(std::remove(list->begin(), list->end(), a), list->end());
  }
}

void RoutingTable::ForgetWriter(const Address& a) {
  writers.erase(std::remove(writers.begin(), writers.end(), a), writers.end());
}

}  // namespace taskexec::bolt
