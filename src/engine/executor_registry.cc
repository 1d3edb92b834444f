#include "engine/executor_registry.h"

#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_read.h"

namespace taskexec {
namespace {

using nlohmann::json;

constexpr int64_t kForgetAfterLeases = 10;

json Parse(const std::string* text) {
  if (text == nullptr || text->empty()) return json::object();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : json::object();  // unreadable: start afresh
}

ExecutorRecord FromJson(const std::string& id, const json& j) {
  ExecutorRecord r;
  r.executor_id = id;
  // Any process sharing the store writes these records: a field of another
  // type reads as unset.
  r.host = JsonString(j, "host");
  r.pid = JsonInt(j, "pid");
  r.started_at = JsonInt(j, "started_at");
  r.heartbeat_at = JsonInt(j, "heartbeat_at");
  r.lease_ms = JsonInt(j, "lease_ms");
  r.version = JsonString(j, "version");
  r.refusing_work = JsonString(j, "refusing_work");
  r.kept_outcomes = JsonInt(j, "kept_outcomes");
  return r;
}

}  // namespace

Status Heartbeat(TaskStore* store, const ExecutorRecord& self, TimeMs now) {
  std::string written;
  return store->UpdateMeta(
      kExecutorsKey,
      [&](const std::string* old) {
        json all = Parse(old);
        json kept = json::object();
        for (const auto& [id, v] : all.items()) {
          if (!v.is_object()) continue;
          const ExecutorRecord r = FromJson(id, v);
          const int64_t lease = std::max<int64_t>(r.lease_ms, 1000);
          if (now - r.heartbeat_at <= kForgetAfterLeases * lease) kept[id] = v;
        }
        kept[self.executor_id] = {
            {"host", self.host},   {"pid", self.pid},           {"started_at", self.started_at},
            {"heartbeat_at", now}, {"lease_ms", self.lease_ms}, {"version", TASKEXEC_VERSION}};
        // Only while there is something to say: the record stays small.
        if (!self.refusing_work.empty())
          kept[self.executor_id]["refusing_work"] = self.refusing_work;
        if (self.kept_outcomes > 0) kept[self.executor_id]["kept_outcomes"] = self.kept_outcomes;
        return kept.dump();
      },
      &written);
}

Status Depart(TaskStore* store, const std::string& executor_id) {
  std::string written;
  return store->UpdateMeta(
      kExecutorsKey,
      [&](const std::string* old) {
        json all = Parse(old);
        all.erase(executor_id);
        return all.dump();
      },
      &written);
}

Status LiveExecutors(TaskStore* store, TimeMs now, std::vector<ExecutorRecord>* out) {
  out->clear();
  std::string text;
  Status s = store->GetMeta(kExecutorsKey, &text);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  const json all = Parse(&text);
  for (const auto& [id, v] : all.items()) {
    if (!v.is_object()) continue;
    ExecutorRecord r = FromJson(id, v);
    if (now - r.heartbeat_at <= std::max<int64_t>(r.lease_ms, 1000)) out->push_back(std::move(r));
  }
  return Status::OK();
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace taskexec
