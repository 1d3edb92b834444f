// `task update`: edit a task nobody holds -- its text, type, priority,
// agent, and the tasks it waits for (--blocked-by, --unblock).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "core/join.h"

namespace taskexec {
namespace {

struct UpdateOptions {
  std::string id;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> type;
  std::optional<std::string> priority;
  std::optional<std::string> agent;
  std::optional<std::vector<std::string>> blocked_by;
  bool unblock = false;
};

int RunUpdate(CliContext& ctx, const UpdateOptions& o) {
  TaskPatch patch;
  patch.title = o.title;
  patch.description = o.description;
  patch.type = o.type;
  patch.assigned_to = o.agent;
  if (o.priority) {
    auto priority = ParsePriority(*o.priority);
    if (!priority) {
      return ctx.Fail(Status::InvalidArgument("--priority: \"" + *o.priority + "\" is not one of " +
                                              std::string(PriorityNames())));
    }
    patch.priority = *priority;
  }
  if (o.unblock) patch.blocked_by = std::vector<std::string>{};
  if (o.blocked_by) patch.blocked_by = o.blocked_by;
  if (!patch.title && !patch.description && !patch.type && !patch.assigned_to && !patch.priority &&
      !patch.blocked_by) {
    return ctx.Fail(Status::InvalidArgument(
        "nothing to change: give --title, --description, --type, --priority, --agent, "
        "--blocked-by or --unblock"));
  }
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  Task task;
  if (s.ok()) s = service->UpdateTask(o.id, patch, &task);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(task));
    return 0;
  }
  ctx.out() << task.id << ": " << ToString(task.status);
  if (!task.waiting_on.empty()) ctx.out() << ", waiting on " << Join(task.waiting_on, ", ");
  ctx.out() << '\n';
  return 0;
}

}  // namespace

void AddTaskUpdateCommand(CLI::App& task, CliContext& ctx) {
  auto o = std::make_shared<UpdateOptions>();
  CLI::App* cmd = task.add_subcommand(
      "update", "Edit a task nobody runs: text, type, priority, agent, dependencies");
  cmd->add_option("id", o->id, "Task id")->required();
  cmd->add_option("--title", o->title, "New title");
  cmd->add_option("--description", o->description, "New description");
  cmd->add_option("--type", o->type, "New task type");
  cmd->add_option("--priority", o->priority, "critical | high | normal | low");
  cmd->add_option("--agent", o->agent, "Run on this agent (\"\" or any = route it)");
  auto* blocked_by =
      cmd->add_option("--blocked-by", o->blocked_by,
                      "The tasks it waits for, replacing the list (ID[,ID...]); it runs once "
                      "every one of them is completed")
          ->delimiter(',');
  cmd->add_flag("--unblock", o->unblock,
                "Drop every dependency: a task blocked by a failed one goes back to pending")
      ->excludes(blocked_by);
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunUpdate(ctx, *o); }; });
}

}  // namespace taskexec
