#include "store/neo4j/cypher.h"

namespace taskexec::neo4j {

const std::vector<std::string>& TaskTimeFields() {
  static const std::vector<std::string> f = {"next_attempt_at", "lease_expires_at", "created_at",
                                             "updated_at",      "started_at",       "completed_at",
                                             "last_retry_at"};
  return f;
}

const std::vector<std::string>& ExecutionTimeFields() {
  static const std::vector<std::string> f = {"started_at", "ended_at", "last_output_at",
                                             "created_at"};
  return f;
}

namespace {

// "v.f = CASE WHEN $times.f = 0 THEN null ELSE datetime({epochMillis: $times.f}) END, ..."
// Setting null removes the property: a zero time is an absent one.
std::string TimeSets(const std::string& var, const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ",\n    ";
    out += var + "." + f + " = CASE WHEN $times." + f +
           " = 0 THEN null ELSE datetime({epochMillis: $times." + f + "}) END";
  }
  return out;
}

// Tasks written by other tools may lack a status or have an empty one.
const char* kStatus = "CASE WHEN coalesce(t.status, '') = '' THEN 'pending' ELSE t.status END";
const char* kHeld = "['assigned', 'claimed', 'in_progress']";
// The task's agent as the stats count it (TaskFilter::agent).
const char* kAgent =
    "CASE WHEN coalesce(t.claimed_by, '') <> '' THEN t.claimed_by\n"
    "         WHEN NOT coalesce(t.assigned_to, '') IN ['', 'any'] THEN t.assigned_to\n"
    "         ELSE 'unassigned' END";

std::string S(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

}  // namespace

namespace cypher {

const std::string kCreateTask =
    S({"CREATE (t:Task)\n"
       "SET t += $props,\n    ",
       TimeSets("t", TaskTimeFields()),
       "\n"
       "RETURN t"});

const std::string kGetTask = "MATCH (t:Task {id: $id}) RETURN t";

// Setting a property takes the node's exclusive write lock, held until the
// transaction ends; reads after it see the latest committed state and no
// other writer can change the node before this transaction commits (see
// docs/neo4j.md). The property is removed again in the same statement.
const std::string kLockTask =
    "MATCH (t:Task {id: $id})\n"
    "SET t._taskexec_lock = true\n"
    "REMOVE t._taskexec_lock\n"
    "RETURN t";

const std::string kSaveTask =
    S({"MATCH (t:Task {id: $id})\n"
       "WHERE coalesce(t.version, 0) = $previous_version\n"
       "SET t += $props,\n    ",
       TimeSets("t", TaskTimeFields()),
       "\n"
       "RETURN t.version AS version"});

// Dependencies: (t)-[:BLOCKED_BY]->(d) for each id in t.blocked_by, the
// reverse lookup of the tasks waiting on d.
const std::string kListDependentIds =
    "MATCH (:Task {id: $id})<-[:BLOCKED_BY]-(t:Task)\n"
    "RETURN t.id AS id\n"
    "ORDER BY id";

const std::string kListDependents =
    "MATCH (:Task {id: $id})<-[:BLOCKED_BY]-(t:Task)\n"
    "RETURN t\n"
    "ORDER BY t.created_at, t.id";

const std::string kSetDependencyEdges =
    "MATCH (t:Task {id: $id})\n"
    "OPTIONAL MATCH (t)-[old:BLOCKED_BY]->()\n"
    "DELETE old\n"
    "WITH DISTINCT t\n"
    "UNWIND $depends_on AS dep_id\n"
    "MATCH (d:Task {id: dep_id})\n"
    "MERGE (t)-[:BLOCKED_BY]->(d)\n"
    "RETURN count(d) AS n";

const std::string kFindByNotionPage =
    "MATCH (t:Task {notion_page_id: $page_id}) RETURN t ORDER BY t.created_at, t.id LIMIT 1";

const std::string kTaskExists =
    "OPTIONAL MATCH (byId:Task {id: $id})\n"
    "OPTIONAL MATCH (byPage:Task {notion_page_id: $page_id})\n"
    "RETURN byId.id AS id_taken, byPage.id AS page_owner\n"
    "LIMIT 1";

namespace {
// ListTasks' and CountTasks' WHERE clause: every filter, an empty one
// matching all. $text is lower case already (TaskFilter::text).
std::string ListWhere() {
  return S({"WHERE ($status = '' OR ", kStatus,
            " = $status)\n"
            "  AND ($agent = '' OR ",
            kAgent,
            " = $agent)\n"
            "  AND ($source = '' OR t.source = $source)\n"
            "  AND ($task_type = '' OR t.type = $task_type)\n"
            "  AND ($text = '' OR toLower(t.id) CONTAINS $text\n"
            "       OR toLower(coalesce(t.title, '')) CONTAINS $text\n"
            "       OR toLower(coalesce(t.description, '')) CONTAINS $text)\n"
            "  AND (NOT $dependencies OR size(coalesce(t.waiting_on, [])) > 0\n"
            "       OR t.error_type = 'dependency_failed')\n"});
}

std::string OrderBy(TaskSortKey sort, bool descending) {
  const std::string dir = descending ? " DESC" : "";
  const std::string tail = ", t.id" + dir;
  switch (sort) {
    case TaskSortKey::kCreated:
      return "t.created_at" + dir + tail;
    case TaskSortKey::kUpdated:
      return "t.updated_at" + dir + tail;
    case TaskSortKey::kPriority:
      return "CASE t.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'low' THEN 1 "
             "ELSE 2 END" +
             dir + ", t.created_at" + dir + tail;
    case TaskSortKey::kStatus:
      return std::string(kStatus) + dir + ", t.created_at" + dir + tail;
    case TaskSortKey::kTitle:
      return "toLower(coalesce(t.title, ''))" + dir + tail;
  }
  return "t.created_at" + dir + tail;
}
}  // namespace

std::string ListTasksStatement(TaskSortKey sort, bool descending) {
  const std::string cmp = descending ? "<" : ">";
  return S({"MATCH (t:Task)\n", ListWhere(), "  AND ($after_id = '' OR t.created_at ", cmp,
            " datetime({epochMillis: $after_created})\n"
            "       OR (t.created_at = datetime({epochMillis: $after_created}) AND t.id ",
            cmp,
            " $after_id))\n"
            "RETURN t\n"
            "ORDER BY ",
            OrderBy(sort, descending),
            "\n"
            "SKIP $skip\n"
            "LIMIT $limit"});
}

const std::string kListTasks = ListTasksStatement(TaskSortKey::kCreated, false);

const std::string kCountTasks = S({"MATCH (t:Task)\n", ListWhere(), "RETURN count(t) AS n"});

// A task with an execution request is due regardless of next_attempt_at.
const std::string kListRunnable =
    S({"MATCH (t:Task)\n"
       "WHERE ",
       kStatus,
       " IN ['pending', 'retrying']\n"
       "  AND coalesce(t.cancel_requested, false) = false\n"
       "  AND size(coalesce(t.waiting_on, [])) = 0\n"
       "  AND (coalesce(t.requested_execution_id, '') <> ''\n"
       "       OR (NOT $only_requested\n"
       "           AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= datetime({epochMillis: "
       "$now}))))\n"
       "RETURN t\n"
       "ORDER BY CASE WHEN coalesce(t.requested_execution_id, '') <> '' THEN 0 ELSE 1 END,\n"
       "         coalesce(t.priority_weight, 2) DESC, t.created_at, t.id\n"
       "LIMIT $limit"});

// One agent's runnable tasks of one queued status ($status: pending or
// retrying) in queue order: an equality seek on the (routed_agent, status,
// dispatch_key) index, whose order is the queue order, reading about $limit
// entries. The store runs it per status and merges (a CALL { UNION } would
// need Neo4j 5.23's scope clause). Execution requests are kListRunnable's.
const std::string kListRunnableFor =
    "MATCH (t:Task)\n"
    "WHERE t.routed_agent = $agent AND t.status = $status AND t.dispatch_key IS NOT NULL\n"
    "  AND size(coalesce(t.waiting_on, [])) = 0\n"
    "  AND coalesce(t.requested_execution_id, '') = ''\n"
    "  AND coalesce(t.cancel_requested, false) = false\n"
    "  AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= datetime({epochMillis: $now}))\n"
    "  AND NOT toLower(coalesce(t.type, '')) IN $skip_types\n"
    "RETURN t\n"
    "ORDER BY t.dispatch_key, t.id\n"
    "LIMIT $limit";

// Queued tasks without a route, also nodes other tools wrote (no
// routed_agent, maybe no status). Not index-backed: the engine asks at
// start, at each sweep and while a previous answer was a full batch.
const std::string kListUnrouted =
    S({"MATCH (t:Task)\n"
       "WHERE ",
       kStatus,
       " IN ['pending', 'retrying']\n"
       "  AND coalesce(t.routed_agent, '') = ''\n"
       "  AND size(coalesce(t.waiting_on, [])) = 0\n"
       "RETURN t\n"
       "ORDER BY coalesce(t.priority_weight, 2) DESC, t.created_at, t.id\n"
       "LIMIT $limit"});

// Routes, each applied only at the version it was computed from and only to
// a task still without one (locked first, like every write). No version
// bump: a route is derived data. A node
// another tool wrote without a status gets the 'pending' every reader takes
// it for, so it enters the index.
const std::string kSetRoutes =
    "UNWIND $routes AS r\n"
    "MATCH (t:Task {id: r.id})\n"
    "SET t._taskexec_lock = true\n"
    "REMOVE t._taskexec_lock\n"
    "WITH t, r\n"
    "WHERE coalesce(t.version, 0) = r.version AND coalesce(t.routed_agent, '') = ''\n"
    "SET t.routed_agent = r.agent,\n"
    "    t.dispatch_key = CASE WHEN size(coalesce(t.waiting_on, [])) = 0 THEN r.dispatch_key END,\n"
    "    t.status = CASE WHEN coalesce(t.status, '') = '' THEN 'pending' ELSE t.status END\n"
    "RETURN count(t) AS n";

// One batch of ClearRoutes (the store repeats it until a short batch).
const std::string kClearRoutes =
    "MATCH (t:Task)\n"
    "WHERE coalesce(t.routed_agent, '') <> ''\n"
    "WITH t LIMIT $batch\n"
    "SET t.routed_agent = ''\n"
    "RETURN count(t) AS n";

const std::string kListQueuedAgents =
    "MATCH (t:Task)\n"
    "WHERE t.routed_agent > '' AND t.status IN ['pending', 'retrying']\n"
    "RETURN DISTINCT t.routed_agent AS agent\n"
    "ORDER BY agent";

// The claim: one statement. The first SET takes the task's write lock, so
// the WHERE below reads the latest committed version and no concurrent
// claimer can commit in between; the loser of a race blocks on the lock,
// then sees the winner's version and matches nothing (docs/neo4j.md).
const std::string kClaim =
    S({"MATCH (t:Task {id: $task_id})\n"
       "SET t._taskexec_lock = true\n"
       "REMOVE t._taskexec_lock\n"
       "WITH t\n"
       "WHERE coalesce(t.version, 0) = $expected_version\n"
       "  AND ",
       kStatus,
       " IN ['pending', 'retrying']\n"
       "  AND coalesce(t.cancel_requested, false) = false\n"
       "  AND size(coalesce(t.waiting_on, [])) = 0\n"
       "  AND CASE WHEN coalesce(t.requested_execution_id, '') <> ''\n"
       "        THEN $manual AND t.requested_execution_id = $execution_id\n"
       "        ELSE NOT $manual AND (t.next_attempt_at IS NULL\n"
       "                              OR t.next_attempt_at <= datetime({epochMillis: $now})) END\n"
       "SET t.status = 'in_progress',\n"
       "    t.started_at = datetime({epochMillis: $now}),\n"
       "    t.claimed_by = $agent,\n"
       "    t.lease_owner = $executor_id,\n"
       "    t.lease_expires_at = datetime({epochMillis: $lease_expires_at}),\n"
       "    t.requested_execution_id = null,\n"
       "    t.requested_agent = null,\n"
       "    t.requested_force = null,\n"
       "    t.attempts = coalesce(t.attempts, 0) + 1,\n"
       "    t.version = coalesce(t.version, 0) + 1,\n"
       "    t.updated_at = datetime({epochMillis: $now})\n"
       "CREATE (t)-[:HAS_EXECUTION]->(s:SessionExecution {\n"
       "    id: $execution_id, task_id: t.id, agent: $agent,\n"
       "    attempt: coalesce(t.retry_count, 0) + 1, status: 'active',\n"
       "    session_label: $session_label, resumed_session_id: $resumed_session_id,\n"
       "    executor_id: $executor_id, pid: 0,\n"
       "    started_at: datetime({epochMillis: $now}), created_at: datetime({epochMillis: $now}),\n"
       "    log_path: $log_path, manual: $manual})\n"
       "RETURN t, s"});

// Locks each candidate, then re-checks it still belongs to the executor.
const std::string kRenewLeases =
    S({"MATCH (t:Task {lease_owner: $executor_id})\n"
       "SET t._taskexec_lock = true\n"
       "REMOVE t._taskexec_lock\n"
       "WITH t\n"
       "WHERE t.lease_owner = $executor_id AND t.status IN ",
       kHeld,
       "\n"
       "SET t.lease_expires_at = datetime({epochMillis: $lease_expires_at}),\n"
       "    t.updated_at = datetime({epochMillis: $now}),\n"
       "    t.version = coalesce(t.version, 0) + 1\n"
       "RETURN t.id AS id\n"
       "ORDER BY t.created_at, t.id"});

const std::string kListExpiredLeases =
    S({"MATCH (t:Task)\n"
       "WHERE t.status IN ",
       kHeld,
       "\n"
       "  AND (t.lease_expires_at IS NULL OR t.lease_expires_at < datetime({epochMillis: $now}))\n"
       "RETURN t\n"
       "ORDER BY t.lease_expires_at, t.id"});

const std::string kListCancelRequests =
    S({"MATCH (t:Task {lease_owner: $executor_id})\n"
       "WHERE t.cancel_requested = true AND t.status IN ",
       kHeld,
       "\n"
       "RETURN t.id AS id\n"
       "ORDER BY t.created_at, t.id"});

const std::string kGetExecution = "MATCH (s:SessionExecution {id: $id}) RETURN s";

const std::string kListExecutions =
    "MATCH (s:SessionExecution {task_id: $task_id})\n"
    "RETURN s\n"
    "ORDER BY s.attempt, s.started_at, s.id";

const std::string kListActiveExecutionsOfTask =
    "MATCH (s:SessionExecution {task_id: $task_id})\n"
    "WHERE coalesce(s.status, '') IN ['active', '']\n"
    "RETURN s\n"
    "ORDER BY s.attempt, s.started_at, s.id";

const std::string kListActiveExecutions =
    "MATCH (s:SessionExecution)\n"
    "WHERE coalesce(s.status, '') IN ['active', '']\n"
    "RETURN s\n"
    "ORDER BY s.started_at, s.id";

// Only moves a running attempt's time forward: a late or repeated write
// cannot undo a newer one.
const std::string kRecordOutputTimes =
    "UNWIND $outputs AS m\n"
    "MATCH (s:SessionExecution {id: m.execution_id})\n"
    "WHERE s.executor_id = $executor_id AND coalesce(s.status, '') IN ['active', '']\n"
    "  AND (s.last_output_at IS NULL OR s.last_output_at < datetime({epochMillis: m.at}))\n"
    "SET s.last_output_at = datetime({epochMillis: m.at}),\n"
    "    s.last_output_line = CASE WHEN m.line = '' THEN s.last_output_line ELSE m.line END\n"
    "RETURN count(s) AS n";

const std::string kSaveExecution =
    S({"MATCH (s:SessionExecution {id: $id})\n"
       "SET s += $props,\n    ",
       TimeSets("s", ExecutionTimeFields()),
       "\n"
       "RETURN s.id AS id"});

const std::string kCreateArtifact =
    "MATCH (t:Task {id: $task_id})\n"
    "CREATE (t)-[:PRODUCED]->(a:Artifact)\n"
    "SET a += $props, a.created_at = datetime({epochMillis: $created_at})\n"
    "RETURN a.id AS id";

const std::string kListArtifacts =
    "MATCH (a:Artifact {task_id: $task_id})\n"
    "RETURN a\n"
    "ORDER BY a.created_at, a.id";

const std::string kStatsByStatus =
    S({"MATCH (t:Task)\n"
       "RETURN ",
       kStatus, " AS status, count(*) AS n"});

const std::string kStatsByAgent =
    S({"MATCH (t:Task)\n"
       "RETURN ",
       kAgent, " AS agent,\n       count(*) AS n"});

// Served by the index on completed_at; tasks without one are never listed.
const std::string kListFinishedBefore =
    S({"MATCH (t:Task)\n"
       "WHERE t.completed_at < datetime({epochMillis: $cutoff})\n"
       "  AND (t.completed_at > datetime({epochMillis: $after_completed})\n"
       "       OR (t.completed_at = datetime({epochMillis: $after_completed}) AND t.id > "
       "$after_id))\n"
       "  AND ",
       kStatus,
       " IN ['completed', 'failed', 'cancelled']\n"
       "RETURN t\n"
       "ORDER BY t.completed_at, t.id\n"
       "LIMIT $limit"});

// Each row: {id, version, meta_keys}. A task changed since it was read, or
// no longer finished, is kept.
const std::string kDeleteTasks =
    S({"UNWIND $rows AS row\n"
       "MATCH (t:Task {id: row.id})\n"
       "WHERE coalesce(t.version, 0) = row.version\n"
       "  AND ",
       kStatus,
       " IN ['completed', 'failed', 'cancelled']\n"
       "OPTIONAL MATCH (s:SessionExecution {task_id: row.id})\n"
       "WITH t, row, collect(s) AS executions\n"
       "OPTIONAL MATCH (a:Artifact {task_id: row.id})\n"
       "WITH t, row, executions, collect(a) AS artifacts\n"
       "OPTIONAL MATCH (m:TaskexecMeta)\n"
       "WHERE m.key IN row.meta_keys\n"
       "WITH t, row, executions, artifacts, collect(m) AS metas\n"
       "FOREACH (n IN executions + artifacts + metas | DETACH DELETE n)\n"
       "DETACH DELETE t\n"
       "RETURN row.id AS id"});

const std::string kStatsActive =
    "MATCH (s:SessionExecution)\n"
    "WHERE coalesce(s.status, '') IN ['active', '']\n"
    "RETURN count(s) AS n";

// Served by the index on ended_at; attempts that priced nothing add nothing.
const std::string kCostByAgentSince =
    "MATCH (s:SessionExecution)\n"
    "WHERE s.ended_at >= datetime({epochMillis: $since}) AND s.cost_usd IS NOT NULL\n"
    "RETURN coalesce(s.agent, '') AS agent, sum(s.cost_usd) AS cost";

const std::string kGetMeta = "MATCH (m:TaskexecMeta {key: $key}) RETURN m.value AS value";

const std::string kListChanged =
    "MATCH (t:Task)\n"
    "WHERE t.updated_at > datetime({epochMillis: $after_updated})\n"
    "   OR (t.updated_at = datetime({epochMillis: $after_updated}) AND t.id > $after_id)\n"
    "RETURN t\n"
    "ORDER BY t.updated_at, t.id\n"
    "LIMIT $limit";

const std::string kSetMeta = "MERGE (m:TaskexecMeta {key: $key}) SET m.value = $value";

// Setting a property takes the node's write lock until the transaction ends.
const std::string kLockMeta =
    "MERGE (m:TaskexecMeta {key: $key}) SET m.locked = true RETURN m.value AS value";

const std::string kWriteLockedMeta =
    "MATCH (m:TaskexecMeta {key: $key}) SET m.value = $value REMOVE m.locked";

}  // namespace cypher

const std::vector<NamedStatement>& SchemaStatements() {
  static const std::vector<NamedStatement> s = {
      {"constraint_task_id",
       "CREATE CONSTRAINT taskexec_task_id IF NOT EXISTS FOR (t:Task) REQUIRE t.id IS UNIQUE"},
      {"constraint_task_notion_page",
       "CREATE CONSTRAINT taskexec_task_notion_page IF NOT EXISTS "
       "FOR (t:Task) REQUIRE t.notion_page_id IS UNIQUE"},
      {"constraint_session_execution_id",
       "CREATE CONSTRAINT session_execution_id IF NOT EXISTS "
       "FOR (s:SessionExecution) REQUIRE s.id IS UNIQUE"},
      {"constraint_artifact_id",
       "CREATE CONSTRAINT artifact_id IF NOT EXISTS FOR (a:Artifact) REQUIRE a.id IS UNIQUE"},
      {"constraint_meta_key",
       "CREATE CONSTRAINT taskexec_meta_key IF NOT EXISTS "
       "FOR (m:TaskexecMeta) REQUIRE m.key IS UNIQUE"},
      {"index_task_status_assigned_to",
       "CREATE INDEX task_status_assigned_to IF NOT EXISTS FOR (t:Task) ON (t.status, "
       "t.assigned_to)"},
      {"index_session_execution_task_id",
       "CREATE INDEX session_execution_task_id IF NOT EXISTS "
       "FOR (s:SessionExecution) ON (s.task_id)"},
      {"index_task_lease_owner",
       "CREATE INDEX taskexec_task_lease_owner IF NOT EXISTS FOR (t:Task) ON (t.lease_owner)"},
      {"index_task_agent_queue",
       "CREATE INDEX taskexec_task_agent_queue IF NOT EXISTS FOR (t:Task) "
       "ON (t.routed_agent, t.status, t.dispatch_key)"},
      {"index_task_updated_at",
       "CREATE INDEX taskexec_task_updated_at IF NOT EXISTS FOR (t:Task) ON (t.updated_at)"},
      {"index_task_completed_at",
       "CREATE INDEX taskexec_task_completed_at IF NOT EXISTS FOR (t:Task) ON (t.completed_at)"},
      {"index_session_execution_ended_at",
       "CREATE INDEX session_execution_ended_at IF NOT EXISTS "
       "FOR (s:SessionExecution) ON (s.ended_at)"},
      {"index_artifact_task_id",
       "CREATE INDEX taskexec_artifact_task_id IF NOT EXISTS FOR (a:Artifact) ON (a.task_id)"},
  };
  return s;
}

const std::vector<NamedStatement>& AllStatements() {
  static const std::vector<NamedStatement> all = [] {
    using namespace cypher;
    std::vector<NamedStatement> v = {
        {"create_task", kCreateTask},
        {"get_task", kGetTask},
        {"lock_task", kLockTask},
        {"save_task", kSaveTask},
        {"list_dependent_ids", kListDependentIds},
        {"list_dependents", kListDependents},
        {"set_dependency_edges", kSetDependencyEdges},
        {"find_by_notion_page", kFindByNotionPage},
        {"task_exists", kTaskExists},
        {"count_tasks", kCountTasks},
        {"list_changed", kListChanged},
        {"list_runnable", kListRunnable},
        {"list_runnable_for", kListRunnableFor},
        {"list_unrouted", kListUnrouted},
        {"set_routes", kSetRoutes},
        {"clear_routes", kClearRoutes},
        {"list_queued_agents", kListQueuedAgents},
        {"claim", kClaim},
        {"renew_leases", kRenewLeases},
        {"list_expired_leases", kListExpiredLeases},
        {"list_cancel_requests", kListCancelRequests},
        {"get_execution", kGetExecution},
        {"list_executions", kListExecutions},
        {"list_active_executions_of_task", kListActiveExecutionsOfTask},
        {"list_active_executions", kListActiveExecutions},
        {"save_execution", kSaveExecution},
        {"record_output_times", kRecordOutputTimes},
        {"create_artifact", kCreateArtifact},
        {"list_artifacts", kListArtifacts},
        {"stats_by_status", kStatsByStatus},
        {"stats_by_agent", kStatsByAgent},
        {"stats_active", kStatsActive},
        {"list_finished_before", kListFinishedBefore},
        {"delete_tasks", kDeleteTasks},
        {"cost_by_agent_since", kCostByAgentSince},
        {"get_meta", kGetMeta},
        {"set_meta", kSetMeta},
        {"lock_meta", kLockMeta},
        {"write_locked_meta", kWriteLockedMeta},
    };
    // Every order ListTasks can send (the names live as long as the program).
    static const std::vector<std::string> list_names = [] {
      std::vector<std::string> names;
      for (TaskSortKey key : AllTaskSortKeys()) {
        for (const char* suffix : {"", "_desc"})
          names.push_back("list_tasks_" + std::string(ToString(key)) + suffix);
      }
      return names;
    }();
    // Every order ListTasks can send, named as above (the names outlive v).
    for (size_t i = 0; i < list_names.size(); ++i) {
      const TaskSortKey key = AllTaskSortKeys()[i / 2];
      v.push_back({list_names[i].c_str(), ListTasksStatement(key, i % 2 == 1)});
    }
    for (const auto& s : SchemaStatements()) v.push_back(s);
    return v;
  }();
  return all;
}

}  // namespace taskexec::neo4j
