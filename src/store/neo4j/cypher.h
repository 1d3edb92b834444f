// Every Cypher statement the Neo4j store sends, in one place, so a test can
// check each with Neo4j's own parser and semantic analysis (tests/node) and
// the stub tests can match them exactly.
//
// Data model (shared with the other tools on the graph, see docs/neo4j.md):
//   (:Task {id, title, status, claimed_by, retry_count, error_message, ...})
//     plus taskexec's dispatch fields: routed_agent ('' = not routed yet) and
//     dispatch_key (queue order as one ascending integer, see mapping.h), so
//     the index on (routed_agent, status, dispatch_key) can serve a
//     per-agent listing in queue order
//   (:Task)-[:BLOCKED_BY]->(:Task) for each id in the first's blocked_by
//     (a list property, with waiting_on: those not completed yet); a
//     waiting task has no dispatch_key, so it is not in the queue index
//   (:Task)-[:HAS_EXECUTION]->(:SessionExecution {id, task_id, status, ...})
//   (:Task)-[:PRODUCED]->(:Artifact {id, task_id, execution_id, path, ...})
//   (:TaskexecMeta {key, value})
// Times are Neo4j DATETIME values, so existing monitoring queries that
// compare them with datetime() keep working; zero times are absent
// properties. Empty optional strings are absent properties too.
//
// Thread-safety: constants.
#pragma once

#include <string>
#include <vector>

#include "store/task_store.h"

namespace taskexec::neo4j {

struct NamedStatement {
  const char* name;
  std::string text;
};

namespace cypher {
// ListTasks' statement for one order (kListTasks is created, ascending).
std::string ListTasksStatement(TaskSortKey sort, bool descending);
extern const std::string kCreateTask;
extern const std::string kGetTask;
extern const std::string kLockTask;
extern const std::string kSaveTask;
extern const std::string kListDependentIds;    // $id
extern const std::string kListDependents;      // $id
extern const std::string kSetDependencyEdges;  // $id, $depends_on
extern const std::string kFindByNotionPage;
extern const std::string kTaskExists;
// $status $agent $source $task_type $text $dependencies $after_id
// $after_created $skip $limit, in the default order (created, ascending).
extern const std::string kListTasks;
extern const std::string kCountTasks;   // ListTasks' filters, without the page
extern const std::string kListChanged;  // $after_updated, $after_id, $limit
extern const std::string kListRunnable;
extern const std::string kListRunnableFor;
extern const std::string kListUnrouted;
extern const std::string kSetRoutes;
extern const std::string kClearRoutes;
extern const std::string kListQueuedAgents;
extern const std::string kClaim;
extern const std::string kRenewLeases;
extern const std::string kListExpiredLeases;
extern const std::string kListCancelRequests;
extern const std::string kGetExecution;
extern const std::string kListExecutions;
extern const std::string kListActiveExecutionsOfTask;
extern const std::string kListActiveExecutions;
extern const std::string kRecordOutputTimes;
extern const std::string kSaveExecution;
extern const std::string kCreateArtifact;
extern const std::string kListArtifacts;
extern const std::string kStatsByStatus;
extern const std::string kStatsByAgent;
extern const std::string kStatsActive;
extern const std::string kListFinishedBefore;
extern const std::string kDeleteTasks;
extern const std::string kCostByAgentSince;
extern const std::string kGetMeta;
extern const std::string kSetMeta;
// UpdateMeta: the first takes the meta node's write lock (creating it) and
// reads the value; the second writes the new value and drops the lock
// marker, in the same transaction.
extern const std::string kLockMeta;
extern const std::string kWriteLockedMeta;
}  // namespace cypher

// The schema statements (constraints and indexes), idempotent.
const std::vector<NamedStatement>& SchemaStatements();
// Every data statement above plus the schema statements.
const std::vector<NamedStatement>& AllStatements();

// The names of the Task/SessionExecution/Artifact properties that hold
// times (DATETIME values).
const std::vector<std::string>& TaskTimeFields();
const std::vector<std::string>& ExecutionTimeFields();

}  // namespace taskexec::neo4j
