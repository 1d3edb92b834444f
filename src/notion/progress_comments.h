// ProgressComments: one live progress comment per running attempt on its
// task's Notion card, so a person watching the board sees that an agent is
// at work and what it is doing, not only "In progress".
//
// Each Tick() looks at the attempts running now (TaskStore::
// ListActiveExecutions) whose task has a page, and at the progress comments
// still open:
//  - an attempt without one gets it at once (POST /v1/comments);
//  - an open one is edited in place (PATCH /v1/comments/{id}) once
//    `interval_ms` passed since its last write and its text changed;
//  - the comment of an attempt that ended is written one last time (how it
//    ended and after how long) and closed; OutboundSync posts the result.
// The text (ProgressText) names the attempt and gives the elapsed time, when
// the agent last wrote output and the last meaningful line of it
// (SessionExecution::last_output_line, which the engine records every few
// seconds), and ends with the marker "[taskexec progress <execution id>]".
//
// Request budget: at most one request per attempt per interval between its
// first and its last, at most `max_requests_per_tick` per Tick, and each
// only while `may_send()` allows (NotionSync: spare rate-limit tokens, so a
// status write never waits behind one). NotionSync runs Tick after the
// outbox flush of each round: status writes go first.
//
// State: meta "notion.progress" (JSON, execution id -> {"comment", "task",
// "page", "at", "state"}) holds the open comments, so a restart goes on
// editing the same comment. A POST whose outcome is unknown is "uncertain":
// the page's comments are searched for the marker before posting again. A
// comment Notion refuses or no longer has (a person deleted it, the page is
// gone) is "given_up": that attempt gets no more progress writes.
//
// Thread-safety: not thread-safe; NotionSync calls it from its one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/domain.h"
#include "notion/notion_client.h"
#include "store/task_store.h"

namespace taskexec::notion {

struct ProgressStats {
  int64_t created = 0;  // progress comments Notion accepted
  int64_t updated = 0;  // edits of them, the closing one included
  int64_t skipped = 0;  // due writes left for a later tick (no spare budget)
};

class ProgressComments {
 public:
  // `interval_ms` <= 0 turns progress comments off. `may_send` is asked
  // before each request. Client and store must outlive this.
  ProgressComments(NotionClient* client, TaskStore* store, int64_t interval_ms,
                   std::function<bool()> may_send, const Clock* clock = nullptr,
                   int max_requests_per_tick = 2);

  // Writes what is due. Unavailable when Notion or the store stopped
  // answering (the rest waits for the next tick); other failures are logged
  // and only stop that attempt's progress.
  Status Tick();

  bool enabled() const { return interval_ms_ > 0; }
  const ProgressStats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string comment_id;
    std::string task_id;
    std::string page_id;
    TimeMs at = 0;      // when it was last written
    std::string state;  // "open", "uncertain" or "given_up"
  };

  Status Load();
  Status Save();
  // One running attempt: create or edit its comment with `text`
  // (ProgressText at `now`). Sets *sent when a request went out.
  Status Advance(const SessionExecution& e, const std::string& text, TimeMs now, bool* sent);
  // An attempt that ended: its last edit, then the entry is dropped.
  Status Close(const std::string& execution_id, TimeMs now, bool* sent);
  // Posts the first text of `entry`, or after an uncertain POST finds it.
  Status Create(const std::string& execution_id, Entry* entry, const std::string& text);
  // True (and `*comment_id` set) when the page holds this attempt's comment.
  Status FindPosted(const std::string& page_id, const std::string& execution_id,
                    std::string* comment_id);
  // Notion refused for good: no more progress for this attempt.
  void GiveUp(const std::string& execution_id, Entry* entry, const Status& why);
  bool MaySend(int sent);

  NotionClient* client_;
  TaskStore* store_;
  const int64_t interval_ms_;
  std::function<bool()> may_send_;
  const Clock* clock_;
  const int max_requests_per_tick_;
  bool loaded_ = false;
  std::map<std::string, Entry> entries_;          // execution id -> its comment
  std::map<std::string, std::string> last_text_;  // execution id -> text last written
  std::set<std::string> without_page_;            // running attempts of tasks with no page
  ProgressStats stats_;
};

// The progress comment's text for attempt `e` at `now`: running, or (for an
// attempt that ended) how it ended. Ends with ProgressMarker(e.id).
std::string ProgressText(const SessionExecution& e, TimeMs now);
std::string ProgressMarker(const std::string& execution_id);

}  // namespace taskexec::notion
