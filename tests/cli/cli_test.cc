// The CLI run in-process: RunCli over a CliContext whose config loader,
// service factory and runner are fakes.
#include "cli/cli.h"

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace taskexec::cli_test {
namespace {

using nlohmann::json;

TEST_F(CliTest, UsageErrorsExit2) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_NE(err().find("subcommand"), std::string::npos) << err();
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_EQ(Run({"task"}), 2);
  EXPECT_EQ(Run({"task", "add"}), 2);  // --title is required
  EXPECT_NE(err().find("--title"), std::string::npos);
  EXPECT_EQ(Run({"tasks", "--limit", "-1"}), 2);
  EXPECT_EQ(Run({"tasks", "--limit", "many"}), 2);
  EXPECT_EQ(Run({"--set", "novalue", "tasks"}), 2);
  EXPECT_EQ(Run({"--set", "=x", "tasks"}), 2);
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--description", "d", "--description-file", "-"}),
            2);
  EXPECT_EQ(Run({"config"}), 2);
  EXPECT_EQ(loads_, 0);  // nothing ran
}

TEST_F(CliTest, HelpExits0) {
  EXPECT_EQ(Run({"--help"}), 0);
  for (const char* cmd :
       {"serve", "task", "tasks", "execute", "cancel", "status", "logs", "route", "config"}) {
    EXPECT_NE(out().find(cmd), std::string::npos) << cmd;
  }
  EXPECT_EQ(Run({"task", "add", "--help"}), 0);
  EXPECT_NE(out().find("--description-file"), std::string::npos);
}

TEST_F(CliTest, TaskAddPrintsOnlyTheId) {
  ASSERT_EQ(
      Run({"task", "add", "--title", "Research markets", "--description", "d", "--type", "research",
           "--priority", "high", "--agent", "mongke", "--context", R"({"b": 2, "a": [1]})"}),
      0)
      << err();
  EXPECT_EQ(out(), "task-1\n");
  EXPECT_EQ(err(), "");
  const NewTask& nt = svc_.last_new_task;
  EXPECT_EQ(nt.title, "Research markets");
  EXPECT_EQ(nt.description, "d");
  EXPECT_EQ(nt.type, "research");
  EXPECT_EQ(nt.priority, Priority::kHigh);
  EXPECT_EQ(nt.assigned_to, "mongke");
  EXPECT_EQ(nt.source, "cli");
  EXPECT_EQ(json::parse(nt.context_json), json::parse(R"({"a":[1],"b":2})"));
  EXPECT_EQ(nt.limits, TaskLimits{});
}

TEST_F(CliTest, TaskAddTakesTheTasksOwnBudget) {
  ASSERT_EQ(Run({"task", "add", "--title", "capped", "--max-cost-usd", "0.5", "--max-tokens",
                 "1500000000", "--max-attempts", "4", "--max-seconds", "900", "--json"}),
            0)
      << err();
  const NewTask& nt = svc_.last_new_task;
  EXPECT_EQ(nt.limits.max_cost_usd, 0.5);
  EXPECT_EQ(nt.limits.max_tokens, 1'500'000'000);
  EXPECT_EQ(nt.limits.max_attempts, 4);
  EXPECT_EQ(nt.limits.max_seconds, 900);
  json j = json::parse(out());
  EXPECT_EQ(j["max_cost_usd"], 0.5);
  EXPECT_EQ(j["max_attempts"], 4);
  EXPECT_EQ(j["attempts"], 0);

  // Shown against what was spent, the task's own limit marked as such.
  Task& t = svc_.tasks[j["id"].get<std::string>()];
  t.usage.cost_usd = 0.125;
  t.attempts = 2;
  t.run_ms = 61'000;
  ASSERT_EQ(Run({"task", "show", t.id}), 0) << err();
  EXPECT_NE(out().find("Budget:         cost $0.1250 of $0.5000 (the task's); 0 tokens of "
                       "1500000000 (the task's); 2 attempts of 4 (the task's); 61 s run time "
                       "of 900 s (the task's)"),
            std::string::npos)
      << out();

  EXPECT_EQ(Run({"task", "add", "--title", "t", "--max-attempts", "-1"}), 1);
  EXPECT_NE(err().find("--max-attempts: must be an integer 0..100000"), std::string::npos) << err();
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--max-cost-usd", "lots"}), 2);
}

TEST_F(CliTest, TaskAddJson) {
  ASSERT_EQ(Run({"task", "add", "--title", "T", "--json"}), 0) << err();
  json j = json::parse(out());
  EXPECT_EQ(j["id"], "task-1");
  EXPECT_EQ(j["title"], "T");
  EXPECT_EQ(j["priority"], "normal");
  EXPECT_EQ(j["created_at"], "2025-11-25T10:42:01.123Z");
  // Global flag before the subcommand works too.
  ASSERT_EQ(Run({"--json", "task", "add", "--title", "U"}), 0);
  EXPECT_EQ(json::parse(out())["title"], "U");
}

TEST_F(CliTest, TaskAddBadInput) {
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--priority", "urgent"}), 1);
  EXPECT_EQ(err().rfind("taskexec: error: --priority", 0), 0u) << err();
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--context", "{bad"}), 1);
  EXPECT_NE(err().find("--context: malformed JSON"), std::string::npos) << err();
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--context", "{\"n\": 1e999}"}), 1);
  EXPECT_NE(err().find("--context: malformed JSON"), std::string::npos) << err();
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--context", "[1,2]"}), 1);
  EXPECT_NE(err().find("--context: must be a JSON object"), std::string::npos);
  EXPECT_EQ(Run({"task", "add", "--title", "t", "--description-file", TempPath("missing")}), 1);
  EXPECT_NE(err().find("--description-file"), std::string::npos);
  EXPECT_EQ(Run({"task", "add", "--title", ""}), 1);  // the service refuses it
  EXPECT_TRUE(svc_.tasks.empty());
}

