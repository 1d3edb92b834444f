// Helpers shared by the Neo4j store's reads and writes: run a statement in
// a transaction and turn its records into domain records.
//
// Thread-safety: functions over a caller-owned transaction.
#pragma once

#include <string>
#include <vector>

#include "bolt/driver.h"
#include "core/domain.h"
#include "core/status.h"

namespace taskexec::neo4j {

// Runs `query` and checks that every record has at least `min_columns`
// values (Corruption otherwise: the server answered something unexpected).
Status RunQuery(bolt::Transaction& tx, const std::string& query, const bolt::Map& params,
                size_t min_columns, bolt::QueryResult* out);

// The first column of every record as tasks / executions / artifacts.
Status QueryTasks(bolt::Transaction& tx, const std::string& query, const bolt::Map& params,
                  std::vector<Task>* out);
Status QueryExecutions(bolt::Transaction& tx, const std::string& query, const bolt::Map& params,
                       std::vector<SessionExecution>* out);
Status QueryArtifacts(bolt::Transaction& tx, const std::string& query, const bolt::Map& params,
                      std::vector<Artifact>* out);
// The first column of every record as strings.
Status QueryStrings(bolt::Transaction& tx, const std::string& query, const bolt::Map& params,
                    std::vector<std::string>* out);

// Loads a task, NotFound when absent. With `lock`, takes the node's write
// lock first (cypher::kLockTask), so the state read stays current until the
// transaction ends.
Status LoadTask(bolt::Transaction& tx, const std::string& id, bool lock, Task* out);
Status LoadExecution(bolt::Transaction& tx, const std::string& id, SessionExecution* out);

// Writes every field of `t`, bumping its version and updated_at; Conflict if
// the stored version moved (it cannot while the task is locked).
Status SaveTask(bolt::Transaction& tx, Task* t, TimeMs now);
Status SaveExecution(bolt::Transaction& tx, const SessionExecution& e);

// LIMIT value for "no limit".
constexpr int64_t kNoLimit = int64_t{1} << 53;

}  // namespace taskexec::neo4j
