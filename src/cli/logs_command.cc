// `logs [EXECUTION_ID | --task ID] [-f]`: an attempt's log. With --task, the
// task's latest attempt. With -f, follows it until the attempt ends and
// exits with its outcome: 0 when it completed, 1 otherwise (the outcome is
// said on stderr), so `taskexec logs -f --task T && deploy` does what it
// reads as.
#include <fstream>
#include <memory>
#include <string>

#include "cli/commands.h"

namespace taskexec {
namespace {

struct LogsOptions {
  std::string id;
  std::string task_id;
  bool follow = false;
};

// Copies the log from `*offset` to the end onto `out`. A missing file reads
// as empty (the session may not have created it yet).
void CopyLog(const std::string& path, int64_t* offset, std::ostream& out) {
  if (path.empty()) return;
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  in.seekg(*offset);
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    out.write(buf, n);
    *offset += n;
  }
  out.flush();
}

// The attempt to show: the one named, or the task's latest.
Status FindExecution(TaskService& service, const LogsOptions& o, SessionExecution* e) {
  if (o.task_id.empty()) return service.GetExecution(o.id, e);
  TaskDetails d;
  if (Status s = service.GetTask(o.task_id, &d); !s.ok()) return s;
  if (d.executions.empty())
    return Status::NotFound("task " + o.task_id + " has no attempt yet (taskexec execute " +
                            o.task_id + " starts one)");
  *e = d.executions.back();
  return Status::OK();
}

// How a followed attempt ended, as the exit code (and a line on stderr
// unless it completed).
int Outcome(CliContext& ctx, const SessionExecution& e) {
  if (e.status == ExecutionStatus::kCompleted) return 0;
  ctx.err() << "taskexec: attempt " << e.id << " ended " << ToString(e.status);
  if (e.status == ExecutionStatus::kNeedsInput) {
    ctx.err() << ": the agent asks: " << e.summary;
  } else if (!e.error.empty()) {
    ctx.err() << (e.error_type != ErrorType::kNone
                      ? " (" + std::string(ToString(e.error_type)) + ")"
                      : std::string())
              << ": " << e.error;
  }
  ctx.err() << '\n';
  return 1;
}

int RunLogs(CliContext& ctx, const LogsOptions& o) {
  if (o.id.empty() == o.task_id.empty()) {
    return ctx.Fail(Status::InvalidArgument("give an attempt id or --task ID (one of them)"));
  }
  std::unique_ptr<TaskService> service;
  Status s = ctx.OpenService(&service, StoreUse::kReadExisting);
  SessionExecution e;
  if (s.ok()) s = FindExecution(*service, o, &e);
  if (!s.ok()) return ctx.Fail(s);
  int64_t offset = 0;
  if (!o.follow) {
    std::ifstream probe(e.log_path, std::ios::binary);
    if (e.log_path.empty() || !probe) {
      return ctx.Fail(Status::NotFound("execution " + e.id + " has no log file" +
                                       (e.log_path.empty() ? "" : " at " + e.log_path) +
                                       (e.status == ExecutionStatus::kActive ? " yet" : "")));
    }
    CopyLog(e.log_path, &offset, ctx.out());
    return 0;
  }
  // Read the status before the bytes: once an inactive status has been seen,
  // the copy that follows it includes everything the session wrote.
  for (;;) {
    bool active = e.status == ExecutionStatus::kActive;
    CopyLog(e.log_path, &offset, ctx.out());
    if (!active) return Outcome(ctx, e);
    if (ctx.deps().sleep_ms) ctx.deps().sleep_ms(ctx.follow_poll_ms);
    s = service->GetExecution(e.id, &e);
    if (!s.ok()) return ctx.Fail(s);
  }
}

}  // namespace

void RegisterLogsCommand(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<LogsOptions>();
  CLI::App* logs = app.add_subcommand("logs", "Print an attempt's log");
  auto* id = logs->add_option("execution_id", o->id, "Attempt (execution) id");
  logs->add_option("--task", o->task_id, "The latest attempt of this task")->excludes(id);
  logs->add_flag("-f,--follow", o->follow,
                 "Keep printing appended output until the attempt ends; exit 0 when it "
                 "completed, 1 otherwise");
  logs->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunLogs(ctx, *o); }; });
}

}  // namespace taskexec
