#include "store/dependency_rules.h"

#include <algorithm>
#include <set>

#include "core/join.h"
#include "store/store_rules.h"

namespace taskexec::store_rules {
namespace {

bool EndedBadly(TaskStatus s) { return s == TaskStatus::kFailed || s == TaskStatus::kCancelled; }

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The failure a blocked dependent shows: which dependency, how it ended
// and, briefly, why.
std::string BlockReason(const DependencyState& d) {
  std::string why = "dependency " + d.id + " " + std::string(ToString(d.status));
  if (!d.error_message.empty()) {
    constexpr size_t kMax = 200;
    std::string msg = d.error_message.substr(0, kMax);
    if (d.error_message.size() > kMax) msg += "...";
    why += ": " + msg;
  }
  return why;
}

// Depth-first from `from` along blocked_by, looking for `target`. On a hit
// `path` is from .. target. `seen` bounds the walk to each task once.
Status FindPath(DependencyTxn& txn, const std::string& from, const std::string& target,
                std::set<std::string>* seen, std::vector<std::string>* path, bool* found) {
  path->push_back(from);
  if (from == target) {
    *found = true;
    return Status::OK();
  }
  if (!seen->insert(from).second) {
    path->pop_back();
    return Status::OK();
  }
  Task t;
  Status s = txn.Load(from, &t);
  if (s.IsNotFound()) {
    path->pop_back();
    return Status::OK();
  }
  if (!s.ok()) return s;
  for (const std::string& next : t.blocked_by) {
    s = FindPath(txn, next, target, seen, path, found);
    if (!s.ok() || *found) return s;
  }
  path->pop_back();
  return Status::OK();
}

}  // namespace

bool ApplyDependencies(const std::vector<DependencyState>& deps, Task* t) {
  std::vector<std::string> waiting;
  const DependencyState* failed = nullptr;
  for (const DependencyState& d : deps) {
    if (!d.found) continue;
    if (d.status != TaskStatus::kCompleted) waiting.push_back(d.id);
    if (failed == nullptr && EndedBadly(d.status)) failed = &d;
  }
  bool changed = waiting != t->waiting_on;
  t->waiting_on = std::move(waiting);
  const bool blocked_by_dependency =
      t->status == TaskStatus::kBlocked && t->error_type == ErrorType::kDependencyFailed;
  if (failed != nullptr) {
    const std::string reason = BlockReason(*failed);
    if (t->status == TaskStatus::kPending || t->status == TaskStatus::kRetrying) {
      t->status = TaskStatus::kBlocked;
      t->error_type = ErrorType::kDependencyFailed;
      t->error_message = reason;
      t->next_attempt_at = 0;
      DropExecutionRequest(t);
      changed = true;
    } else if (blocked_by_dependency && t->error_message != reason) {
      t->error_message = reason;
      changed = true;
    }
  } else if (blocked_by_dependency) {
    Requeue(t);
    changed = true;
  }
  return changed;
}

Status RefreshDependencies(DependencyTxn& txn, Task* t, bool* changed) {
  std::vector<DependencyState> deps;
  deps.reserve(t->blocked_by.size());
  for (const std::string& id : t->blocked_by) {
    DependencyState d;
    d.id = id;
    Task dep;
    Status s = txn.Load(id, &dep);
    if (s.ok()) {
      d.found = true;
      d.status = dep.status;
      d.error_message = dep.error_message;
    } else if (!s.IsNotFound()) {
      return s;
    }
    deps.push_back(std::move(d));
  }
  *changed = ApplyDependencies(deps, t);
  return Status::OK();
}

Status SetDependencies(DependencyTxn& txn, const std::vector<std::string>& blocked_by, Task* t) {
  std::vector<std::string> ids;
  for (const std::string& raw : blocked_by) {
    const std::string id = Trim(raw);
    if (id.empty()) return Status::InvalidArgument("blocked_by: an empty task id");
    if (id == t->id)
      return Status::InvalidArgument("blocked_by: task " + id + " cannot wait on itself");
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    Task dep;
    Status s = txn.Load(id, &dep);
    if (s.IsNotFound()) return Status::InvalidArgument("blocked_by: no task " + id);
    if (!s.ok()) return s;
    // A cycle through the new edge t -> id is a path id .. t.
    std::vector<std::string> path;
    bool found = false;
    s = FindPath(txn, id, t->id, &seen, &path, &found);
    if (!s.ok()) return s;
    if (found) {
      path.insert(path.begin(), t->id);
      return Status::InvalidArgument("blocked_by would make a dependency cycle: " +
                                     Join(path, " -> "));
    }
  }
  t->blocked_by = std::move(ids);
  bool changed = false;
  return RefreshDependencies(txn, t, &changed);
}

Status SettleDependents(DependencyTxn& txn, const Task& t, TimeMs now) {
  if (IsHeld(t.status)) return Status::OK();
  std::vector<std::string> dependents;
  Status s = txn.ListDependents(t.id, &dependents);
  if (!s.ok()) return s;
  for (const std::string& id : dependents) {
    Task d;
    s = txn.Load(id, &d);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    bool changed = false;
    s = RefreshDependencies(txn, &d, &changed);
    if (!s.ok()) return s;
    if (changed) {
      s = txn.SaveDependent(&d, now);
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

Status CheckDependenciesMet(const Task& t) {
  if (t.waiting_on.empty()) return Status::OK();
  return Status::Conflict("task " + t.id + " waits on " + Join(t.waiting_on, ", ") +
                          " (blocked_by); it runs once they complete, or drop them with "
                          "`taskexec task update " +
                          t.id + " --unblock`");
}

Status CheckStatusKept(const Task& t, const Task& after) {
  if (after.status == t.status) return Status::OK();
  return Status::Conflict("task " + t.id + " stays " + std::string(ToString(after.status)) + ": " +
                          after.error_message + "; re-run that task, or drop it with " +
                          "`taskexec task update " + t.id + " --unblock`");
}

}  // namespace taskexec::store_rules
