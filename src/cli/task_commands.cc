// task add, task show, task reply, tasks, execute, cancel.
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/join.h"
#include "engine/budget_rules.h"
#include "routing/agent_router.h"

namespace taskexec {
namespace {

// The session an attempt reported, and whether it continued an earlier one.
std::string SessionCell(const SessionExecution& e) {
  if (e.resumed_session_id.empty()) return Cell(e.session_id, 36);
  if (e.session_id.empty() || e.session_id == e.resumed_session_id) {
    return Cell(e.resumed_session_id, 36) + " (resumed)";
  }
  return Cell(e.session_id, 36) + " (resumed " + Cell(e.resumed_session_id, 36) + ")";
}

// "a (completed), b (failed)": the tasks around one, with their statuses.
std::string NeighbourList(const std::vector<Task>& tasks) {
  std::string out;
  for (const Task& t : tasks) {
    std::string state(ToString(t.status));
    if (!t.waiting_on.empty() && t.status == TaskStatus::kPending) state += ", waiting";
    out += (out.empty() ? "" : ", ") + t.id + " (" + state + ")";
  }
  return out;
}

struct AddOptions {
  std::string title;
  std::string description;
  std::string description_file;
  std::string type;
  std::string priority = "normal";
  std::string agent;
  std::string context;
  TaskLimits limits;  // the task's own budget (0 = the budget.* setting's)
  std::vector<std::string> blocked_by;
};

Status ReadDescriptionFile(CliContext& ctx, const std::string& path, std::string* out) {
  if (path == "-") {
    *out = std::string(std::istreambuf_iterator<char>(ctx.in()), std::istreambuf_iterator<char>());
    return Status::OK();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("--description-file: cannot read \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return Status::OK();
}

int RunAdd(CliContext& ctx, const AddOptions& o) {
  NewTask nt;
  nt.source = "cli";
  nt.title = o.title;
  nt.type = o.type;
  nt.assigned_to = o.agent;
  nt.description = o.description;
  nt.limits = o.limits;
  nt.blocked_by = o.blocked_by;
  if (Status s = CheckTaskLimits(nt.limits); !s.ok()) {
    // Named as the option is spelled: "max_cost_usd: ..." -> "--max-cost-usd: ...".
    std::string m = s.message();
    std::replace(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(m.find(':')), '_', '-');
    return ctx.Fail(Status::InvalidArgument("--" + m));
  }
  if (auto priority = ParsePriority(o.priority)) {
    nt.priority = *priority;
  } else {
    return ctx.Fail(Status::InvalidArgument("--priority: \"" + o.priority + "\" is not one of " +
                                            std::string(PriorityNames())));
  }
  if (!o.context.empty()) {
    nlohmann::json context;
    try {
      context = nlohmann::json::parse(o.context);
    } catch (const nlohmann::json::exception& e) {  // parse errors, numbers out of range
      return ctx.Fail(
          Status::InvalidArgument("--context: malformed JSON: " + std::string(e.what())));
    }
    if (!context.is_object()) {
      return ctx.Fail(Status::InvalidArgument("--context: must be a JSON object"));
    }
    nt.context_json = DumpJson(context);
  }
  if (!o.description_file.empty()) {
    Status s = ReadDescriptionFile(ctx, o.description_file, &nt.description);
    if (!s.ok()) return ctx.Fail(s);
  }
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  Task task;
  if (s.ok()) s = service->AddTask(nt, &task);
  if (!s.ok()) return ctx.Fail(s);
  ctx.WarnWithoutService(*service);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(task));
  } else {
    ctx.out() << task.id << '\n';  // only the id, for scripts
  }
  return 0;
}

// AddTask/Execute/Route validate agents in the service; a list filter is only
// a lookup, so `tasks --agent` checks it here with the same rule.
Status CheckFilterAgent(const RoutingConfig& routing, const std::string& agent) {
  AgentRouter router(routing);
  if (agent.empty() || agent == "any" || agent == "unassigned" || router.IsKnownAgent(agent))
    return Status::OK();
  std::string known;
  for (const auto& a : router.agents()) known += (known.empty() ? "" : ", ") + a;
  return Status::InvalidArgument("--agent: unknown agent \"" + agent + "\" (known: " + known +
                                 ", or unassigned)");
}

std::vector<std::string> SortKeyNames() {
  std::vector<std::string> names;
  for (TaskSortKey key : AllTaskSortKeys()) names.emplace_back(ToString(key));
  return names;
}

struct ListOptions {
  std::string status;
  std::string agent;
  std::string type;
  std::string search;
  std::string sort = "created";
  std::string order = "desc";
  int limit = 50;
  int64_t offset = 0;
  std::string after;
  bool blocked = false;
};

// "Showing 51-100 of 1234 tasks, newest first; next: --offset 100", when
// there are more than the page shows.
void PrintPageFooter(std::ostream& out, const ListOptions& o, size_t shown, int64_t total) {
  if (!o.after.empty() || o.limit == 0) return;
  const int64_t first = o.offset + 1;
  const int64_t last = o.offset + static_cast<int64_t>(shown);
  if (shown == 0 || last >= total) return;
  std::string order;
  if (o.sort == "created") {
    order = o.order == "desc" ? "newest first" : "oldest first";
  } else {
    order = "by " + o.sort + (o.order == "desc" ? ", descending" : "");
  }
  out << "Showing " << first << "-" << last << " of " << total << " tasks, " << order
      << "; next: --offset " << last << " (--limit 0 for all)\n";
}

int RunList(CliContext& ctx, const ListOptions& o) {
  TaskFilter filter;
  if (!o.status.empty()) {
    auto st = ParseTaskStatus(o.status);
    if (!st) {
      std::string known;
      for (TaskStatus s : AllTaskStatuses())
        known += (known.empty() ? "" : ", ") + std::string(ToString(s));
      return ctx.Fail(Status::InvalidArgument("--status: unknown status \"" + o.status +
                                              "\" (known: " + known + ")"));
    }
    filter.status = *st;
  }
  // CLI11 checks --sort and --order against their names.
  filter.sort = ParseTaskSortKey(o.sort).value_or(TaskSortKey::kCreated);
  filter.descending = o.order == "desc";
  filter.agent = o.agent;
  filter.type = o.type;
  filter.text = o.search;
  filter.limit = o.limit;
  filter.offset = o.offset;
  filter.after = o.after;
  filter.dependencies = o.blocked;
  Status s = CheckTaskFilter(filter);
  if (!s.ok()) {
    return ctx.Fail(Status::InvalidArgument(
        "--after pages a listing sorted by created (the default), without --offset"));
  }
  std::unique_ptr<TaskService> service;
  s = ctx.OpenService(&service, StoreUse::kReadExisting);
  if (s.ok()) s = CheckFilterAgent(ctx.config().routing, filter.agent);
  std::vector<Task> tasks;
  if (s.ok()) s = service->ListTasks(filter, &tasks);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : tasks) arr.push_back(ToJson(t));
    ctx.PrintJson(arr);
    return 0;
  }
  int64_t total = 0;
  const bool counted = service->CountTasks(filter, &total).ok();
  if (o.blocked) {
    Table table({"ID", "STATUS", "WAITING ON", "WHY", "TITLE"});
    for (const auto& t : tasks) {
      table.AddRow({Cell(t.id), std::string(ToString(t.status)), Cell(Join(t.waiting_on, ", "), 40),
                    Cell(t.error_message, 60), Cell(t.title, 60)});
    }
    ctx.PrintTable(table);
  } else {
    Table table({"ID", "STATUS", "PRIORITY", "AGENT", "RETRIES", "CREATED", "TITLE"});
    for (const auto& t : tasks) {
      table.AddRow({Cell(t.id), std::string(ToString(t.status)), std::string(ToString(t.priority)),
                    Cell(t.claimed_by.empty() ? t.assigned_to : t.claimed_by),
                    std::to_string(t.retry_count), TimeCell(t.created_at), Cell(t.title, 60)});
    }
    ctx.PrintTable(table);
  }
  if (counted) PrintPageFooter(ctx.out(), o, tasks.size(), total);
  return 0;
}

