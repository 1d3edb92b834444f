#include "notion/sync_state.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace taskexec::notion {

std::string SyncState::Get(const std::string& key) const {
  std::string value;
  if (!store_->GetMeta(key, &value).ok()) return "";
  return value;
}

Status SyncState::Set(const std::string& key, const std::string& value) {
  return store_->SetMeta(key, value);
}

nlohmann::json SyncState::Written(const std::string& task_id) const {
  std::string raw = Get("notion.written." + task_id);
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

Status SyncState::SetWritten(const std::string& task_id, const nlohmann::json& written) {
  return Set("notion.written." + task_id, written.dump());
}

int64_t SyncState::SyncedVersion(const std::string& task_id) const {
  std::string raw = Get("notion.synced." + task_id);
  return raw.empty() ? 0 : std::strtoll(raw.c_str(), nullptr, 10);
}

Status SyncState::SetSyncedVersion(const std::string& task_id, int64_t version) {
  return Set("notion.synced." + task_id, std::to_string(version));
}

std::string SyncState::Intent(const std::string& task_id) const {
  return Get("notion.intent." + task_id);
}

Status SyncState::SetIntent(const std::string& task_id, const std::string& status) {
  Status st = Set("notion.intent." + task_id, status);
  if (!st.ok()) return st;
  return UpdateIndex("notion.intents", task_id, !status.empty());
}

namespace {
constexpr char kOutboxGenerationKey[] = "notion.outbox.generation";
}  // namespace

std::string SyncState::OutboxGeneration() const { return Get(kOutboxGenerationKey); }

Status SyncState::Requeue(const std::string& task_id) {
  Status st = SetSyncedVersion(task_id, 0);
  if (!st.ok()) return st;
  // A random token rather than a counter: two processes retrying at once
  // cannot write the same value back.
  std::random_device rd;
  const uint64_t token = (uint64_t{rd()} << 32) ^ rd();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(token));
  return Set(kOutboxGenerationKey, text);
}

Status SyncState::UnsyncedTasks(std::vector<Task>* tasks) const {
  tasks->clear();
  TaskFilter filter;
  filter.source = "notion";
  std::vector<Task> all;
  Status st = store_->ListTasks(filter, &all);
  if (!st.ok()) return st;
  for (Task& task : all)
    if (!task.notion_page_id.empty() && task.version > SyncedVersion(task.id))
      tasks->push_back(std::move(task));
  return Status::OK();
}

std::vector<std::string> SyncState::TaskKeys(const std::string& task_id) {
  return {"notion.written." + task_id, "notion.synced." + task_id, "notion.intent." + task_id,
          "notion.refused." + task_id};
}

std::vector<std::string> SyncState::IntentTasks() const { return Index("notion.intents"); }

nlohmann::json SyncState::Refusal(const std::string& task_id) const {
  nlohmann::json j = nlohmann::json::parse(Get("notion.refused." + task_id), nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

Status SyncState::SetRefusal(const std::string& task_id, const nlohmann::json& refusal) {
  const bool present = refusal.is_object() && !refusal.empty();
  Status st = Set("notion.refused." + task_id, present ? refusal.dump() : "");
  if (!st.ok()) return st;
  return UpdateIndex("notion.refused", task_id, present);
}

std::vector<std::string> SyncState::RefusedTasks() const { return Index("notion.refused"); }

std::vector<std::string> SyncState::Index(const std::string& key) const {
  nlohmann::json j = nlohmann::json::parse(Get(key), nullptr, false);
  std::vector<std::string> ids;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) ids.push_back(v.get<std::string>());
  return ids;
}

Status SyncState::UpdateIndex(const std::string& key, const std::string& task_id, bool present) {
  std::vector<std::string> ids = Index(key);
  auto it = std::find(ids.begin(), ids.end(), task_id);
  if (!present && it != ids.end()) {
    ids.erase(it);
  } else if (present && it == ids.end()) {
    ids.push_back(task_id);
  } else {
    return Status::OK();
  }
  return Set(key, nlohmann::json(ids).dump());
}

}  // namespace taskexec::notion