TEST_F(CliTest, TaskAddDescriptionFromFileOrStdin) {
  ASSERT_EQ(Run({"task", "add", "--title", "t", "--description-file", "-"}, "from\nstdin\n"), 0);
  EXPECT_EQ(svc_.last_new_task.description, "from\nstdin\n");
  std::string path = TempPath("desc.txt");
  std::ofstream(path) << "from a file";
  ASSERT_EQ(Run({"task", "add", "--title", "t", "--description-file", path}), 0);
  EXPECT_EQ(svc_.last_new_task.description, "from a file");
  std::filesystem::remove(path);
}

TEST_F(CliTest, GlobalOptionsAnywhere) {
  env_["TASKEXEC_CONFIG"] = "/etc/env.toml";
  ASSERT_EQ(Run({"tasks"}), 0);
  EXPECT_EQ(loaded_path_, "/etc/env.toml");
  ASSERT_EQ(Run({"--config", "/etc/flag.toml", "tasks"}), 0);
  EXPECT_EQ(loaded_path_, "/etc/flag.toml");
  ASSERT_EQ(Run({"tasks", "--config", "/etc/after.toml", "--db", "after.db"}), 0) << err();
  EXPECT_EQ(loaded_path_, "/etc/after.toml");
  EXPECT_EQ(opened_db_, "after.db");
  ASSERT_EQ(Run({"--set", "executor.max_retries=5", "--set", "store.db_path=set.db", "tasks"}), 0);
  EXPECT_EQ(loaded_overrides_.at("executor.max_retries"), "5");
  EXPECT_EQ(opened_db_, "set.db");
  // --db wins over --set store.db_path.
  ASSERT_EQ(Run({"--set", "store.db_path=set.db", "--db", "flag.db", "tasks"}), 0);
  EXPECT_EQ(opened_db_, "flag.db");
  EXPECT_EQ(Run({"--set", "no.such.key=1", "tasks"}), 1);
  EXPECT_NE(err().find("taskexec: error: unknown configuration key \"no.such.key\""),
            std::string::npos)
      << err();
}

TEST_F(CliTest, TasksTableAndFilters) {
  AddTask("first task");
  AddTask("second, with a\nnewline");
  svc_.tasks["task-2"].status = TaskStatus::kInProgress;
  svc_.tasks["task-2"].claimed_by = "temujin";
  ASSERT_EQ(Run({"tasks"}), 0) << err();
  std::istringstream lines(out());
  std::string header, row1, row2, extra;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_FALSE(std::getline(lines, extra));  // the newline in the title was flattened
  EXPECT_EQ(header.rfind("ID", 0), 0u);
  size_t status_col = header.find("STATUS");
  size_t title_col = header.find("TITLE");
  ASSERT_NE(status_col, std::string::npos);
  EXPECT_EQ(row1.find("pending"), status_col);
  EXPECT_EQ(row2.find("in_progress"), status_col);
  EXPECT_EQ(row2.find("second, with a newline"), title_col);
  EXPECT_NE(row2.find("temujin"), std::string::npos);

  ASSERT_EQ(Run({"tasks", "--status", "in_progress", "--agent", "temujin", "--limit", "5"}), 0);
  ASSERT_TRUE(svc_.last_filter.status.has_value());
  EXPECT_EQ(*svc_.last_filter.status, TaskStatus::kInProgress);
  EXPECT_EQ(svc_.last_filter.agent, "temujin");
  EXPECT_EQ(svc_.last_filter.limit, 5);
  EXPECT_NE(out().find("task-2"), std::string::npos);
  EXPECT_EQ(out().find("task-1"), std::string::npos);

  ASSERT_EQ(Run({"tasks", "--json"}), 0);
  json arr = json::parse(out());
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[1]["status"], "in_progress");

  EXPECT_EQ(Run({"tasks", "--status", "sleeping"}), 1);
  EXPECT_NE(err().find("unknown status \"sleeping\""), std::string::npos);
  EXPECT_NE(err().find("in_progress"), std::string::npos);
  EXPECT_EQ(Run({"tasks", "--agent", "ghost"}), 1);
  EXPECT_NE(err().find("unknown agent"), std::string::npos);

  ASSERT_EQ(Run({"tasks", "--agent", "any", "--after", "task-1", "--limit", "10"}), 0) << err();
  EXPECT_EQ(svc_.last_filter.agent, "any");  // the service reads it as unassigned
  EXPECT_EQ(svc_.last_filter.after, "task-1");
}

