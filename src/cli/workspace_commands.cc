// workspace list, workspace gc [--dry-run]: the tasks' workspaces below
// agent.work_dir and the removal of finished tasks' ones
// (engine/workspace_janitor.h).
#include <cstdio>
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace taskexec {
namespace {

std::string Bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

void PrintTable(CliContext& ctx, const std::vector<WorkspaceInfo>& workspaces) {
  Table table({"TASK", "STATUS", "SIZE", "FINISHED", "GC", "WHY", "PATH"});
  for (const WorkspaceInfo& w : workspaces) {
    table.AddRow({w.task_id, w.has_task ? w.status : "-", Bytes(w.bytes),
                  w.finished_at > 0 ? TimeCell(w.finished_at) : "-", w.verdict, Cell(w.reason, 60),
                  w.path + (w.git_worktree ? " (git worktree)" : "")});
  }
  ctx.PrintTable(table);
}

int RunList(CliContext& ctx) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service, StoreUse::kReadExisting);
  std::vector<WorkspaceInfo> workspaces;
  if (s.ok()) s = service->ListWorkspaces(&workspaces);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const WorkspaceInfo& w : workspaces) list.push_back(ToJson(w));
    ctx.PrintJson({{"workspaces", std::move(list)}});
    return 0;
  }
  if (workspaces.empty()) {
    ctx.out() << "no task workspaces\n";
    return 0;
  }
  PrintTable(ctx, workspaces);
  return 0;
}

int RunGc(CliContext& ctx, bool dry_run) {
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service);
  WorkspaceGcReport report;
  if (s.ok()) s = service->CollectWorkspaces(dry_run, &report);
  if (!s.ok()) return ctx.Fail(s);
  if (ctx.options.json) {
    ctx.PrintJson(ToJson(report, dry_run));
  } else {
    if (!report.removed.empty()) PrintTable(ctx, report.removed);
    ctx.out() << (dry_run ? "would remove " : "removed ") << report.removed.size()
              << " workspaces (" << Bytes(report.bytes) << "), kept " << report.kept << "\n";
    for (const std::string& e : report.errors) ctx.err() << "taskexec: warning: " << e << "\n";
  }
  return report.errors.empty() ? 0 : 1;
}

}  // namespace

void RegisterWorkspaceCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* workspace = app.add_subcommand("workspace", "The tasks' workspaces");
  workspace->require_subcommand(1);
  CLI::App* list = workspace->add_subcommand(
      "list", "Each task workspace: task status, size, when the task ended, what gc would do");
  list->callback([&ctx] { ctx.action = [&ctx] { return RunList(ctx); }; });
  auto dry_run = std::make_shared<bool>(false);
  CLI::App* gc = workspace->add_subcommand(
      "gc", "Remove the finished tasks' workspaces that workspace.keep and max_age_days let go");
  gc->add_flag("--dry-run", *dry_run, "Only list what would be removed");
  gc->callback([&ctx, dry_run] { ctx.action = [&ctx, dry_run] { return RunGc(ctx, *dry_run); }; });
}

}  // namespace taskexec
