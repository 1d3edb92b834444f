// The statements that read the queue (what a dispatch runs next, which
// agents have queued work, what is not routed yet) and renew leases: the
// ones every running service repeats all the time, so each must read about
// as many index entries as it returns, however many tasks the store holds.
//
// Each reads one partial index: tasks_dispatch and tasks_agent_queue hold
// only queued tasks (pending, retrying), tasks_lease only held ones. An
// engine uses a partial index only for a statement whose terms repeat the
// index's predicate (SQLite: one of its OR terms, verbatim; PostgreSQL: a
// term it can prove it from), so each queued status is named as a literal,
// never bound at run time, and the lease statement repeats
// `lease_owner <> ''`. The status expression repeats the indexes' text for
// the same reason (SQLite matches expression indexes by it).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "store/sql/sql_db.h"

namespace taskexec::sql {

// ListRunnable: ?1 now, ?2 only tasks with an execution request (0/1),
// ?3 limit. Execution requests first, then queue order.
std::string RunnableStatement(const Dialect& dialect);

// ListRunnableFor: ?1 agent, ?2 now, ?3 limit, ?4 the types to leave out
// (a JSON array, lower case). Execution requests are ListRunnable's.
std::string RunnableForStatement(const Dialect& dialect);

// ListUnrouted: ?1 limit. Tasks that wait on others are routed once their
// dependencies are met.
std::string UnroutedStatement();

// ListQueuedAgents: the routed agents with queued tasks, one index seek per
// agent.
std::string QueuedAgentsStatement();

// RenewLeases: ?1 the new lease end, ?2 now, ?3 the holder. Returns the
// renewed tasks' ids.
std::string RenewLeasesStatement();

}  // namespace taskexec::sql