TEST_F(CliTest, PruneTakesAnAgeOrADateAndReports) {
  svc_.prune_report.tasks = 4;
  svc_.prune_report.executions = 6;
  svc_.prune_report.kept = 1;
  svc_.prune_report.kept_reasons = {"task-7: its final state has not reached Notion"};
  ASSERT_EQ(Run({"prune", "--finished-before", "2026-11-01"}), 0) << err();
  EXPECT_EQ(svc_.last_prune.finished_before, 1793491200000);  // 2026-11-01T00:00:00Z
  EXPECT_FALSE(svc_.last_prune.dry_run);
  EXPECT_EQ(svc_.last_prune.archive, nullptr);
  EXPECT_NE(out().find("pruned 4 tasks finished before 2026-11-01T00:00:00.000Z (6 attempts"),
            std::string::npos)
      << out();
  EXPECT_NE(out().find("task-7: its final state"), std::string::npos);

  const TimeMs before = SystemClock::Default()->NowMs();
  ASSERT_EQ(Run({"prune", "--finished-before", "30d", "--dry-run", "--batch", "7", "--json"}), 0);
  const TimeMs after = SystemClock::Default()->NowMs();
  EXPECT_TRUE(svc_.last_prune.dry_run);
  EXPECT_EQ(svc_.last_prune.batch, 7);
  EXPECT_GE(svc_.last_prune.finished_before, before - 30 * 86'400'000LL);
  EXPECT_LE(svc_.last_prune.finished_before, after - 30 * 86'400'000LL);
  json j = json::parse(out());
  EXPECT_EQ(j["tasks"], 4);
  EXPECT_EQ(j["dry_run"], true);

  ASSERT_EQ(Run({"prune", "--finished-before", "2026-11-01T08:00:00+02:00"}), 0);
  EXPECT_EQ(svc_.last_prune.finished_before, 1793491200000 + 6 * 3600 * 1000);

  for (const char* bad : {"yesterday", "30", "30w", "2026-13-01", "-5d"}) {
    EXPECT_EQ(Run({"prune", "--finished-before", bad}), 1) << bad;
    EXPECT_NE(err().find("--finished-before"), std::string::npos) << bad;
  }
  EXPECT_EQ(Run({"prune"}), 2);  // the date is required
  EXPECT_EQ(Run({"prune", "--finished-before", "1d", "--batch", "0"}), 2);
  EXPECT_EQ(Run({"prune", "--finished-before", "1d", "--archive", "/nonexistent/dir/a.jsonl"}), 1);
  EXPECT_NE(err().find("cannot write"), std::string::npos);
}

TEST_F(CliTest, TaskShow) {
  std::string id = AddTask("show me");
  SessionExecution e;
  e.id = "exec-7";
  e.task_id = id;
  e.agent = "mongke";
  e.status = ExecutionStatus::kFailed;
  e.exit_code = 2;
  e.error = "exit status 2";
  e.usage.input_tokens = 400;
  e.usage.cache_read_tokens = 800;
  e.usage.output_tokens = 34;  // no cost: not priced
  svc_.executions[e.id] = e;
  svc_.tasks[id].usage.input_tokens = 1600;
  svc_.tasks[id].usage.cache_read_tokens = 800;
  svc_.tasks[id].usage.output_tokens = 100;
  svc_.tasks[id].usage.cost_usd = 0.00564;
  svc_.tasks[id].usage.num_turns = 4;
  svc_.tasks[id].usage.model = "claude-opus-5-5";
  Artifact a;
  a.task_id = id;
  a.name = "report.md";
  a.size = 10;
  a.sha256 = std::string(64, 'f');
  svc_.artifacts.push_back(a);

  ASSERT_EQ(Run({"task", "show", id}), 0) << err();
  EXPECT_NE(out().find("Title:          show me"), std::string::npos) << out();
  EXPECT_NE(out().find("Status:         pending"), std::string::npos);
  EXPECT_NE(out().find("exec-7"), std::string::npos);
  EXPECT_NE(out().find("exit status 2"), std::string::npos);
  EXPECT_NE(out().find("report.md"), std::string::npos);
  EXPECT_NE(out().find("Usage:          1600 in, 800 cached, 100 out; cost $0.0056; 4 turns; "
                       "model claude-opus-5-5"),
            std::string::npos)
      << out();
  EXPECT_NE(out().find("400 in, 800 cached, 34 out  -  "), std::string::npos) << out();

  ASSERT_EQ(Run({"task", "show", id, "--json"}), 0);
  json j = json::parse(out());
  EXPECT_EQ(j["executions"][0]["exit_code"], 2);
  EXPECT_EQ(j["artifacts"][0]["name"], "report.md");

  EXPECT_EQ(Run({"task", "show", "task-nope"}), 1);
  EXPECT_EQ(err(), "taskexec: error: task task-nope not found\n");
}

TEST_F(CliTest, ExecuteAndCancel) {
  std::string id = AddTask("run");
  ASSERT_EQ(Run({"execute", id}), 0) << err();
  EXPECT_EQ(out(), "exec-2\n");
  EXPECT_EQ(svc_.last_execute_agent, "");
  EXPECT_FALSE(svc_.last_execute_force);
  EXPECT_EQ(Run({"execute", id}), 1);  // already requested
  EXPECT_NE(err().find("already has a pending execution request"), std::string::npos);

  std::string id2 = AddTask("run on temujin");
  ASSERT_EQ(Run({"execute", id2, "--agent", "temujin", "--json"}), 0);
  EXPECT_EQ(json::parse(out())["attempt_id"], "exec-4");
  EXPECT_EQ(svc_.last_execute_agent, "temujin");
  svc_.tasks[id2].requested_execution_id.clear();
  ASSERT_EQ(Run({"execute", id2, "--force"}), 0) << err();
  EXPECT_TRUE(svc_.last_execute_force);
  EXPECT_EQ(Run({"execute", id2, "--agent", "ghost"}), 1);
  EXPECT_EQ(Run({"execute", "task-nope"}), 1);
  EXPECT_NE(err().find("not found"), std::string::npos);

  ASSERT_EQ(Run({"cancel", id}), 0);
  EXPECT_EQ(out(), id + ": cancelled\n");
  ASSERT_EQ(Run({"cancel", id, "--json"}), 0);
  EXPECT_EQ(json::parse(out())["status"], "cancelled");
  EXPECT_EQ(Run({"cancel", "nope"}), 1);
}

