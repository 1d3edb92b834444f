// The CLI's manners and the commands scripts lean on: --version, unknown
// commands named, plain range errors, read-only commands that never create
// a store, `task wait` and `logs --task` / `logs -f` exit codes.
#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace taskexec::cli_test {
namespace {

TEST_F(CliTest, VersionAndUnknownCommandsNamed) {
  ASSERT_EQ(Run({"--version"}), 0);
  EXPECT_EQ(out(), std::string("taskexec ") + TASKEXEC_VERSION + "\n");

  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_NE(err().find("unknown command \"frobnicate\" for \"taskexec\"; commands: agent, "
                       "agents, cancel, config,"),
            std::string::npos)
      << err();
  EXPECT_EQ(Run({"--db", "x.db", "task", "frob", "--json"}), 2);
  EXPECT_NE(err().find("unknown command \"frob\" for \"taskexec task\"; commands: add, import, "
                       "reply, show, update, wait"),
            std::string::npos)
      << err();
  // A known command with a missing subcommand keeps CLI11's message.
  EXPECT_EQ(Run({"task"}), 2);
  EXPECT_EQ(err().find("unknown command"), std::string::npos) << err();
  EXPECT_EQ(loads_, 0);
}

TEST_F(CliTest, ANegativeLimitIsRefusedPlainly) {
  EXPECT_EQ(Run({"tasks", "--limit", "-1"}), 2);
  EXPECT_NE(err().find("--limit: must be 0 or more, got -1"), std::string::npos) << err();
  EXPECT_LT(err().size(), 200u) << err();
  EXPECT_EQ(loads_, 0);
}

// Commands that only read open the store as kReadExisting (the real factory
// then refuses a missing SQLite file instead of creating it); the others
// may create it.
TEST_F(CliTest, ReadOnlyCommandsNeverCreateAStore) {
  const std::string id = AddTask("t");
  for (std::vector<std::string> args : {std::vector<std::string>{"tasks"},
                                        {"task", "show", id},
                                        {"status"},
                                        {"agents"},
                                        {"workspace", "list"},
                                        {"task", "wait", id, "--timeout", "1"}}) {
    opened_use_ = StoreUse::kWrite;
    Run(args);
    EXPECT_EQ(opened_use_, StoreUse::kReadExisting) << args[0];
  }
  ASSERT_EQ(Run({"task", "add", "--title", "new"}), 0) << err();
  EXPECT_EQ(opened_use_, StoreUse::kWrite);
}

TEST_F(CliTest, TaskWaitExitsWithTheOutcome) {
  const std::string a = AddTask("a");
  const std::string b = AddTask("b");
  svc_.tasks[a].status = TaskStatus::kInProgress;
  svc_.tasks[b].status = TaskStatus::kNeedsInput;
  svc_.tasks[b].question = "Which colour?";
  int step = 0;
  on_sleep_ = [&] {
    if (++step == 2) {
      svc_.tasks[a].status = TaskStatus::kCompleted;
      svc_.tasks[a].output_summary = "done a";
    }
    if (step == 3) svc_.tasks[b].status = TaskStatus::kCompleted;
  };
  ASSERT_EQ(Run({"task", "wait", a, b}), 0) << err();
  EXPECT_EQ(out(), a + " completed: done a\n" + b + " completed\n");
  EXPECT_EQ(sleeps_, 3);
  // The question is said once, however long the wait.
  EXPECT_EQ(err(), "taskexec: " + b + " waits for an answer: Which colour? (taskexec task reply " +
                       b + " --message ...)\n");

  // Any task ending otherwise: 1, after all ended.
  svc_.tasks[b].status = TaskStatus::kFailed;
  svc_.tasks[b].error_type = ErrorType::kTimeoutError;
  svc_.tasks[b].error_message = "timeout after 600 s";
  on_sleep_ = nullptr;
  EXPECT_EQ(Run({"task", "wait", a, b}), 1);
  EXPECT_NE(out().find(b + " failed (timeout_error): timeout after 600 s\n"), std::string::npos)
      << out();
  // A blocked task waits for a person, not the engine: it ends the wait.
  svc_.tasks[b].status = TaskStatus::kBlocked;
  EXPECT_EQ(Run({"task", "wait", b, "--json"}), 1);
  EXPECT_EQ(json::parse(out())[0]["status"], "blocked");

  // The timeout: 124, naming what is still open.
  svc_.tasks[b].status = TaskStatus::kPending;
  sleeps_ = 0;
  EXPECT_EQ(Run({"task", "wait", a, b, "--timeout", "1"}), 124);
  EXPECT_EQ(sleeps_, 2);  // 2 polls of 500 ms
  EXPECT_NE(err().find("timed out after 1 s waiting for " + b), std::string::npos) << err();

  EXPECT_EQ(Run({"task", "wait", "task-nope"}), 1);
  EXPECT_NE(err().find("task-nope"), std::string::npos) << err();
  EXPECT_EQ(Run({"task", "wait"}), 2);
  EXPECT_EQ(Run({"task", "wait", a, "--timeout", "-5"}), 2);
}

TEST_F(CliTest, LogsOfATasksLatestAttemptAndFollowExitsWithItsOutcome) {
  const std::string id = AddTask("t");
  const std::string first_log = TempPath("first.log");
  const std::string second_log = TempPath("second.log");
  std::ofstream(first_log) << "first attempt\n";
  std::ofstream(second_log) << "second attempt\n";
  SessionExecution e;
  e.task_id = id;
  e.id = "exec-1";
  e.log_path = first_log;
  e.status = ExecutionStatus::kFailed;
  svc_.executions[e.id] = e;
  e.id = "exec-2";
  e.log_path = second_log;
  e.error_type = ErrorType::kExecutionError;
  e.error = "tests do not pass";
  svc_.executions[e.id] = e;

  ASSERT_EQ(Run({"logs", "--task", id}), 0) << err();
  EXPECT_EQ(out(), "second attempt\n");
  // Following an attempt that failed: its log, then 1 and why.
  EXPECT_EQ(Run({"logs", "--task", id, "-f"}), 1);
  EXPECT_EQ(out(), "second attempt\n");
  EXPECT_EQ(err(), "taskexec: attempt exec-2 ended failed (execution_error): tests do not pass\n");
  EXPECT_EQ(Run({"logs", "exec-1", "-f"}), 1);

  EXPECT_EQ(Run({"logs"}), 1);
  EXPECT_NE(err().find("give an attempt id or --task ID"), std::string::npos) << err();
  EXPECT_EQ(Run({"logs", "exec-1", "--task", id}), 2);
  const std::string fresh = AddTask("never ran");
  EXPECT_EQ(Run({"logs", "--task", fresh}), 1);
  EXPECT_NE(err().find("has no attempt yet"), std::string::npos) << err();
  std::filesystem::remove(first_log);
  std::filesystem::remove(second_log);
}

// Queued work with no service on the store: said, not silently dropped; the
// services `status` lists come from the store's heartbeats.
TEST_F(CliTest, QueueingWithoutAServiceWarnsAndStatusListsTheServices) {
  ASSERT_EQ(Run({"status"}), 0) << err();
  EXPECT_NE(out().find("Services:           1 running on this store"), std::string::npos) << out();
  EXPECT_NE(out().find("exec-host-1  host  4242"), std::string::npos) << out();
  EXPECT_EQ(out().find("takes no new work"), std::string::npos) << out();
  ASSERT_EQ(Run({"task", "add", "--title", "t"}), 0) << err();
  EXPECT_EQ(err(), "");

  // A service whose heartbeat says it cannot write.
  svc_.status.executors[0].refusing_work = "cannot start an attempt: agent.log_dir: cannot write";
  svc_.status.executors[0].kept_outcomes = 2;
  ASSERT_EQ(Run({"status"}), 0) << err();
  EXPECT_NE(out().find("  exec-host-1 takes no new work: cannot start an attempt: agent.log_dir: "
                       "cannot write\n"),
            std::string::npos)
      << out();
  EXPECT_NE(out().find("  exec-host-1 keeps 2 ended attempt(s) whose outcome the store has not "
                       "taken yet\n"),
            std::string::npos)
      << out();

  svc_.status.executors.clear();
  ASSERT_EQ(Run({"status"}), 0) << err();
  EXPECT_NE(out().find("none running on this store (taskexec serve starts one)"), std::string::npos)
      << out();
  ASSERT_EQ(Run({"task", "add", "--title", "t"}), 0) << err();
  EXPECT_EQ(out(), "task-2\n");  // the id alone, still, for scripts
  EXPECT_NE(err().find("taskexec: warning: no service runs on this store"), std::string::npos)
      << err();
  ASSERT_EQ(Run({"execute", "task-2"}), 0) << err();
  EXPECT_NE(err().find("no service runs on this store"), std::string::npos) << err();
}

}  // namespace
}  // namespace taskexec::cli_test
