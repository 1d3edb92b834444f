// SyncState: the durable bookkeeping of the Notion sync, kept in the store's
// meta area so it survives restarts and is shared by every process using the
// store. Keys (docs/notion.md):
//   notion.watermark               ISO time: poll pages edited on/after this
//   notion.written.<task id>       JSON of the properties last written to (or
//                                  seen on) the page: {"status","task_id","agent"}
//   notion.synced.<task id>        task version whose changes Notion accepted
//   notion.intent.<task id>        store status a person asked for while the
//                                  task ran; applied once the cancel lands
//   notion.comment.<execution id>  "posted" or "uncertain" (a POST whose
//                                  outcome is unknown; checked before reposting)
//   notion.refused.<task id>       JSON {"reason","at","version","what"}: the
//                                  last write Notion refused for good; cleared
//                                  when a later write of the task lands
//   notion.webhook.verification_token
//   notion.outbox.generation       changes whenever a synced version is
//                                  lowered (a retry), so readers that cache
//                                  synced versions know to read them again
// An empty value means "unset" (the store offers no delete).
//
// Thread-safety: as safe as the TaskStore (all state lives there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "store/task_store.h"

namespace taskexec::notion {

class SyncState {
 public:
  explicit SyncState(TaskStore* store) : store_(store) {}

  std::string Get(const std::string& key) const;  // "" when unset or unreadable
  Status Set(const std::string& key, const std::string& value);

  nlohmann::json Written(const std::string& task_id) const;  // {} when unset
  Status SetWritten(const std::string& task_id, const nlohmann::json& written);
  int64_t SyncedVersion(const std::string& task_id) const;  // 0 when unset
  Status SetSyncedVersion(const std::string& task_id, int64_t version);
  std::string Intent(const std::string& task_id) const;
  // Sets (or with "" clears) an intent; also maintains the index
  // "notion.intents" (a JSON array of task ids) so they can be listed.
  Status SetIntent(const std::string& task_id, const std::string& status);
  std::vector<std::string> IntentTasks() const;

  // The refusal recorded for a task ({} when none).
  nlohmann::json Refusal(const std::string& task_id) const;
  // Records (or with a null/empty `refusal` clears) a refusal; maintains
  // the index "notion.refused" (a JSON array of task ids).
  Status SetRefusal(const std::string& task_id, const nlohmann::json& refusal);
  std::vector<std::string> RefusedTasks() const;

  // Synced versions only grow, except through Requeue, which also moves the
  // outbox generation: a cache of synced versions compares it.
  std::string OutboxGeneration() const;
  // Sets the task's synced version to 0, so the next flush compares what
  // the card shows with the store and writes what differs, and moves the
  // generation.
  Status Requeue(const std::string& task_id);

  // The Notion tasks (source notion, with a page) whose version is above
  // what Notion accepted: the outbox, as OutboundSync writes it and
  // `notion outbox` lists it.
  Status UnsyncedTasks(std::vector<Task>* tasks) const;

  // "notion.comment.<marker id>": whether a result comment is posted.
  static std::string CommentKey(const std::string& marker_id) {
    return "notion.comment." + marker_id;
  }

  // The per-task keys above (written, synced, intent, refused) of one task.
  static std::vector<std::string> TaskKeys(const std::string& task_id);

 private:
  std::vector<std::string> Index(const std::string& key) const;
  // Adds (present) or removes `task_id` in the index at `key`.
  Status UpdateIndex(const std::string& key, const std::string& task_id, bool present);

  TaskStore* store_;
};

}  // namespace taskexec::notion
