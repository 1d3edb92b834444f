// InboundSync: Notion -> store. New cards become tasks (idempotent by page
// id), edits to tasks that have not started update them, and a person's move
// of a card drives the engine (the table in docs/notion.md). Archived or
// trashed pages cancel their task.
//
// Incremental polling: one query filtered on last_edited_time on or after
// (watermark - overlap), sorted ascending, so an idle poll costs one request.
// Notion rounds last_edited_time to the minute, hence the overlap and the
// de-duplication by (page id, last_edited_time, mapped fields).
//
// A person's move is told apart from the echo of our own writes by comparing
// the page's status with the status last written to (or seen on) the page,
// kept durably in SyncState.
//
// Bad pages (no title, unknown option, huge text) are logged and skipped;
// they never fail a poll. Only store or Notion failures do, and then the
// watermark is not advanced past the page that failed.
//
// Thread-safety: not thread-safe; NotionSync calls it from its one thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/task_service.h"
#include "core/clock.h"
#include "notion/notion_client.h"
#include "notion/property_mapping.h"
#include "notion/sync_state.h"
#include "store/task_store.h"

namespace taskexec::notion {

struct InboundStats {
  int64_t pages_seen = 0;
  int64_t pages_skipped_unchanged = 0;
  int64_t tasks_created = 0;
  int64_t tasks_updated = 0;
  int64_t board_moves = 0;  // person moves acted upon
  int64_t cancelled = 0;    // archived/trashed/deleted pages
  int64_t bad_pages = 0;    // logged and skipped
};

class InboundSync {
 public:
  // `overlap_ms`: how far before the watermark each poll starts (>= 60 s
  // because of Notion's minute rounding).
  InboundSync(NotionClient* client, const PropertyMapping* mapping, TaskStore* store,
              TaskService* service, const Clock* clock, int64_t overlap_ms = 60000);

  // One incremental poll (all result pages). Advances the watermark.
  Status Poll();
  // Every page (no timestamp filter), then a GET for each open task whose
  // page was not listed, to catch deletions (trashed pages are not listed).
  Status FullScan();
  // Re-reads one page now (a webhook hint). A 404 cancels its task. A page
  // whose parent is not the configured database (nor, with the data-source
  // API, its resolved data source) is ignored, and cancels its task if it
  // had one, like a page gone from the board.
  Status FetchPage(const std::string& page_id);
  // Applies one page as read from Notion.
  Status ProcessPage(const Json& page);
  // Carries out intents whose cancel has landed (task now cancelled).
  Status ResolveIntents();

  const InboundStats& stats() const { return stats_; }

 private:
  // The task ids of a card's blocked_by relation (notion.blocked_by_property;
  // *configured = false when none is). Related cards are read in full (the
  // property item endpoint past the page's first 25); a card without a task
  // yet is fetched and imported first, and one that stays without (a
  // finished card, one off the board) holds nothing back. A chain of cards
  // that leads back to one being imported is Corruption naming it: the page
  // is reported and not applied until the cycle is broken.
  Status ResolveDependencies(const NotionTaskFields& f, bool* configured,
                             std::vector<std::string>* task_ids);
  Status CreateTask(const NotionTaskFields& f, const std::vector<std::string>* blocked_by);
  Status ApplyEdits(const Task& task, const NotionTaskFields& f,
                    const std::vector<std::string>* blocked_by);
  Status ApplyBoardMove(const Task& task, const std::string& option);
  Status CancelForPage(const Task& task, const std::string& why);
  // Moves a task nobody holds to `to`, through pending when the table has no
  // direct edge (e.g. cancelled -> completed).
  Status MoveTo(const Task& task, TaskStatus to, const std::string& reason);
  std::string Fingerprint(const NotionTaskFields& f) const;
  // Whether `page`'s parent is the board (ids compared without dashes).
  bool OnBoard(const Json& page) const;

  NotionClient* client_;
  const PropertyMapping* mapping_;
  TaskStore* store_;
  TaskService* service_;
  const Clock* clock_;
  SyncState state_;
  const int64_t overlap_ms_;
  std::unordered_map<std::string, std::string> seen_;  // page id -> fingerprint
  // The cards whose dependencies are being resolved, outermost first: a
  // related card already here closes a cycle.
  std::vector<std::string> resolving_;
  InboundStats stats_;
};

}  // namespace taskexec::notion
