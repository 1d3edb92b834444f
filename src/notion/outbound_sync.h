// OutboundSync: store -> Notion, as an outbox derived from the store itself.
// A task needs syncing while its version is above the version Notion last
// accepted (SyncState "notion.synced.<id>"); one PATCH then writes its
// current status option, task id and agent, only if they differ from what
// the page last showed. However many changes a task went through between
// two flushes, they cost one request: changes coalesce by construction.
// Each finished execution gets one result comment (summary or error, and the
// artifact list), marked durably once Notion accepted it.
//
// Nothing lives only in memory, so a restart or a Notion outage loses
// nothing: the next flush finds the same work in the store. The synced
// versions are cached, so a flush reads the store's meta area once (the
// outbox generation) plus once per task it has not seen: every writer only
// raises a synced version, and the one that lowers it (a retry) moves the
// generation, which empties the cache. A flush stops at
// the first "Notion unavailable" answer and is simply repeated later.
//
// Thread-safety: not thread-safe; NotionSync calls it from its one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "api/task_service.h"
#include "core/clock.h"
#include "notion/notion_client.h"
#include "notion/property_mapping.h"
#include "notion/sync_state.h"
#include "store/task_store.h"

namespace taskexec::notion {

struct OutboundStats {
  int64_t patches = 0;       // page updates Notion accepted
  int64_t comments = 0;      // comments Notion accepted
  int64_t skipped_same = 0;  // versions synced without a request (nothing visible changed)
  int64_t given_up = 0;      // writes Notion refused for good (logged)
  int64_t synced_reads = 0;  // synced versions read from the store (cache misses)
};

class OutboundSync {
 public:
  // `recheck_schema` is called when Notion refuses a write in a way that may
  // mean the schema changed (a property or option gone); it validates the
  // schema again and returns OK when it is still valid. Then only that
  // task's write is given up; otherwise the flush stops (Unavailable) and
  // writes pause until the schema is valid again.
  OutboundSync(NotionClient* client, const PropertyMapping* mapping, TaskStore* store,
               TaskService* service, std::function<Status(const Status&)> recheck_schema,
               const Clock* clock = nullptr);

  // Writes every pending change. Unavailable when Notion stopped answering
  // (the rest waits for the next flush).
  Status Flush();
  // The status option the board should show for `task` (empty while a move
  // by a person is being carried out).
  std::string DesiredOption(const Task& task) const;

  const OutboundStats& stats() const { return stats_; }

 private:
  // The version Notion last accepted for `task_id`: the cache, else the store.
  int64_t SyncedVersion(const std::string& task_id);
  Status SetSyncedVersion(const std::string& task_id, int64_t version);
  Status SyncTask(const Task& task);
  Status PostComments(const Task& task);
  // Posts `text` (ending with Marker(marker_id)) once: `key` in the sync
  // state remembers it, and after an ambiguous POST the page's comments are
  // searched for the marker before posting again.
  Status PostOnce(const Task& task, const std::string& key, const std::string& marker_id,
                  const std::string& text);
  // `what` names the refused write ("page update", "comment") in the
  // refusal record.
  Status HandlePermanentError(const Task& task, const Status& st, const char* what);
  // A refusal that says the page is deleted, archived or trashed.
  static bool PageGone(const Status& st);

  NotionClient* client_;
  const PropertyMapping* mapping_;
  TaskStore* store_;
  TaskService* service_;
  SyncState state_;
  std::function<Status(const Status&)> recheck_schema_;
  const Clock* clock_;
  OutboundStats stats_;
  std::string cache_generation_;  // the outbox generation synced_ was read under
  bool cache_read_ = false;
  std::unordered_map<std::string, int64_t> synced_;  // task id -> synced version
};

// The result comment for one finished attempt. Ends with a marker line
// "[taskexec <execution id>]" used to find it again after an ambiguous POST.
std::string ResultComment(const Task& task, const SessionExecution& execution,
                          const std::vector<Artifact>& artifacts);

// A task the engine ended without an attempt (its budget was spent before a
// start: TaskStore::FailQueued) gets this comment instead, naming the limit;
// "" for any other task. Its marker id is StopMarkerId(task).
std::string StopComment(const Task& task, const std::vector<SessionExecution>& executions);
std::string StopMarkerId(const Task& task);

}  // namespace taskexec::notion
