// What pruning (api/pruner.h) must know about the Notion sync: a task whose
// final state the board has not accepted yet is kept (deleting it would
// leave its card in its last column for good), and the sync's meta keys of
// a pruned task (sync_state.h) go with it.
//
// Thread-safety: the hooks are as safe as the TaskStore.
#pragma once

#include "api/pruner.h"
#include "store/task_store.h"

namespace taskexec::notion {

// The keep and meta_keys hooks (dirs left empty). With `board_synced` false
// (no Notion sync configured) nothing is kept for Notion's sake. The store
// must outlive the hooks.
PruneSetup PruneRules(TaskStore* store, bool board_synced);

}  // namespace taskexec::notion