void PrintField(std::ostream& out, const char* name, const std::string& value) {
  if (value.empty()) return;
  out << name << std::string(16 - std::string(name).size(), ' ') << Cell(value) << '\n';
}

int RunShow(CliContext& ctx, const std::string& id) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service, StoreUse::kReadExisting);
  TaskDetails d;
  if (s.ok()) s = service->GetTask(id, &d);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(d));
    return 0;
  }
  const Task& t = d.task;
  std::ostream& out = ctx.out();
  PrintField(out, "ID:", t.id);
  PrintField(out, "Title:", t.title);
  PrintField(out, "Status:",
             std::string(ToString(t.status)) + (t.cancel_requested ? " (cancel requested)" : ""));
  PrintField(out, "Priority:", std::string(ToString(t.priority)));
  PrintField(out, "Type:", t.type);
  PrintField(out, "Assigned to:", t.assigned_to);
  PrintField(out, "Claimed by:", t.claimed_by);
  PrintField(out, "Source:", t.source);
  PrintField(out, "Notion:", t.notion_url);
  PrintField(out, "Retries:",
             std::to_string(t.retry_count) +
                 (t.max_retries >= 0 ? " of " + std::to_string(t.max_retries) : ""));
  if (t.next_attempt_at != 0) PrintField(out, "Next attempt:", TimeCell(t.next_attempt_at));
  PrintField(out, "Lease:",
             t.lease_owner.empty() ? "" : t.lease_owner + " until " + TimeCell(t.lease_expires_at));
  PrintField(out, "Created:", TimeCell(t.created_at));
  if (t.started_at != 0) PrintField(out, "Started:", TimeCell(t.started_at));
  if (t.completed_at != 0) PrintField(out, "Completed:", TimeCell(t.completed_at));
  PrintField(out, "Error:",
             t.error_type == ErrorType::kNone
                 ? t.error_message
                 : std::string(ToString(t.error_type)) + ": " + t.error_message);
  PrintField(out, "Summary:", t.output_summary);
  PrintField(out, "Usage:", UsageText(t.usage));
  PrintField(out,
             "Budget:", BudgetText(t.limits, ConfiguredLimits(ctx.config().budget), TaskSpent(t)));
  PrintField(out, "Session:", t.session_id);
  PrintField(out, "Blocked by:", NeighbourList(d.dependencies));
  PrintField(out, "Waiting on:", Join(t.waiting_on, ", "));
  PrintField(out, "Blocks:", NeighbourList(d.dependents));
  if (t.error_type == ErrorType::kDependencyFailed) {
    out << "(blocked until that task is re-run and completes; or drop the dependencies: "
           "taskexec task update "
        << t.id << " --unblock)\n";
  }
  // The agent's question and the answer, whole: a person reads them to reply.
  if (!t.question.empty()) out << "Question:\n" << t.question << '\n';
  if (!t.reply.empty()) out << "Reply:\n" << t.reply << '\n';
  if (t.status == TaskStatus::kNeedsInput) {
    out << "(waiting for an answer: taskexec task reply " << t.id << " --message TEXT)\n";
  }
  if (!t.description.empty()) out << "Description:\n" << t.description << '\n';

  out << "\nExecutions:\n";
  if (d.executions.empty()) {
    out << "  (none)\n";
  } else {
    Table table({"#", "ID", "AGENT", "STATUS", "STARTED", "LAST OUTPUT", "ENDED", "EXIT", "TOKENS",
                 "COST", "SESSION", "ERROR"});
    for (const auto& e : d.executions) {
      std::string exit = e.exit_code
                             ? std::to_string(*e.exit_code)
                             : (e.term_signal ? "signal " + std::to_string(*e.term_signal) : "-");
      table.AddRow(
          {std::to_string(e.attempt), Cell(e.id), Cell(e.agent), std::string(ToString(e.status)),
           TimeCell(e.started_at), TimeCell(e.last_output_at), TimeCell(e.ended_at), exit,
           UsageTokensText(e.usage), UsageCostText(e.usage), SessionCell(e), Cell(e.error, 60)});
    }
    ctx.PrintTable(table);
    // What the running attempt is doing, as its Notion card's progress
    // comment and the dashboard show it.
    for (const auto& e : d.executions) {
      if (e.status != ExecutionStatus::kActive) continue;
      out << "\nRunning now: attempt " << e.attempt << " on " << (e.agent.empty() ? "?" : e.agent)
          << " for " << FormatElapsed(SystemClock::Default()->NowMs() - e.started_at)
          << "\n  Last output: "
          << (e.last_output_at != 0 ? FormatIso8601(e.last_output_at) : std::string("none yet"))
          << '\n';
      if (!e.last_output_line.empty()) out << "  Last line:   " << e.last_output_line << '\n';
    }
  }
  out << "\nArtifacts:\n";
  if (d.artifacts.empty()) {
    out << "  (none)\n";
  } else {
    Table table({"NAME", "SIZE", "SHA256", "PATH"});
    for (const auto& a : d.artifacts) {
      table.AddRow({Cell(a.name), std::to_string(a.size), a.sha256.substr(0, 12), Cell(a.path)});
    }
    ctx.PrintTable(table);
  }
  return 0;
}

