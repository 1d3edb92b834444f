// status.
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace taskexec {
namespace {

int RunStatus(CliContext& ctx) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service, StoreUse::kReadExisting);
  ServiceStatus st;
  if (s.ok()) s = service->GetStatus(&st);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(st));
    return 0;
  }
  std::ostream& out = ctx.out();
  // From the store's heartbeats, not this process: a CLI command runs no
  // engine of its own.
  if (st.executors.empty()) {
    out << "Services:           none running on this store (taskexec serve starts one)\n";
  } else {
    out << "Services:           " << st.executors.size() << " running on this store\n";
    Table services({"EXECUTOR", "HOST", "PID", "SINCE", "LAST HEARTBEAT", "VERSION"});
    for (const ExecutorRecord& r : st.executors) {
      services.AddRow({Cell(r.executor_id), Cell(r.host), std::to_string(r.pid),
                       TimeCell(r.started_at), TimeCell(r.heartbeat_at), Cell(r.version)});
    }
    ctx.PrintTable(services);
    // What a service could not do, as its last heartbeat said: the store
    // or its dirs refused a write (docs/engine.md "When the disk is full").
    for (const ExecutorRecord& r : st.executors) {
      if (!r.refusing_work.empty())
        out << "  " << r.executor_id << " takes no new work: " << r.refusing_work << '\n';
      if (r.kept_outcomes > 0)
        out << "  " << r.executor_id << " keeps " << r.kept_outcomes
            << " ended attempt(s) whose outcome the store has not taken yet\n";
    }
  }
  out << "Active executions:  " << st.stats.active_executions << '\n';
  if (st.engine_running) {
    out << "Sessions spawned:   " << st.spawned_sessions << " (" << st.resumed_sessions
        << " resumed)\n";
  }

  out << "\nTasks by status:\n";
  Table by_status({"STATUS", "TASKS"});
  int64_t total = 0;
  for (TaskStatus ts : AllTaskStatuses()) {
    auto it = st.stats.by_status.find(std::string(ToString(ts)));
    int64_t n = it == st.stats.by_status.end() ? 0 : it->second;
    total += n;
    if (n > 0) by_status.AddRow({std::string(ToString(ts)), std::to_string(n)});
  }
  by_status.AddRow({"total", std::to_string(total)});
  ctx.PrintTable(by_status);

  out << "\nTasks by agent:\n";
  Table by_agent({"AGENT", "TASKS", "RUNNING"});
  std::map<std::string, std::pair<int64_t, int64_t>> agents;
  for (const auto& [a, n] : st.stats.by_agent) agents[a].first = n;
  for (const auto& [a, n] : st.running_by_agent) agents[a].second = n;
  for (const auto& [a, n] : agents) {
    by_agent.AddRow(
        {Cell(a.empty() ? "(unassigned)" : a), std::to_string(n.first), std::to_string(n.second)});
  }
  ctx.PrintTable(by_agent);

  if (!st.active_executions.empty()) {
    out << "\nActive executions:\n";
    Table active({"ID", "TASK", "AGENT", "#", "STARTED", "PID", "EXECUTOR"});
    for (const auto& e : st.active_executions) {
      active.AddRow({Cell(e.id), Cell(e.task_id), Cell(e.agent), std::to_string(e.attempt),
                     TimeCell(e.started_at), e.pid ? std::to_string(e.pid) : "-",
                     Cell(e.executor_id)});
    }
    ctx.PrintTable(active);
  }
  return 0;
}

}  // namespace

void RegisterStatusCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* status = app.add_subcommand("status", "Engine, active executions, task counts");
  status->callback([&ctx] { ctx.action = [&ctx] { return RunStatus(ctx); }; });
}

}  // namespace taskexec
