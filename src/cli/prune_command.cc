// prune --finished-before WHEN: deletes finished tasks older than WHEN with
// their attempts, records, logs and work dirs (api/pruner.h); --archive
// keeps a JSON-lines copy first, --dry-run only counts.
#include <fstream>
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/date_arg.h"

namespace taskexec {
namespace {

struct PruneOptions {
  std::string finished_before;
  std::string archive;
  bool dry_run = false;
  int batch = 500;
};

void PrintReport(CliContext& ctx, const PruneReport& r, TimeMs cutoff, bool dry_run) {
  ctx.out() << (dry_run ? "would prune " : "pruned ") << r.tasks << " tasks finished before "
            << FormatIso8601(cutoff) << " (" << r.executions << " attempts, " << r.artifacts
            << " artifact records";
  if (!dry_run) ctx.out() << ", " << r.files << " log files and work dirs";
  ctx.out() << ")\n";
  if (r.kept > 0) {
    ctx.out() << "kept " << r.kept << " tasks:\n";
    for (const std::string& why : r.kept_reasons) ctx.out() << "  " << why << "\n";
  }
  for (const std::string& e : r.file_errors) ctx.err() << "taskexec: cannot remove " << e << "\n";
}

int RunPrune(CliContext& ctx, const PruneOptions& o) {
  TimeMs cutoff = 0;
  if (Status s = ParseTimeArg("--finished-before", o.finished_before,
                              SystemClock::Default()->NowMs(), &cutoff);
      !s.ok())
    return ctx.Fail(s);
  std::ofstream archive;
  if (!o.archive.empty() && !o.dry_run) {
    archive.open(o.archive, std::ios::binary | std::ios::app);
    if (!archive) return ctx.Fail(Status::IOError("cannot write \"" + o.archive + "\""));
  }
  std::unique_ptr<TaskService> service;
  if (Status s = ctx.OpenService(&service); !s.ok()) return ctx.Fail(s);
  PruneRequest request;
  request.finished_before = cutoff;
  request.dry_run = o.dry_run;
  request.batch = o.batch;
  if (archive.is_open()) request.archive = &archive;
  PruneReport report;
  Status s = service->Prune(request, &report);
  if (ctx.options.json) {
    nlohmann::json j = ToJson(request, report);
    if (!s.ok()) j["error"] = s.ToString();
    ctx.PrintJson(j);
  } else {
    PrintReport(ctx, report, cutoff, o.dry_run);
  }
  if (!s.ok()) return ctx.Fail(s);
  return report.file_errors.empty() ? 0 : 1;
}

}  // namespace

void RegisterPruneCommand(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<PruneOptions>();
  CLI::App* cmd = app.add_subcommand(
      "prune", "Delete finished tasks older than a date, with their attempts, logs and work dirs");
  cmd->add_option("--finished-before", o->finished_before,
                  "An age (30d, 12h) or a time (2026-11-01, 2026-11-01T08:00:00Z)")
      ->required();
  cmd->add_option("--archive", o->archive,
                  "Append each task (with attempts and artifacts) as a JSON line here first");
  cmd->add_flag("--dry-run", o->dry_run, "Only count what would be pruned");
  cmd->add_option("--batch", o->batch, "Tasks per store transaction")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunPrune(ctx, *o); }; });
}

}  // namespace taskexec
