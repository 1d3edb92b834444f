// The Notion outbox as a person sees it: which tasks still have writes to
// make to their cards (a page update of a newer task version, result
// comments not yet posted) and which writes Notion refused for good, with
// its reason. Read from the store alone: listing sends no request. A retry
// queues a refused task's writes again; the running sync (or
// `notion sync --once`) makes them.
//
// Thread-safety: as safe as the TaskStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/task_store.h"

namespace taskexec::notion {

struct OutboxItem {
  std::string task_id;
  std::string page_id;
  std::string state;           // "pending" or "refused"
  int64_t task_version = 0;    // the version the card should show
  int64_t synced_version = 0;  // the version Notion last accepted (or refused)
  int comments_waiting = 0;    // finished attempts whose comment is not posted
  int comments_uncertain = 0;  // of those, a POST whose outcome is unknown
  // Refused items: what was refused ("page update", "comment"), Notion's
  // answer and when.
  std::string what;
  std::string reason;
  std::string refused_at;
};

// Every item, refused ones first, then pending ones in task order.
Status ListOutbox(TaskStore* store, std::vector<OutboxItem>* items);

// Queues the writes of the refused tasks `task_ids` (every refused task when
// empty) again and clears their refusals; `requeued` gets their ids.
// NotFound names a task that has no refusal.
Status RetryOutbox(TaskStore* store, const std::vector<std::string>& task_ids,
                   std::vector<std::string>* requeued);

}  // namespace taskexec::notion