TEST_F(CliTest, Status) {
  svc_.status.engine_running = false;
  svc_.status.stats.by_status = {{"pending", 2}, {"completed", 5}};
  svc_.status.stats.by_agent = {{"mongke", 4}, {"", 3}};
  svc_.status.stats.active_executions = 1;
  SessionExecution e;
  e.id = "exec-active";
  e.task_id = "task-9";
  e.agent = "mongke";
  e.pid = 123;
  svc_.status.active_executions = {e};
  ASSERT_EQ(Run({"status"}), 0) << err();
  EXPECT_NE(out().find("Services:           1 running on this store"), std::string::npos) << out();
  EXPECT_NE(out().find("Active executions:  1"), std::string::npos) << out();
  EXPECT_NE(out().find("completed  5"), std::string::npos) << out();
  EXPECT_NE(out().find("total      7"), std::string::npos) << out();
  EXPECT_NE(out().find("(unassigned)"), std::string::npos);
  EXPECT_NE(out().find("exec-active"), std::string::npos);

  ASSERT_EQ(Run({"status", "--json"}), 0);
  EXPECT_EQ(json::parse(out())["stats"]["by_status"]["completed"], 5);
}

TEST_F(CliTest, Logs) {
  std::string path = TempPath("exec.log");
  std::ofstream(path) << "line 1\nline 2\n";
  SessionExecution e;
  e.id = "exec-1";
  e.log_path = path;
  e.status = ExecutionStatus::kCompleted;
  svc_.executions[e.id] = e;
  ASSERT_EQ(Run({"logs", "exec-1"}), 0) << err();
  EXPECT_EQ(out(), "line 1\nline 2\n");
  EXPECT_EQ(Run({"logs", "exec-nope"}), 1);

  svc_.executions["exec-1"].log_path = path + ".missing";
  EXPECT_EQ(Run({"logs", "exec-1"}), 1);
  EXPECT_NE(err().find("has no log file"), std::string::npos);
  std::filesystem::remove(path);
}

TEST_F(CliTest, LogsFollowUntilExecutionEnds) {
  std::string path = TempPath("follow.log");
  std::filesystem::remove(path);  // created by the "session" later
  SessionExecution e;
  e.id = "exec-f";
  e.log_path = path;
  e.status = ExecutionStatus::kActive;
  svc_.executions[e.id] = e;
  svc_.finish_after_polls = 4;  // the 4th lookup reports completed
  int step = 0;
  on_sleep_ = [&] {
    ++step;
    std::ofstream(path, std::ios::app) << "chunk " << step << "\n";
  };
  ASSERT_EQ(Run({"logs", "exec-f", "--follow"}), 0) << err();
  // Every chunk written before the status turned completed is printed.
  EXPECT_EQ(out(), "chunk 1\nchunk 2\nchunk 3\n");
  EXPECT_EQ(sleeps_, 3);
  EXPECT_EQ(last_sleep_ms_, 500);
  std::filesystem::remove(path);
}

TEST_F(CliTest, Route) {
  ASSERT_EQ(Run({"route", "--title", "research the market"}), 0) << err();
  EXPECT_EQ(out(), "agent:   mongke\nrule:    keyword\ndetail:  research\n");
  ASSERT_EQ(Run({"route", "--title", "x", "--agent", "temujin", "--type", "code", "--description",
                 "d", "--json"}),
            0);
  EXPECT_EQ(json::parse(out())["rule"], "explicit");
  EXPECT_EQ(svc_.last_route_task.type, "code");
  EXPECT_EQ(svc_.last_route_task.description, "d");
  EXPECT_EQ(Run({"route"}), 2);
}

