// Neo4jStore: the TaskStore backend on Neo4j, over taskexec's own Bolt
// client (bolt/driver.h). Model, property names and locking: docs/neo4j.md;
// every statement: store/neo4j/cypher.h.
//
// Each TaskStore method is one managed transaction (retried on transient
// errors and lost connections by the driver). Writes other than Claim lock
// the task node first (cypher::kLockTask), then check and write inside the
// same transaction, so each is atomic against every other writer; Claim is a
// single conditional statement (cypher::kClaim).
//
// Thread-safety: safe from any thread (the driver is; the store holds no
// other mutable state).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bolt/driver.h"
#include "config/config.h"
#include "store/task_store.h"

namespace taskexec {

struct Neo4jStoreOptions {
  bolt::DriverConfig driver;
  bool apply_schema = true;  // apply constraints and indexes on open
};

// Driver settings from the [neo4j] config section (NEO4J_URI, NEO4J_USER,
// NEO4J_PASSWORD, NEO4J_DATABASE).
bolt::DriverConfig DriverConfigFrom(const Neo4jConfig& cfg);

// Creates the constraints and indexes (idempotent: IF NOT EXISTS). Names the
// failing statement on error. `applied` receives the statement names.
Status ApplySchema(bolt::Driver& driver, std::vector<std::string>* applied = nullptr);
// The same from a config: `taskexec schema apply`.
Status ApplySchema(const Neo4jConfig& cfg, std::vector<std::string>* applied = nullptr);

// Connects and reports the server agent and Bolt version (`config check`).
Status CheckNeo4jConnection(const Neo4jConfig& cfg, bolt::ServerInfo* info);

class Neo4jStore final : public TaskStore {
 public:
  // Connects (verifying connectivity) and applies the schema if asked.
  static Status Open(const Neo4jStoreOptions& options, std::unique_ptr<Neo4jStore>* out);
  ~Neo4jStore() override;

  bolt::Driver& driver() { return *driver_; }
  // The server Open verified connectivity with (`config check` reports it).
  const bolt::ServerInfo& server_info() const { return server_info_; }

  Status AddTask(const NewTask& task, TimeMs now, Task* out) override;
  Status GetTask(const std::string& id, Task* out) override;
  Status FindByNotionPage(const std::string& page_id, Task* out) override;
  Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) override;
  Status CountTasks(const TaskFilter& filter, int64_t* total) override;
  Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) override;
  Status ListDependents(const std::string& id, std::vector<Task>* out) override;
  Status UpdateTask(const std::string& id, const TaskPatch& patch, int64_t expected_version,
                    TimeMs now, Task* out) override;
  Status SetStatus(const std::string& id, TaskStatus to, const std::string& reason, TimeMs now,
                   Task* out) override;
  Status ListRunnable(TimeMs now, int limit, bool only_requested, std::vector<Task>* out) override;
  Status RequestExecution(const std::string& id, const std::string& execution_id,
                          const std::string& agent, bool force, TimeMs now, Task* out) override;
  Status FailQueued(const std::string& id, int64_t expected_version, ErrorType error_type,
                    const std::string& message, TimeMs now, Task* out) override;
  // neo4j_store_routes.cc. ListRunnableFor is served by the index on
  // (routed_agent, status, dispatch_key), one query per queued status in one
  // read transaction; ListUnrouted and ListQueuedAgents
  // scan (the engine calls them at start, at sweeps and while routing a
  // backlog); ClearRoutes works in batches of 10,000 nodes per transaction.
  Status ListRunnableFor(const std::string& agent, TimeMs now, int limit,
                         const std::vector<std::string>& skip_types,
                         std::vector<Task>* out) override;
  Status ListUnrouted(int limit, std::vector<Task>* out) override;
  Status SetRoutes(const std::vector<TaskRoute>& routes, int* written) override;
  Status ClearRoutes(int64_t* cleared) override;
  Status ListQueuedAgents(std::vector<std::string>* out) override;
  Status ListFinishedBefore(TimeMs cutoff, const FinishedCursor& after, int limit,
                            std::vector<Task>* out) override;
  Status DeleteTasks(const std::vector<TaskDeletion>& tasks,
                     std::vector<std::string>* deleted) override;
  Status Claim(const ClaimRequest& req, taskexec::Claim* out) override;
  Status MarkStarted(const std::string& task_id, const std::string& execution_id,
                     const std::string& executor_id, int64_t pid, TimeMs now) override;
  Status RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                     std::vector<std::string>* held) override;
  Status RecordOutputTimes(const std::string& executor_id, const std::vector<OutputTime>& times,
                           int* written) override;
  Status ListExpiredLeases(TimeMs now, std::vector<Task>* out) override;
  Status FinishAttempt(const AttemptOutcome& outcome, Task* out) override;
  Status Reply(const std::string& id, const std::string& message, TimeMs now, Task* out) override;
  Status RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                       Task* out) override;
  Status ListCancelRequests(const std::string& executor_id,
                            std::vector<std::string>* task_ids) override;
  Status GetExecution(const std::string& id, SessionExecution* out) override;
  Status ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) override;
  Status ListActiveExecutions(std::vector<SessionExecution>* out) override;
  Status ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) override;
  Status GetStats(StoreStats* out) override;
  Status CostByAgentSince(TimeMs since, std::map<std::string, double>* out) override;
  Status GetMeta(const std::string& key, std::string* value) override;
  Status SetMeta(const std::string& key, const std::string& value) override;
  Status UpdateMeta(const std::string& key, const MetaUpdate& update, std::string* value) override;

 private:
  Neo4jStore(std::unique_ptr<bolt::Driver> driver, bolt::ServerInfo info)
      : driver_(std::move(driver)), server_info_(std::move(info)) {}
  std::unique_ptr<bolt::Driver> driver_;
  bolt::ServerInfo server_info_;
};

// The store factory hook (store/store_factory.h): opens cfg.neo4j without
// applying the schema (OpenStoreAndApplySchema does that, for `serve`).
Status OpenNeo4jStore(const Config& cfg, std::unique_ptr<TaskStore>* out);
// The factory's schema hook: ApplySchema over `store`, a Neo4jStore
// (InvalidArgument otherwise).
Status ApplyNeo4jStoreSchema(TaskStore& store);
// Installs OpenNeo4jStore and ApplyNeo4jStoreSchema as the factory's "neo4j"
// backend. Call once at program start (the CLI's main does).
void RegisterNeo4jStore();

}  // namespace taskexec
