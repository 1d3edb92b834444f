// The domain records: Task, SessionExecution (one per attempt) and Artifact.
// Field names are the Neo4j properties the shared graph already uses (see
// docs/neo4j.md) so existing queries keep working; JSON output uses the
// same names.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/budget.h"
#include "core/clock.h"
#include "core/error_type.h"
#include "core/priority.h"
#include "core/task_status.h"
#include "core/usage.h"

namespace taskexec {

struct Task {
  std::string id;
  std::string title;
  std::string description;
  std::string type;  // free text ("research", "notion_task", ...)
  Priority priority = Priority::kNormal;
  std::string assigned_to;  // explicit agent, empty or "any" = route
  TaskStatus status = TaskStatus::kPending;
  std::string source = "cli";  // cli | api | notion | store (added by another tool)
  std::string notion_page_id;
  std::string notion_url;
  std::string context_json;    // extra context passed to the agent ("{}" when none)
  int retry_count = 0;         // retries already scheduled (0 on the first attempt)
  int max_retries = -1;        // -1 = use the configured default
  TimeMs next_attempt_at = 0;  // not claimable before this (0 = now)
  std::string claimed_by;      // the agent running it
  std::string lease_owner;     // executor instance holding the task
  TimeMs lease_expires_at = 0;
  bool cancel_requested = false;  // set by CLI/API/Notion, carried out by the lease owner
  // A manual execution request (`execute`): the attempt id handed to the
  // caller and an optional agent override. Claimed even with auto_assign off.
  std::string requested_execution_id;
  std::string requested_agent;
  // The request is `execute --force`: its attempt starts even when the
  // task's budget is spent (the limits still stop its retries).
  bool requested_force = false;
  // The agent the router picks for the current type/description/title and
  // assignment, recorded when the task is added (or by the engine for tasks
  // written without one); empty = not routed yet. Edits of those fields clear
  // it. The dispatcher lists queued tasks per routed agent (TaskStore::
  // ListRunnableFor), so one agent's backlog costs the others nothing.
  std::string routed_agent;
  ErrorType error_type = ErrorType::kNone;
  std::string error_message;
  std::string output_summary;
  AgentUsage usage;  // the sum over the task's finished attempts
  // What the task may spend (0 = the budget.* setting's limit) and what it
  // has spent besides `usage`: attempts started (never reset, unlike
  // retry_count) and the summed run time of its finished attempts.
  TaskLimits limits;
  int attempts = 0;
  int64_t run_ms = 0;
  // The agent session the task's latest attempt reported (empty = none):
  // what a resumed attempt continues (agent.resume).
  std::string session_id;
  // The latest question an attempt asked (TASK_NEEDS_INPUT) and a person's
  // answer (empty until replied). Both go into the prompts of the attempts
  // after the reply; a new question replaces them, a final outcome clears
  // them.
  std::string question;
  std::string reply;
  // The tasks this one depends on (its own list, as set by a person or the
  // board), and those of them not completed yet. A task runs only while
  // waiting_on is empty; a dependency that ends failed or cancelled moves a
  // queued task to blocked (error_type dependency_failed) until it is
  // re-run or dropped. The store keeps waiting_on (store/dependency_rules.h).
  std::vector<std::string> blocked_by;
  std::vector<std::string> waiting_on;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  TimeMs started_at = 0;
  TimeMs completed_at = 0;
  TimeMs last_retry_at = 0;
  int64_t version = 0;  // bumped on every write; optimistic concurrency
};

struct SessionExecution {
  std::string id;  // the attempt id
  std::string task_id;
  std::string agent;
  int attempt = 1;  // 1-based
  ExecutionStatus status = ExecutionStatus::kActive;
  std::string session_label;  // e.g. task-<id>
  std::string session_id;     // reported by the agent, if any
  // The earlier session this attempt continued (agent.resume_args); empty
  // for a fresh session.
  std::string resumed_session_id;
  int64_t pid = 0;
  std::string executor_id;  // the executor instance that ran it
  TimeMs started_at = 0;
  TimeMs ended_at = 0;
  // When the agent last wrote to stdout or stderr (0 = not yet): kept while
  // the attempt runs (every lease renewal) and at its end, so a silent agent
  // shows before agent.stall_seconds stops it.
  TimeMs last_output_at = 0;
  // The last line of that output worth showing a person (markers, terminal
  // codes and JSON stripped, at most 500 characters; runner/progress_line.h),
  // kept with last_output_at. Empty = none yet.
  std::string last_output_line;
  std::optional<int> exit_code;
  std::optional<int> term_signal;
  ErrorType error_type = ErrorType::kNone;
  std::string error;
  std::string summary;
  std::string log_path;
  bool manual = false;  // started by `execute` rather than the dispatcher
  AgentUsage usage;     // as the agent reported it when the attempt ended
};

struct Artifact {
  std::string id;
  std::string task_id;
  std::string execution_id;
  std::string name;  // file name, or the path as the agent listed it
  std::string path;  // absolute path on the executor's machine
  std::string type = "file";
  int64_t size = 0;
  std::string sha256;  // lower-case hex
  TimeMs created_at = 0;
};

// What a caller supplies to create a task.
struct NewTask {
  std::string id;  // optional; generated when empty
  std::string title;
  std::string description;
  std::string type;
  Priority priority = Priority::kNormal;
  std::string assigned_to;
  std::string source = "cli";
  std::string notion_page_id;
  std::string notion_url;
  std::string context_json = "{}";
  int max_retries = -1;
  TaskStatus status = TaskStatus::kPending;  // Notion may create held tasks
  std::string routed_agent;                  // see Task::routed_agent; empty = not routed
  TaskLimits limits;                         // the task's own limits (0 = the setting's)
  std::vector<std::string> blocked_by;       // existing tasks it waits for (Task::blocked_by)
};

// A service running on the store, as its heartbeat tells
// (engine/executor_registry.h).
struct ExecutorRecord {
  std::string executor_id;
  std::string host;
  int64_t pid = 0;
  TimeMs started_at = 0;
  TimeMs heartbeat_at = 0;
  int64_t lease_ms = 0;  // its executor.lease_seconds: how long a silence may last
  std::string version;   // taskexec's
  // Why it takes no new work (a full disk, an unwritable log dir), or empty.
  std::string refusing_work;
  // Ended attempts whose outcomes it keeps until the store takes them.
  int64_t kept_outcomes = 0;
};

}  // namespace taskexec