// `agents` and `agent resume` on the real StoreTaskService + SQLite: a
// pause an engine stored shows with its end and reason; resuming lifts it
// once.
TEST_F(CliTest, AgentsShowTheirPausesAndResumeLiftsThem) {
  SqliteService real("pauses.db");
  SqliteStore* store = real.store();
  StoreTaskService& service = *real.service();
  service.SetAgentLimits(4, {{"kublai", 2}});
  service.SetDailyCostLimit(5);
  real_service_ = &service;
  // kublai's attempt that ended a minute ago cost $1.25.
  NewTask priced;
  priced.title = "priced";
  Task task;
  ASSERT_TRUE(store->AddTask(priced, SystemClock::Default()->NowMs(), &task).ok());
  ClaimRequest req;
  req.task_id = task.id;
  req.expected_version = task.version;
  req.executor_id = "host-1";
  req.agent = "kublai";
  req.execution_id = "exec-priced";
  const TimeMs ended = SystemClock::Default()->NowMs() - 60'000;
  req.now = ended - 1000;
  req.lease_expires_at = ended + 60'000;
  Claim claim;
  ASSERT_TRUE(store->Claim(req, &claim).ok());
  ASSERT_TRUE(store->MarkStarted(task.id, req.execution_id, "host-1", 42, ended - 900).ok());
  AttemptOutcome done;
  done.task_id = task.id;
  done.execution_id = req.execution_id;
  done.executor_id = "host-1";
  done.task_status = TaskStatus::kCompleted;
  done.execution_status = ExecutionStatus::kCompleted;
  done.usage.cost_usd = 1.25;
  done.now = ended;
  ASSERT_TRUE(store->FinishAttempt(done, nullptr).ok());
  AgentPause p;
  p.agent = "kublai";
  p.since = SystemClock::Default()->NowMs();
  p.until = p.since + 3'600'000;
  p.pause_ms = 300'000;
  p.message = "5 consecutive failed attempts (last: api_error: HTTP 500)";
  ASSERT_TRUE(store->SetMeta(AgentPauseKey("kublai"), EncodeAgentPause(p)).ok());

  ASSERT_EQ(Run({"agents"}), 0) << err();
  EXPECT_NE(out().find("AGENT"), std::string::npos) << out();
  EXPECT_NE(out().find("TODAY (UTC)"), std::string::npos) << out();
  EXPECT_NE(out().find("mongke    0/4      $0 of $5.00"), std::string::npos) << out();
  EXPECT_NE(out().find("kublai    0/2      $1.25 of $5.00  " + TimeCell(p.until) +
                       "  circuit: 5 consecutive failed attempts (last: api_error: HTTP 500)"),
            std::string::npos)
      << out();
  ASSERT_EQ(Run({"agents", "--json"}), 0) << err();
  json listed = json::parse(out())["agents"];
  bool seen = false;
  for (const json& a : listed) {
    if (a["name"] != "kublai") {
      EXPECT_TRUE(a["paused"].is_null()) << a;
      continue;
    }
    seen = true;
    EXPECT_EQ(a["limit"], 2);
    EXPECT_DOUBLE_EQ(a["cost_today_usd"].get<double>(), 1.25);
    EXPECT_DOUBLE_EQ(a["daily_limit_usd"].get<double>(), 5);
    EXPECT_EQ(a["paused"]["reason"], "circuit");
    EXPECT_EQ(a["paused"]["pause_seconds"], 300);
  }
  EXPECT_TRUE(seen) << listed;

  ASSERT_EQ(Run({"agent", "resume", "kublai"}), 0) << err();
  EXPECT_EQ(out(), "kublai: resumed\n");
  std::string stored;
  ASSERT_TRUE(store->GetMeta(AgentPauseKey("kublai"), &stored).ok());
  EXPECT_EQ(stored, "");
  EXPECT_EQ(Run({"agent", "resume", "kublai"}), 1);
  EXPECT_EQ(err(), "taskexec: error: agent kublai is not paused\n");
  EXPECT_EQ(Run({"agent", "resume", "genghis"}), 1);
  EXPECT_NE(err().find("unknown agent 'genghis'"), std::string::npos) << err();
  EXPECT_EQ(Run({"agent"}), 2);  // which action

  // A daily-budget pause is not lifted: the engine would set it again.
  p.reason = PauseReason::kDailyBudget;
  p.message = "spent $5.10 today (UTC), the daily limit of $5.00";
  ASSERT_TRUE(store->SetMeta(AgentPauseKey("kublai"), EncodeAgentPause(p)).ok());
  EXPECT_EQ(Run({"agent", "resume", "kublai"}), 1);
  EXPECT_NE(err().find("agent kublai is paused by its daily budget: spent $5.10 today"),
            std::string::npos)
      << err();

  real_service_ = nullptr;
}

// `workspace list` and `workspace gc` on the real StoreTaskService, SQLite
// and folders: a completed task's workspace is listed for removal, a dry
// run keeps it, gc removes it; a failed one's stays (workspace.keep).
TEST_F(CliTest, WorkspacesAreListedAndCollected) {
  SqliteService real("workspaces.db");
  SqliteStore* store = real.store();
  StoreTaskService& service = *real.service();
  const std::string work = TempPath("cli-workspaces");
  std::filesystem::remove_all(work);
  AgentConfig agent;
  agent.work_dir = work;
  agent.log_dir = work + "-logs";
  service.SetWorkspaceJanitor(
      std::make_shared<WorkspaceJanitor>(agent, store, SystemClock::Default(), AgentEnvironment()));
  real_service_ = &service;
  for (const auto& [id, status] :
       {std::pair<std::string, TaskStatus>{"ws-done", TaskStatus::kCompleted},
        {"ws-failed", TaskStatus::kFailed}}) {
    NewTask nt;
    nt.id = id;
    nt.title = id;
    nt.status = status;
    Task t;
    ASSERT_TRUE(store->AddTask(nt, SystemClock::Default()->NowMs(), &t).ok());
    std::filesystem::create_directories(work + "/" + id);
    std::ofstream(work + "/" + id + "/notes.md") << "12345";
  }

  ASSERT_EQ(Run({"workspace", "list"}), 0) << err();
  EXPECT_NE(out().find("TASK"), std::string::npos) << out();
  EXPECT_NE(out().find("ws-done    completed  5 B"), std::string::npos) << out();
  EXPECT_NE(out().find("remove  completed (workspace.keep = failed)"), std::string::npos) << out();
  EXPECT_NE(out().find("ws-failed  failed     5 B"), std::string::npos) << out();
  ASSERT_EQ(Run({"workspace", "list", "--json"}), 0) << err();
  json listed = json::parse(out())["workspaces"];
  ASSERT_EQ(listed.size(), 2u) << listed;
  EXPECT_EQ(listed[0]["task_id"], "ws-done");
  EXPECT_EQ(listed[0]["verdict"], "remove");
  EXPECT_EQ(listed[1]["verdict"], "keep");

  ASSERT_EQ(Run({"workspace", "gc", "--dry-run"}), 0) << err();
  EXPECT_NE(out().find("would remove 1 workspaces (5 B), kept 1"), std::string::npos) << out();
  EXPECT_TRUE(std::filesystem::exists(work + "/ws-done"));
  ASSERT_EQ(Run({"workspace", "gc", "--json"}), 0) << err();
  json report = json::parse(out());
  EXPECT_EQ(report["removed"].size(), 1u);
  EXPECT_EQ(report["dry_run"], false);
  EXPECT_FALSE(std::filesystem::exists(work + "/ws-done"));
  EXPECT_TRUE(std::filesystem::exists(work + "/ws-failed"));
  EXPECT_EQ(Run({"workspace"}), 2);  // which action
  real_service_ = nullptr;
  std::filesystem::remove_all(work);
}

