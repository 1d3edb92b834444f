// `task wait ID... [--timeout S]`: blocks until every task has ended, for
// scripts that hand work to the service and go on with its result.
//
// Exit codes: 0 every task completed; 1 any ended otherwise (failed,
// cancelled, or blocked: a blocked task waits for a person, not for the
// engine); 124 the timeout passed first (as timeout(1)); 1 when a task is
// unknown. A task waiting for an answer (needs_input) is waited for, and its
// question said once on stderr.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "core/join.h"

namespace taskexec {
namespace {

constexpr int kTimedOutExit = 124;

struct WaitOptions {
  std::vector<std::string> ids;
  int timeout_seconds = 0;
};

bool Ended(const Task& t) { return IsTerminal(t.status) || t.status == TaskStatus::kBlocked; }

std::string EndLine(const Task& t) {
  std::string line = t.id + " " + std::string(ToString(t.status));
  if (t.status == TaskStatus::kCompleted) {
    if (!t.output_summary.empty()) line += ": " + t.output_summary;
  } else if (!t.error_message.empty()) {
    if (t.error_type != ErrorType::kNone) line += " (" + std::string(ToString(t.error_type)) + ")";
    line += ": " + t.error_message;
  }
  return line;
}

int RunWait(CliContext& ctx, const WaitOptions& o) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service, StoreUse::kReadExisting);
  if (!s.ok()) return ctx.Fail(s);
  std::map<std::string, Task> ended;  // by id, in the order given below
  std::set<std::string> asked;        // needs_input tasks whose question was said
  const int64_t timeout_ms = static_cast<int64_t>(o.timeout_seconds) * 1000;
  int64_t waited_ms = 0;
  for (;;) {
    for (const std::string& id : o.ids) {
      if (ended.count(id)) continue;
      TaskDetails d;
      s = service->GetTask(id, &d);
      if (!s.ok()) return ctx.Fail(s);
      if (Ended(d.task)) {
        ended[id] = d.task;
        if (!ctx.options.json) ctx.out() << EndLine(d.task) << std::endl;
      } else if (d.task.status == TaskStatus::kNeedsInput && asked.insert(id).second) {
        ctx.err() << "taskexec: " << id << " waits for an answer: " << d.task.question
                  << " (taskexec task reply " << id << " --message ...)\n";
      }
    }
    if (ended.size() == std::set<std::string>(o.ids.begin(), o.ids.end()).size()) break;
    if (timeout_ms > 0 && waited_ms >= timeout_ms) {
      std::vector<std::string> open;
      for (const std::string& id : o.ids)
        if (!ended.count(id)) open.push_back(id);
      ctx.err() << "taskexec: error: timed out after " << o.timeout_seconds << " s waiting for "
                << Join(open, ", ") << '\n';
      return kTimedOutExit;
    }
    if (ctx.deps().sleep_ms) ctx.deps().sleep_ms(ctx.follow_poll_ms);
    waited_ms += ctx.follow_poll_ms;
  }
  bool all_completed = true;
  nlohmann::json tasks = nlohmann::json::array();
  for (const std::string& id : o.ids) {
    all_completed = all_completed && ended[id].status == TaskStatus::kCompleted;
    tasks.push_back(ToJson(ended[id]));
  }
  if (ctx.options.json) ctx.PrintJson(tasks);
  return all_completed ? 0 : 1;
}

}  // namespace

void AddTaskWaitCommand(CLI::App& task, CliContext& ctx) {
  auto o = std::make_shared<WaitOptions>();
  CLI::App* cmd = task.add_subcommand(
      "wait",
      "Wait until the tasks end: exit 0 when all completed, 1 when any failed, was cancelled or "
      "is blocked, 124 on --timeout");
  cmd->add_option("ids", o->ids, "Task ids")->required();
  cmd->add_option("--timeout", o->timeout_seconds, "Give up after this many seconds (0 = never)")
      ->check(CLI::Range(0, 31 * 24 * 3600));
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunWait(ctx, *o); }; });
}

}  // namespace taskexec
