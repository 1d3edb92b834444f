// dependency_rules: how a task's dependencies (Task::blocked_by) hold it
// back, applied by every TaskStore backend inside its write transactions.
//
// A task waits while any task it depends on is not completed
// (Task::waiting_on lists those, in blocked_by order); the dispatch listings
// leave waiting tasks out and Claim refuses them. When a dependency ends
// failed or cancelled, a queued dependent (pending or retrying) becomes
// blocked with error_type dependency_failed; once no dependency is failed or
// cancelled any more (re-run, or dropped from blocked_by), it goes back to
// pending. Blocking does not spread further: a dependent of a blocked task
// simply keeps waiting, since the blocked task is not completed.
//
// The backends provide a DependencyTxn over their open write transaction;
// the functions below do the rest, so both stores follow the same rules and
// report the same messages (the conformance suite pins them).
//
// Thread-safety: pure functions plus calls on the caller's transaction.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/domain.h"
#include "core/status.h"

namespace taskexec::store_rules {

// What a dependent needs to know of one of its dependencies.
struct DependencyState {
  std::string id;
  bool found = false;  // a pruned dependency no longer holds anything back
  TaskStatus status = TaskStatus::kPending;
  std::string error_message;
};

// A backend's open write transaction, as the dependency rules use it.
class DependencyTxn {
 public:
  virtual ~DependencyTxn() = default;
  // NotFound when there is no such task.
  virtual Status Load(const std::string& id, Task* out) = 0;
  // The ids of the tasks whose blocked_by names `id`.
  virtual Status ListDependents(const std::string& id, std::vector<std::string>* out) = 0;
  // Writes `t` (version bump, updated_at = now) without settling its own
  // dependents: the rules call it for dependents only.
  virtual Status SaveDependent(Task* t, TimeMs now) = 0;
  // Records that `task_id` depends on exactly `depends_on` (the reverse
  // lookup ListDependents reads).
  virtual Status SetEdges(const std::string& task_id,
                          const std::vector<std::string>& depends_on) = 0;
};

// Applies the states of `t`'s dependencies (one per blocked_by entry) to
// it: recomputes waiting_on, blocks a queued task whose dependency failed or
// was cancelled, and releases a task blocked by dependencies once none is.
// True when `t` changed.
bool ApplyDependencies(const std::vector<DependencyState>& deps, Task* t);

// Reads the states of `t`'s dependencies and applies them (above).
Status RefreshDependencies(DependencyTxn& txn, Task* t, bool* changed);

// A new or edited blocked_by list: trims and de-duplicates the ids (in
// order), refuses an empty id, the task itself, an unknown task
// (InvalidArgument naming it) and a cycle (InvalidArgument naming it, e.g.
// "a -> b -> a"), then sets t->blocked_by and applies the dependencies'
// states. The caller records the edges (SetEdges) once t's row exists.
Status SetDependencies(DependencyTxn& txn, const std::vector<std::string>& blocked_by, Task* t);

// After `t` was written with a status that may matter to the tasks that
// depend on it: refreshes and saves each dependent that changes. A held
// task (an attempt runs) never does, so it costs nothing then.
Status SettleDependents(DependencyTxn& txn, const Task& t, TimeMs now);

// Claim and RequestExecution: Conflict while `t` waits on or is blocked by
// its dependencies, naming them and how to release it.
Status CheckDependenciesMet(const Task& t);

// SetStatus: Conflict when a person's status change would be undone at once
// by the dependencies (`t` as changed, `after` as the dependencies leave it).
Status CheckStatusKept(const Task& t, const Task& after);

}  // namespace taskexec::store_rules