// Agent names are checked by the real service (StoreTaskService), the same
// rule the HTTP API gets: unknown names are refused with the known ones
// listed, known ones match case-insensitively.
TEST_F(CliTest, UnknownAgentRefusedByTheService) {
  SqliteService real("agents.db");
  StoreTaskService& service = *real.service();
  real_service_ = &service;

  EXPECT_EQ(Run({"task", "add", "--title", "t", "--agent", "genghis"}), 1);
  EXPECT_NE(err().find("unknown agent 'genghis'"), std::string::npos) << err();
  EXPECT_NE(err().find("mongke"), std::string::npos) << err();  // lists the known ones
  std::vector<Task> tasks;
  ASSERT_TRUE(service.ListTasks(TaskFilter{}, &tasks).ok());
  EXPECT_TRUE(tasks.empty());

  ASSERT_EQ(Run({"task", "add", "--title", "t", "--agent", "Mongke"}), 0) << err();
  const std::string id = out().substr(0, out().find('\n'));
  EXPECT_EQ(Run({"execute", id, "--agent", "genghis"}), 1);
  EXPECT_NE(err().find("unknown agent 'genghis'"), std::string::npos) << err();
  ASSERT_EQ(Run({"execute", id, "--agent", "TEMUJIN"}), 0) << err();

  EXPECT_EQ(Run({"route", "--title", "x", "--agent", "genghis"}), 1);
  EXPECT_NE(err().find("unknown agent 'genghis'"), std::string::npos) << err();
  ASSERT_EQ(Run({"route", "--title", "x", "--agent", "Chagatai"}), 0) << err();
  EXPECT_NE(out().find("agent:   chagatai"), std::string::npos) << out();

  EXPECT_EQ(Run({"tasks", "--agent", "genghis"}), 1);
  EXPECT_NE(err().find("--agent: unknown agent \"genghis\""), std::string::npos) << err();
  EXPECT_EQ(Run({"tasks", "--agent", "MONGKE"}), 0) << err();
  // "any" and "unassigned" list the tasks nobody claimed or was assigned.
  ASSERT_EQ(Run({"task", "add", "--title", "anyone's"}), 0) << err();
  const std::string unassigned = out().substr(0, out().find('\n'));
  for (const char* name : {"any", "unassigned"}) {
    ASSERT_EQ(Run({"tasks", "--agent", name, "--json"}), 0) << err();
    json listed = json::parse(out());
    ASSERT_EQ(listed.size(), 1u) << name;
    EXPECT_EQ(listed[0]["id"], unassigned) << name;
  }

  real_service_ = nullptr;
}