struct ExecuteOptions {
  std::string id;
  std::string agent;
  bool force = false;
};

int RunExecute(CliContext& ctx, const ExecuteOptions& opt) {
  const std::string& id = opt.id;
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  std::string attempt;
  if (s.ok()) s = service->Execute(id, opt.agent, opt.force, &attempt);
  if (!s.ok()) return ctx.Fail(s);
  ctx.WarnWithoutService(*service);
  if (ctx.options.json) {
    ctx.PrintJson({{"attempt_id", attempt}, {"task_id", id}});
  } else {
    ctx.out() << attempt << '\n';
  }
  return 0;
}

int RunCancel(CliContext& ctx, const std::string& id) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  Task task;
  if (s.ok()) s = service->Cancel(id, &task);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(task));
  } else if (task.status != TaskStatus::kCancelled && task.cancel_requested) {
    ctx.out() << task.id << ": cancel requested; the executor running it will stop the session\n";
  } else {
    ctx.out() << task.id << ": " << ToString(task.status) << '\n';
  }
  return 0;
}

struct ReplyOptions {
  std::string id;
  std::string message;
  std::string message_file;
};

int RunReply(CliContext& ctx, const ReplyOptions& o) {
  std::string message = o.message;
  if (!o.message_file.empty()) {
    if (Status s = ReadDescriptionFile(ctx, o.message_file, &message); !s.ok()) return ctx.Fail(s);
  }
  if (o.message.empty() && o.message_file.empty()) {
    return ctx.Fail(Status::InvalidArgument("give the answer with --message or --message-file"));
  }
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  Task task;
  if (s.ok()) s = service->Reply(o.id, message, &task);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(task));
  } else {
    ctx.out() << task.id << ": answered; " << ToString(task.status)
              << " (the next attempt gets the question and the answer)\n";
  }
  return 0;
}

}  // namespace

void RegisterTaskCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* task = app.add_subcommand("task", "Add, edit or show one task");
  task->require_subcommand(1);

  auto add = std::make_shared<AddOptions>();
  CLI::App* add_cmd = task->add_subcommand("add", "Add a task; prints its id");
  add_cmd->add_option("--title", add->title, "Title")->required();
  auto* desc = add_cmd->add_option("--description", add->description, "Description");
  add_cmd
      ->add_option("--description-file", add->description_file,
                   "Read the description from a file ('-' = stdin)")
      ->excludes(desc);
  add_cmd->add_option("--type", add->type, "Task type (research, code, writing, ...)");
  add_cmd->add_option("--priority", add->priority, "critical | high | normal | low")
      ->capture_default_str();
  add_cmd->add_option("--agent", add->agent, "Run on this agent instead of routing");
  add_cmd->add_option("--context", add->context, "Extra context for the agent (a JSON object)");
  add_cmd->add_option("--max-cost-usd", add->limits.max_cost_usd,
                      "This task's cost limit in USD (0 = budget.task_max_cost_usd)");
  add_cmd->add_option("--max-tokens", add->limits.max_tokens,
                      "This task's token limit, every kind (0 = budget.task_max_tokens)");
  add_cmd->add_option("--max-attempts", add->limits.max_attempts,
                      "This task's attempt limit, every attempt (0 = budget.task_max_attempts)");
  add_cmd->add_option("--max-seconds", add->limits.max_seconds,
                      "This task's summed run-time limit (0 = budget.task_max_seconds)");
  add_cmd
      ->add_option("--blocked-by", add->blocked_by,
                   "Tasks it waits for (ID[,ID...]): it runs once every one is completed")
      ->delimiter(',');
  add_cmd->callback([&ctx, add] { ctx.action = [&ctx, add] { return RunAdd(ctx, *add); }; });

  AddTaskImportCommand(*task, ctx);
  AddTaskUpdateCommand(*task, ctx);
  AddTaskWaitCommand(*task, ctx);

  auto show_id = std::make_shared<std::string>();
  CLI::App* show = task->add_subcommand("show", "Show a task with its executions and artifacts");
  show->add_option("id", *show_id, "Task id")->required();
  show->callback(
      [&ctx, show_id] { ctx.action = [&ctx, show_id] { return RunShow(ctx, *show_id); }; });

  auto reply = std::make_shared<ReplyOptions>();
  CLI::App* reply_cmd =
      task->add_subcommand("reply", "Answer the question a needs_input task is waiting on");
  reply_cmd->add_option("id", reply->id, "Task id")->required();
  auto* message = reply_cmd->add_option("--message", reply->message, "The answer");
  reply_cmd
      ->add_option("--message-file", reply->message_file,
                   "Read the answer from a file ('-' = stdin)")
      ->excludes(message);
  reply_cmd->callback(
      [&ctx, reply] { ctx.action = [&ctx, reply] { return RunReply(ctx, *reply); }; });

  auto list = std::make_shared<ListOptions>();
  CLI::App* tasks = app.add_subcommand("tasks", "List tasks, newest first, 50 at a time");
  tasks->add_option("--status", list->status, "Only tasks in this status");
  tasks->add_option("--agent", list->agent,
                    "Only tasks of this agent (the one that claimed it, else the one assigned; "
                    "unassigned = neither)");
  tasks->add_option("--type", list->type, "Only tasks of this type");
  tasks->add_option("--search", list->search,
                    "Only tasks whose id, title or description contains this text (any case)");
  tasks->add_option("--sort", list->sort, "Order by one of: " + TaskSortKeyNames())
      ->check(CLI::IsMember(SortKeyNames()))
      ->capture_default_str();
  tasks->add_option("--order", list->order, "desc (newest, highest, Z first) or asc")
      ->check(CLI::IsMember({"asc", "desc"}))
      ->capture_default_str();
  tasks->add_option("--limit", list->limit, "At most this many (0 = all)")
      ->check(NonNegativeCount())
      ->capture_default_str();
  tasks->add_option("--offset", list->offset, "Skip this many before listing (next page)")
      ->check(NonNegativeCount());
  tasks->add_option("--after", list->after,
                    "Only tasks listed after this task id (next page, sort created)");
  tasks->add_flag("--blocked", list->blocked,
                  "Only tasks held back by dependencies: waiting on one, or blocked by one that "
                  "failed");
  tasks->callback([&ctx, list] { ctx.action = [&ctx, list] { return RunList(ctx, *list); }; });

  auto exec = std::make_shared<ExecuteOptions>();
  CLI::App* execute = app.add_subcommand("execute", "Start an attempt now; prints the attempt id");
  execute->add_option("id", exec->id, "Task id")->required();
  execute->add_option("--agent", exec->agent, "Run on this agent");
  execute->add_flag("--force", exec->force,
                    "Run one attempt even though the task's budget is spent (its retries still "
                    "stop at the limits)");
  execute->callback([&ctx, exec] { ctx.action = [&ctx, exec] { return RunExecute(ctx, *exec); }; });

  auto cancel_id = std::make_shared<std::string>();
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel a task (by task or attempt id)");
  cancel->add_option("id", *cancel_id, "Task or attempt id")->required();
  cancel->callback(
      [&ctx, cancel_id] { ctx.action = [&ctx, cancel_id] { return RunCancel(ctx, *cancel_id); }; });
}

}  // namespace taskexec
