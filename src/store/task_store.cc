#include "store/task_store.h"

#include <cctype>
#include <utility>

namespace taskexec {

Status TaskStore::ListForDispatch(TimeMs now, int requested_limit,
                                  const std::vector<std::pair<std::string, int>>& per_agent,
                                  const std::vector<std::string>& skip_types,
                                  DispatchListing* out) {
  out->requested.clear();
  out->by_agent.assign(per_agent.size(), {});
  if (requested_limit > 0) {
    if (Status s = ListRunnable(now, requested_limit, /*only_requested=*/true, &out->requested);
        !s.ok()) {
      return s;
    }
  }
  for (size_t i = 0; i < per_agent.size(); ++i) {
    const auto& [agent, limit] = per_agent[i];
    if (Status s = ListRunnableFor(agent, now, limit, skip_types, &out->by_agent[i]); !s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

Status TaskStore::AddTasks(const std::vector<NewTask>& tasks, TimeMs now,
                           std::vector<Status>* results) {
  std::vector<Status> out;
  out.reserve(tasks.size());
  for (const NewTask& task : tasks) {
    Status s = AddTask(task, now, nullptr);
    // Refusals are per task; anything else is the store failing.
    if (!s.ok() && !s.IsInvalidArgument() && !s.IsConflict()) return s;
    out.push_back(std::move(s));
  }
  *results = std::move(out);
  return Status::OK();
}

void TaskStore::ClaimTasks(const std::vector<ClaimRequest>& requests,
                           std::vector<ClaimResult>* results) {
  results->assign(requests.size(), ClaimResult{});
  for (size_t i = 0; i < requests.size(); ++i) {
    ClaimResult& r = (*results)[i];
    r.status = Claim(requests[i], &r.claim);
  }
}

void TaskStore::FinishAttempts(const std::vector<AttemptOutcome>& outcomes,
                               std::vector<FinishResult>* results) {
  results->assign(outcomes.size(), FinishResult{});
  for (size_t i = 0; i < outcomes.size(); ++i) {
    FinishResult& r = (*results)[i];
    r.status = FinishAttempt(outcomes[i], &r.task);
  }
}

void TaskStore::FinishAttemptsAndClaim(const std::vector<AttemptOutcome>& outcomes,
                                       const std::vector<ClaimRequest>& requests,
                                       std::vector<FinishResult>* finished,
                                       std::vector<ClaimResult>* claimed) {
  FinishAttempts(outcomes, finished);
  ClaimTasks(requests, claimed);
}

namespace {
constexpr std::pair<TaskSortKey, std::string_view> kSortNames[] = {
    {TaskSortKey::kCreated, "created"},   {TaskSortKey::kUpdated, "updated"},
    {TaskSortKey::kPriority, "priority"}, {TaskSortKey::kStatus, "status"},
    {TaskSortKey::kTitle, "title"},
};
}  // namespace

std::string_view ToString(TaskSortKey key) {
  for (const auto& [k, name] : kSortNames) {
    if (k == key) return name;
  }
  return "created";
}

std::optional<TaskSortKey> ParseTaskSortKey(std::string_view name) {
  for (const auto& [k, n] : kSortNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

const std::vector<TaskSortKey>& AllTaskSortKeys() {
  static const std::vector<TaskSortKey> keys = [] {
    std::vector<TaskSortKey> out;
    for (const auto& [k, name] : kSortNames) out.push_back(k);
    return out;
  }();
  return keys;
}

std::string TaskSortKeyNames() {
  std::string out;
  for (const auto& [k, name] : kSortNames) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string SearchNeedle(const TaskFilter& filter) {
  std::string out = filter.text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status CheckTaskFilter(const TaskFilter& filter) {
  if (filter.offset < 0) return Status::InvalidArgument("offset: must be 0 or more");
  if (filter.limit < 0) return Status::InvalidArgument("limit: must be 0 or more");
  if (!filter.after.empty() && filter.sort != TaskSortKey::kCreated)
    return Status::InvalidArgument("after: a page cursor only pages a listing sorted by created");
  if (!filter.after.empty() && filter.offset > 0)
    return Status::InvalidArgument("after: a page cursor and an offset cannot be combined");
  return Status::OK();
}

}  // namespace taskexec