// task import on the real StoreTaskService + SQLite: JSON lines and CSV,
// batches, bad records reported with their line (in order) and skipped,
// the rest routed and kept; a bad CSV header stops before anything is added.
TEST_F(CliTest, TaskImportKeepsGoodLinesAndReportsBadOnes) {
  SqliteService real("import.db");
  SqliteStore* store = real.store();
  StoreTaskService& service = *real.service();
  real_service_ = &service;

  const std::string jsonl = TempPath("tasks.jsonl");
  std::ofstream(jsonl) << R"({"title":"one","assigned_to":"jochi"})"
                       << "\n\n"
                       << "not json\n"
                       << R"({"title":"two","priority":"urgent"})"
                       << "\n"
                       << R"({"id":"task-fixed","title":"three","context":{"k":1}})"
                       << "\r\n"
                       << R"({"id":"task-fixed","title":"again"})"
                       << "\n"
                       << R"({"title":"Write the report"})"
                       << "\n";
  EXPECT_EQ(Run({"task", "import", jsonl, "--batch", "2"}), 1);
  EXPECT_EQ(out(), "imported 3 tasks; refused 3 (listed above)\n");
  EXPECT_EQ(err(), jsonl + ":3: malformed JSON\n" + jsonl +
                       ":4: priority: \"urgent\" is not one of critical, high, normal, low\n" +
                       jsonl + ":6: task task-fixed already exists\n")
      << err();
  Task t;
  ASSERT_TRUE(store->GetTask("task-fixed", &t).ok());
  EXPECT_EQ(t.title, "three");
  EXPECT_EQ(t.source, "import");
  EXPECT_EQ(t.context_json, R"({"k":1})");

  const std::string csv = TempPath("tasks.csv");
  std::ofstream(csv) << "title,priority,assigned_to,context,max_retries\r\n"
                     << "\"Fix, the \"\"bug\"\"\",high,mongke,\"{\"\"a\"\":1}\",2\r\n"
                     << "\"multi\nline\",low,,,\n"
                     << "bad agent,normal,nobody,,\n"
                     << "short\n"
                     << "retries,normal,,,many\n";
  EXPECT_EQ(Run({"--json", "task", "import", csv}), 1);
  json j = json::parse(out());
  EXPECT_EQ(j["imported"], 2);
  ASSERT_EQ(j["refused"].size(), 3u) << j.dump();
  EXPECT_EQ(j["refused"][0]["line"], 5);  // the quoted line break moved it
  EXPECT_NE(j["refused"][0]["error"].get<std::string>().find("unknown agent 'nobody'"),
            std::string::npos);
  EXPECT_EQ(j["refused"][1]["line"], 6);
  EXPECT_EQ(j["refused"][1]["error"], "has 1 fields; the header has 5");
  EXPECT_EQ(j["refused"][2]["error"], "max_retries: \"many\" is not an integer");

  std::vector<Task> tasks;
  ASSERT_TRUE(service.ListTasks(TaskFilter{}, &tasks).ok());
  ASSERT_EQ(tasks.size(), 5u);
  std::map<std::string, Task> by_title;
  for (const Task& task : tasks) by_title[task.title] = task;
  EXPECT_EQ(by_title.at("one").routed_agent, "jochi");
  EXPECT_EQ(by_title.at("Fix, the \"bug\"").priority, Priority::kHigh);
  EXPECT_EQ(by_title.at("Fix, the \"bug\"").max_retries, 2);
  EXPECT_EQ(by_title.at("Fix, the \"bug\"").routed_agent, "mongke");
  EXPECT_EQ(by_title.at("multi\nline").priority, Priority::kLow);
  EXPECT_FALSE(by_title.at("Write the report").routed_agent.empty());

  // All good: exit 0. A bad header adds nothing.
  std::ofstream(jsonl, std::ios::trunc) << R"({"title":"fine"})"
                                        << "\n";
  EXPECT_EQ(Run({"task", "import", jsonl}), 0) << err();
  EXPECT_EQ(out(), "imported 1 tasks\n");
  EXPECT_EQ(Run({"task", "import", "--format", "csv", "-"}, "titel\nx\n"), 1);
  EXPECT_NE(err().find("unknown field \"titel\""), std::string::npos) << err();
  EXPECT_EQ(Run({"task", "import", "--format", "xml", jsonl}), 1);
  EXPECT_EQ(Run({"task", "import", TempPath("missing.jsonl")}), 1);
  EXPECT_NE(err().find("cannot read"), std::string::npos) << err();
  tasks.clear();
  ASSERT_TRUE(service.ListTasks(TaskFilter{}, &tasks).ok());
  EXPECT_EQ(tasks.size(), 6u);

  real_service_ = nullptr;
  std::filesystem::remove(jsonl);
  std::filesystem::remove(csv);
}

TEST_F(CliTest, ServeAndConfig) {
  EXPECT_EQ(Run({"serve", "--listen", "127.0.0.1:9999"}), 3);  // the runner's exit code
  EXPECT_EQ(served_listen_, "127.0.0.1:9999");
  // An empty address is the server turned off, not the default address.
  served_listen_ = "unset";
  EXPECT_EQ(Run({"serve", "--listen", ""}), 3);
  EXPECT_EQ(served_listen_, "");
  EXPECT_EQ(Run({"serve", "--config", "/x.toml"}), 3);
  EXPECT_EQ(loaded_path_, "/x.toml");

  ASSERT_EQ(Run({"config", "check"}), 0);
  EXPECT_EQ(out(), "store: ok\n");
  check_result_ = Status::Unavailable("Notion is unreachable");
  EXPECT_EQ(Run({"config", "check"}), 1);
  EXPECT_EQ(err(), "taskexec: error: Notion is unreachable\n");

  ASSERT_EQ(Run({"--db", "d.db", "config", "show"}), 0);
  EXPECT_EQ(out(), "store.db_path = \"d.db\"\nredacted = yes\n");
  ASSERT_EQ(Run({"config", "show", "--show-secrets"}), 0);
  EXPECT_NE(out().find("redacted = no"), std::string::npos);
}

TEST_F(CliTest, FailuresNeverCrash) {
  open_error_ = Status::Unavailable("database is locked");
  EXPECT_EQ(Run({"tasks"}), 1);
  EXPECT_EQ(err(), "taskexec: error: database is locked\n");
  open_error_ = Status::OK();
  throw_on_open_ = true;
  EXPECT_EQ(Run({"status"}), 1);
  EXPECT_EQ(err(), "taskexec: error: boom\n");
  throw_on_open_ = false;
  svc_.fail = Status::Internal("disk on fire");
  EXPECT_EQ(Run({"tasks"}), 1);
  EXPECT_EQ(Run({"status"}), 1);
  EXPECT_EQ(Run({"route", "--title", "x"}), 1);
}

