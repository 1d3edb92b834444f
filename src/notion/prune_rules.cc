#include "notion/prune_rules.h"

#include <string>
#include <vector>

#include "notion/sync_state.h"

namespace taskexec::notion {

PruneSetup PruneRules(TaskStore* store, bool board_synced) {
  PruneSetup setup;
  if (board_synced) {
    setup.keep = [store](const Task& task, std::string* why) {
      if (task.notion_page_id.empty()) return false;
      if (SyncState(store).SyncedVersion(task.id) >= task.version) return false;
      *why = "its final state has not reached Notion page " + task.notion_page_id +
             " yet (the running service syncs it)";
      return true;
    };
  }
  setup.meta_keys = [](const Task& task, const std::vector<SessionExecution>& executions) {
    std::vector<std::string> keys = SyncState::TaskKeys(task.id);
    for (const SessionExecution& e : executions) keys.push_back(SyncState::CommentKey(e.id));
    return keys;
  };
  return setup;
}

}  // namespace taskexec::notion