TEST_F(CliTest, ExtraGroupsCanBeRegistered) {
  auto once = std::make_shared<bool>(false);
  extra_groups_.push_back([once](CLI::App& app, CliContext& ctx) {
    CLI::App* notion = app.add_subcommand("notion", "Notion");
    notion->require_subcommand(1);
    CLI::App* sync = notion->add_subcommand("sync", "Sync");
    sync->add_flag("--once", *once);
    sync->callback([&ctx, once] {
      ctx.action = [&ctx, once] {
        Config cfg;
        Status s = ctx.LoadConfig(&cfg);
        if (!s.ok()) return ctx.Fail(s);
        ctx.out() << "synced once=" << *once << " db=" << cfg.store.db_path << '\n';
        return 0;
      };
    });
  });
  ASSERT_EQ(Run({"notion", "sync", "--once", "--db", "n.db"}), 0) << err();
  EXPECT_EQ(out(), "synced once=1 db=n.db\n");
}

TEST(CliOutputTest, TableAndCells) {
  Table t({"A", "LONGER"});
  t.AddRow({"\xc3\xa9\xc3\xa9\xc3\xa9", "x"});  // 3 code points, 6 bytes
  t.AddRow({"abcd", "y"});
  t.AddRow({"z", ""});  // no trailing blanks
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str(), "A     LONGER\n\xc3\xa9\xc3\xa9\xc3\xa9   x\nabcd  y\nz\n");
  EXPECT_EQ(Cell("a\tb\nc\x1b[31m"), "a b c [31m");
  EXPECT_EQ(Cell("abcdef", 4), "abc\xe2\x80\xa6");
  EXPECT_EQ(Cell("abcd", 4), "abcd");
  EXPECT_EQ(Cell("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xe2\x80\xa6");
  EXPECT_EQ(TimeCell(0), "-");
  EXPECT_EQ(TimeCell(1764067321123), "2025-11-25T10:42:01.123Z");
}

// Dependencies end to end on the real StoreTaskService + SQLite: --blocked-by
// on add and update, the listing of held-back tasks, the graph in `task
// show`, a cycle refused naming it, a failed dependency blocking, --unblock.
TEST_F(CliTest, DependenciesAreSetShownAndReleased) {
  SqliteService real("dependencies.db");
  real_service_ = real.service();
  ASSERT_EQ(Run({"task", "add", "--title", "schema"}), 0) << err();
  const std::string a = out().substr(0, out().find('\n'));
  ASSERT_EQ(Run({"task", "add", "--title", "api", "--blocked-by", a}), 0) << err();
  const std::string b = out().substr(0, out().find('\n'));
  EXPECT_EQ(Run({"task", "add", "--title", "x", "--blocked-by", "task-nope"}), 1);
  EXPECT_NE(err().find("blocked_by: no task task-nope"), std::string::npos) << err();

  ASSERT_EQ(Run({"tasks", "--blocked"}), 0) << err();
  EXPECT_NE(out().find("WAITING ON"), std::string::npos) << out();
  EXPECT_NE(out().find(b), std::string::npos) << out();
  EXPECT_EQ(out().find(a + "  pending"), std::string::npos) << out();  // a waits on nothing
  ASSERT_EQ(Run({"task", "show", a}), 0) << err();
  EXPECT_NE(out().find("Blocks:         " + b + " (pending, waiting)"), std::string::npos) << out();
  ASSERT_EQ(Run({"task", "show", b, "--json"}), 0) << err();
  json shown = json::parse(out());
  EXPECT_EQ(shown["blocked_by"], json::array({a}));
  EXPECT_EQ(shown["waiting_on"], json::array({a}));
  EXPECT_EQ(shown["dependencies"][0]["id"], a);
  EXPECT_EQ(shown["dependencies"][0]["status"], "pending");

  EXPECT_EQ(Run({"task", "update", a, "--blocked-by", b}), 1);
  EXPECT_NE(err().find("dependency cycle: " + a + " -> " + b + " -> " + a), std::string::npos)
      << err();
  EXPECT_EQ(Run({"task", "update", a}), 1);
  EXPECT_NE(err().find("nothing to change"), std::string::npos) << err();
  EXPECT_EQ(Run({"task", "update", a, "--blocked-by", b, "--unblock"}), 2);  // excluded

  ASSERT_EQ(Run({"cancel", a}), 0) << err();
  ASSERT_EQ(Run({"task", "show", b}), 0) << err();
  EXPECT_NE(out().find("Status:         blocked"), std::string::npos) << out();
  EXPECT_NE(out().find("dependency_failed: dependency " + a + " cancelled"), std::string::npos)
      << out();
  EXPECT_NE(out().find("--unblock"), std::string::npos) << out();
  EXPECT_EQ(Run({"execute", b}), 1);
  EXPECT_NE(err().find("waits on " + a), std::string::npos) << err();

  ASSERT_EQ(Run({"task", "update", b, "--unblock", "--priority", "high"}), 0) << err();
  EXPECT_EQ(out(), b + ": pending\n");
  ASSERT_EQ(Run({"tasks", "--blocked", "--json"}), 0) << err();
  EXPECT_EQ(json::parse(out()).size(), 0u);
  ASSERT_EQ(Run({"task", "show", b, "--json"}), 0) << err();
  EXPECT_EQ(json::parse(out())["priority"], "high");
  real_service_ = nullptr;
}

}  // namespace
}  // namespace taskexec::cli_test
