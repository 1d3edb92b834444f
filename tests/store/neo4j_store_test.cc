// Neo4jStore against the scripted Bolt stub: the exact statements and
// parameters each operation sends, how it reads the answers (including
// nodes written by other tools), and how it handles failures.
#include <gtest/gtest.h>

#include "bolt/graph_types.h"
#include "fakes/bolt_stub.h"
#include "store/neo4j/cypher.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/neo4j_store.h"
#include "store/store_factory.h"

namespace taskexec {
namespace {

using bolt::List;
using bolt::Map;
using bolt::Structure;
using bolt::Value;
namespace msg = bolt::msg;
namespace cypher = neo4j::cypher;
using testing::BoltScript;
using testing::BoltStub;

constexpr TimeMs kNow = 1'700'000'000'000;

Value DateTimeOf(TimeMs ms) { return bolt::DateTime::FromEpochMillis(ms).ToValue(); }

// A :Task node as the store writes it (times as DATETIME values).
Value TaskNode(const std::string& id, const std::string& status, int64_t version,
               const std::string& lease_owner = "") {
  bolt::Node n;
  n.id = 1;
  n.labels = {"Task"};
  n.element_id = "4:db:1";
  Map& p = n.properties;
  p.Set("id", id);
  p.Set("title", "Write the report");
  p.Set("priority", "high");
  p.Set("priority_weight", 3);
  p.Set("status", status);
  p.Set("source", "cli");
  p.Set("context_json", "{}");
  p.Set("retry_count", 0);
  p.Set("max_retries", -1);
  p.Set("cancel_requested", false);
  p.Set("version", version);
  p.Set("created_at", DateTimeOf(kNow));
  p.Set("updated_at", DateTimeOf(kNow));
  if (!lease_owner.empty()) {
    p.Set("lease_owner", lease_owner);
    p.Set("claimed_by", "temujin");
    p.Set("lease_expires_at", DateTimeOf(kNow + 30000));
  }
  return n.ToValue();
}

Value ExecutionNode(const std::string& id, const std::string& task_id,
                    const std::string& status = "active") {
  bolt::Node n;
  n.id = 2;
  n.labels = {"SessionExecution"};
  Map& p = n.properties;
  p.Set("id", id);
  p.Set("task_id", task_id);
  p.Set("agent", "temujin");
  p.Set("attempt", 1);
  p.Set("status", status);
  p.Set("executor_id", "exec-A");
  p.Set("pid", 0);
  p.Set("manual", false);
  p.Set("started_at", DateTimeOf(kNow));
  return n.ToValue();
}

Map Fields(List names) {
  Map m;
  m.Set("fields", std::move(names));
  return m;
}

BoltScript Opened() { return BoltScript().Handshake({5, 4}).HelloLogon({5, 4}); }

// RUN -> fields, PULL -> records -> SUCCESS.
BoltScript& Query(BoltScript& s, List fields, std::vector<List> records) {
  s.Expect(msg::kRun).Success(Fields(std::move(fields))).Expect(msg::kPull);
  for (auto& r : records) s.Record(std::move(r));
  return s.Success();
}

BoltScript& Begin(BoltScript& s) { return s.Expect(msg::kBegin).Success(); }
BoltScript& Commit(BoltScript& s) {
  Map m;
  m.Set("bookmark", "bm:1");
  return s.Expect(msg::kCommit).Success(m);
}
BoltScript& Rollback(BoltScript& s) { return s.Expect(msg::kRollback).Success(); }

class Neo4jStoreStubTest : public ::testing::Test {
 protected:
  // Opens the store without applying the schema (tested separately).
  std::unique_ptr<Neo4jStore> Open(bool apply_schema = false) {
    Neo4jStoreOptions o;
    o.driver.uri = "bolt://" + stub_.address();
    o.driver.auth = bolt::AuthToken{"basic", "neo4j", "pw"};
    o.driver.io_timeout_ms = 20000;
    o.driver.sleep_ms = [this](int64_t ms) { sleeps_.push_back(ms); };
    o.apply_schema = apply_schema;
    std::unique_ptr<Neo4jStore> store;
    Status s = Neo4jStore::Open(o, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }

  // The RUN messages received, in order: {query, params}.
  std::vector<std::pair<std::string, Map>> Runs() {
    std::vector<std::pair<std::string, Map>> out;
    for (const auto& m : stub_.received(msg::kRun)) {
      out.emplace_back(m.fields[0].as_string(), m.fields[1].as_map());
    }
    return out;
  }

  void ExpectScriptsDone() {
    ASSERT_TRUE(stub_.WaitDone());
    auto errors = stub_.errors();
    EXPECT_TRUE(errors.empty()) << errors[0];
  }

  BoltStub stub_;
  std::vector<int64_t> sleeps_;
};

TEST_F(Neo4jStoreStubTest, OpenAppliesEverySchemaStatementIdempotently) {
  BoltScript s = Opened();
  for (size_t i = 0; i < neo4j::SchemaStatements().size(); ++i) Query(s, {}, {});
  stub_.AddScript(std::move(s));
  auto store = Open(/*apply_schema=*/true);
  ASSERT_NE(store, nullptr);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), neo4j::SchemaStatements().size());
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].first, neo4j::SchemaStatements()[i].text);
    EXPECT_NE(runs[i].first.find("IF NOT EXISTS"), std::string::npos) << runs[i].first;
  }
}

TEST_F(Neo4jStoreStubTest, FactoryAppliesTheSchemaOnlyForTheService) {
  // CLI commands (OpenStore) connect and send no schema statement; the
  // service start (OpenStoreAndApplySchema) applies all of them.
  RegisterNeo4jStore();
  stub_.AddScript(Opened());
  BoltScript s = Opened();
  for (size_t i = 0; i < neo4j::SchemaStatements().size(); ++i) Query(s, {}, {});
  stub_.AddScript(std::move(s));
  Config cfg;
  cfg.store.backend = "neo4j";
  cfg.neo4j.uri = "bolt://" + stub_.address();
  cfg.neo4j.user = "neo4j";
  cfg.neo4j.password = "pw";
  std::unique_ptr<TaskStore> cli;
  Status st = OpenStore(cfg, &cli);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(Runs().empty());
  // The open verified connectivity and keeps what it learned (config check).
  auto* neo = dynamic_cast<Neo4jStore*>(cli.get());
  ASSERT_NE(neo, nullptr);
  EXPECT_EQ(neo->server_info().agent, "Neo4j/5.26.0");
  EXPECT_EQ(neo->server_info().version.ToString(), "5.4");
  cli.reset();
  std::unique_ptr<TaskStore> service;
  st = OpenStoreAndApplySchema(cfg, &service);
  ASSERT_TRUE(st.ok()) << st.ToString();
  service.reset();
  ExpectScriptsDone();
  EXPECT_EQ(Runs().size(), neo4j::SchemaStatements().size());
  SetNeo4jStoreOpener(nullptr);
  SetNeo4jSchemaApplier(nullptr);
}

TEST_F(Neo4jStoreStubTest, SchemaFailureNamesTheStatement) {
  BoltScript s = Opened();
  s.Expect(msg::kRun)
      .Failure("Neo.ClientError.Schema.ConstraintCreationFailed", "duplicate ids exist")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  stub_.AddScript(std::move(s));
  Neo4jStoreOptions o;
  o.driver.uri = "bolt://" + stub_.address();
  std::unique_ptr<Neo4jStore> store;
  Status st = Neo4jStore::Open(o, &store);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("constraint_task_id"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("duplicate ids exist"), std::string::npos);
  ExpectScriptsDone();
}

TEST_F(Neo4jStoreStubTest, GetTaskAdoptsNodesWrittenByTheOriginalSync) {
  // As the original Notion sync wrote them: no title, version, source or
  // taskexec fields; created_at a Bolt 4 style DATETIME.
  bolt::Node n;
  n.id = 9;
  n.labels = {"Task"};
  n.properties.Set("id", "legacy-1");
  n.properties.Set("type", "notion_task");
  n.properties.Set("description", "Fix the login page");
  n.properties.Set("status", "pending");
  n.properties.Set("priority", "high");
  n.properties.Set("assigned_to", "any");
  n.properties.Set("notion_page_id", "page-9");
  n.properties.Set("retry_count", 2.0);  // a float, as some tools write numbers
  n.properties.Set("created_at",
                   Value(Structure{bolt::tag::kLegacyDateTime, {1700000000 + 3600, 0, 3600}}));
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t"}, {{n.ToValue()}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  Task t;
  ASSERT_TRUE(store->GetTask("legacy-1", &t).ok());
  EXPECT_EQ(t.title, "Fix the login page");
  EXPECT_EQ(t.type, "notion_task");
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.source, "store");
  EXPECT_EQ(t.version, 0);
  EXPECT_EQ(t.retry_count, 2);
  EXPECT_EQ(t.context_json, "{}");
  EXPECT_EQ(t.created_at, 1700000000000);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].first, cypher::kGetTask);
  EXPECT_EQ(runs[0].second.Find("id")->as_string(), "legacy-1");
  // Reads run in read transactions.
  EXPECT_EQ(stub_.received(msg::kBegin)[0].fields[0].as_map().Find("mode")->as_string(), "r");
}

TEST_F(Neo4jStoreStubTest, GetTaskNotFoundAndCorruptAnswers) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t"}, {});
  Rollback(s);  // NotFound ends the transaction without a commit
  Begin(s);
  Query(s, {"t"}, {{Value("not a node")}});
  s.Expect(msg::kRollback).Success();
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "exploded", 1)}});
  s.Expect(msg::kRollback).Success();
  stub_.AddScript(std::move(s));
  auto store = Open();
  Task t;
  EXPECT_TRUE(store->GetTask("nope", &t).IsNotFound());
  EXPECT_EQ(store->GetTask("t1", &t).code(), Status::Code::kCorruption);
  Status st = store->GetTask("t1", &t);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("exploded"), std::string::npos);
  ExpectScriptsDone();
}

TEST_F(Neo4jStoreStubTest, AddTaskChecksThenCreatesWithSeedPropertyNames) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"id_taken", "page_owner"}, {{Value(), Value()}});
  Query(s, {"t"}, {{TaskNode("t1", "pending", 1)}});
  Commit(s);
  Begin(s);
  Query(s, {"id_taken", "page_owner"}, {{Value("t1"), Value()}});
  Rollback(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  NewTask nt;
  nt.id = "t1";
  nt.title = "Write the report";
  nt.priority = Priority::kHigh;
  nt.routed_agent = "chagatai";
  Task t;
  ASSERT_TRUE(store->AddTask(nt, kNow, &t).ok());
  EXPECT_EQ(t.version, 1);
  EXPECT_TRUE(store->AddTask(nt, kNow, &t).IsConflict());
  nt.title = " ";
  EXPECT_TRUE(store->AddTask(nt, kNow, &t).IsInvalidArgument());  // no round trip
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].first, cypher::kTaskExists);
  EXPECT_TRUE(runs[0].second.Find("page_id")->is_null());
  EXPECT_EQ(runs[1].first, cypher::kCreateTask);
  const Map& props = runs[1].second.Find("props")->as_map();
  EXPECT_EQ(props.Find("status")->as_string(), "pending");
  EXPECT_EQ(props.Find("priority_weight")->as_int(), 3);
  EXPECT_EQ(props.Find("retry_count")->as_int(), 0);
  EXPECT_TRUE(props.Find("assigned_to")->is_null());  // unset, as the seed left it
  EXPECT_TRUE(props.Find("claimed_by")->is_null());
  EXPECT_EQ(props.Find("version")->as_int(), 1);
  // The dispatch fields: the route and the queue order as one key.
  EXPECT_EQ(props.Find("routed_agent")->as_string(), "chagatai");
  EXPECT_EQ(props.Find("dispatch_key")->as_int(), neo4j::DispatchKey(Priority::kHigh, kNow));
  const Map& times = runs[1].second.Find("times")->as_map();
  EXPECT_EQ(times.Find("created_at")->as_int(), kNow);
  EXPECT_EQ(times.Find("completed_at")->as_int(), 0);
}

TEST_F(Neo4jStoreStubTest, ClaimIsOneConditionalStatement) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t", "s"}, {{TaskNode("t1", "assigned", 2, "exec-A"), ExecutionNode("exec-1", "t1")}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  ClaimRequest req;
  req.task_id = "t1";
  req.expected_version = 1;
  req.executor_id = "exec-A";
  req.agent = "temujin";
  req.execution_id = "exec-1";
  req.session_label = "task-t1";
  req.now = kNow;
  req.lease_expires_at = kNow + 30000;
  Claim c;
  Status st = store->Claim(req, &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.task.status, TaskStatus::kAssigned);
  EXPECT_EQ(c.task.lease_owner, "exec-A");
  EXPECT_EQ(c.task.lease_expires_at, kNow + 30000);
  EXPECT_EQ(c.execution.id, "exec-1");
  EXPECT_EQ(c.execution.status, ExecutionStatus::kActive);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].first, cypher::kClaim);
  const Map& p = runs[0].second;
  EXPECT_EQ(p.Find("expected_version")->as_int(), 1);
  EXPECT_EQ(p.Find("executor_id")->as_string(), "exec-A");
  EXPECT_EQ(p.Find("lease_expires_at")->as_int(), kNow + 30000);
  EXPECT_EQ(p.Find("manual")->as_bool(), false);
  // The statement locks before it checks.
  const std::string& q = runs[0].first;
  EXPECT_LT(q.find("SET t._taskexec_lock"), q.find("coalesce(t.version, 0) = $expected_version"));
}

TEST_F(Neo4jStoreStubTest, LostClaimExplainsWhyAndDuplicateAttemptIsConflict) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t", "s"}, {});                           // the claim matched nothing
  Query(s, {"t"}, {{TaskNode("t1", "pending", 5)}});  // why: the version moved
  Rollback(s);
  Begin(s);
  s.Expect(msg::kRun)
      .Failure("Neo.ClientError.Schema.ConstraintValidationFailed", "exec-1 already exists")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  stub_.AddScript(std::move(s));
  auto store = Open();
  ClaimRequest req;
  req.task_id = "t1";
  req.expected_version = 4;
  req.executor_id = "exec-B";
  req.agent = "main";
  req.execution_id = "exec-1";
  req.now = kNow;
  Claim c;
  Status st = store->Claim(req, &c);
  EXPECT_TRUE(st.IsConflict());
  EXPECT_NE(st.message().find("version 5, expected 4"), std::string::npos) << st.ToString();
  st = store->Claim(req, &c);
  EXPECT_TRUE(st.IsConflict());
  EXPECT_NE(st.message().find("execution exec-1 already exists"), std::string::npos);
  EXPECT_TRUE(sleeps_.empty());  // conflicts are never retried
  ExpectScriptsDone();
}

TEST_F(Neo4jStoreStubTest, TransientFailureIsRetriedInANewTransaction) {
  BoltScript s = Opened();
  Begin(s);
  s.Expect(msg::kRun)
      .Failure("Neo.TransientError.Transaction.DeadlockDetected", "deadlock")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "pending", 3)}});  // lock + read
  Query(s, {"version"}, {{Value(4)}});                // save
  Query(s, {"id"}, {});                               // no dependents
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  Task t;
  Status st = store->SetStatus("t1", TaskStatus::kSuspended, "", kNow + 5, &t);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(t.status, TaskStatus::kSuspended);
  EXPECT_EQ(t.version, 4);
  EXPECT_EQ(t.updated_at, kNow + 5);
  EXPECT_EQ(sleeps_.size(), 1u);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].first, cypher::kLockTask);
  EXPECT_EQ(runs[1].first, cypher::kLockTask);
  EXPECT_EQ(runs[2].first, cypher::kSaveTask);
  EXPECT_EQ(runs[3].first, cypher::kListDependentIds);
  EXPECT_EQ(runs[2].second.Find("previous_version")->as_int(), 3);
  EXPECT_EQ(runs[2].second.Find("props")->as_map().Find("status")->as_string(), "suspended");
}

TEST_F(Neo4jStoreStubTest, HeldTaskRefusesEditsAndRollsBack) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "in_progress", 3, "exec-A")}});
  Rollback(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  TaskPatch patch;
  patch.title = "new";
  Task t;
  EXPECT_TRUE(store->UpdateTask("t1", patch, -1, kNow, &t).IsConflict());
  ExpectScriptsDone();
}

TEST_F(Neo4jStoreStubTest, FinishAttemptWritesExecutionArtifactsAndTaskInOneTransaction) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "in_progress", 3, "exec-A")}});
  Query(s, {"s"}, {{ExecutionNode("exec-1", "t1")}});
  Query(s, {"id"}, {{Value("exec-1")}});
  Query(s, {"id"}, {{Value("art-1")}});
  Query(s, {"version"}, {{Value(4)}});
  Query(s, {"id"}, {});  // no dependents
  Commit(s);
  // A fenced write: another executor holds the lease now.
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "in_progress", 5, "exec-B")}});
  Rollback(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  AttemptOutcome o;
  o.task_id = "t1";
  o.execution_id = "exec-1";
  o.executor_id = "exec-A";
  o.task_status = TaskStatus::kCompleted;
  o.execution_status = ExecutionStatus::kCompleted;
  o.summary = "done";
  o.exit_code = 0;
  o.now = kNow + 1000;
  Artifact a;
  a.id = "art-1";
  a.name = "report.md";
  a.path = "/work/report.md";
  a.size = 42;
  o.artifacts = {a};
  Status st = store->FinishAttempt(o, nullptr);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(store->FinishAttempt(o, nullptr).IsConflict());
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 7u);
  EXPECT_EQ(runs[5].first, cypher::kListDependentIds);
  EXPECT_EQ(runs[5].second.Find("id")->as_string(), "t1");
  EXPECT_EQ(runs[0].first, cypher::kLockTask);
  EXPECT_EQ(runs[1].first, cypher::kGetExecution);
  EXPECT_EQ(runs[2].first, cypher::kSaveExecution);
  const Map& ep = runs[2].second.Find("props")->as_map();
  EXPECT_EQ(ep.Find("status")->as_string(), "completed");
  EXPECT_EQ(ep.Find("exit_code")->as_int(), 0);
  EXPECT_TRUE(ep.Find("term_signal")->is_null());
  EXPECT_EQ(runs[2].second.Find("times")->as_map().Find("ended_at")->as_int(), kNow + 1000);
  EXPECT_EQ(runs[3].first, cypher::kCreateArtifact);
  EXPECT_EQ(runs[3].second.Find("props")->as_map().Find("execution_id")->as_string(), "exec-1");
  EXPECT_EQ(runs[4].first, cypher::kSaveTask);
  const Map& tp = runs[4].second.Find("props")->as_map();
  EXPECT_EQ(tp.Find("status")->as_string(), "completed");
  EXPECT_EQ(tp.Find("output_summary")->as_string(), "done");
  EXPECT_TRUE(tp.Find("lease_owner")->is_null());
  EXPECT_EQ(runs[4].second.Find("times")->as_map().Find("completed_at")->as_int(), kNow + 1000);
}

TEST_F(Neo4jStoreStubTest, ReadRetriedOnANewConnectionWhenTheServerDrops) {
  BoltScript first = Opened();
  Begin(first);
  first.Expect(msg::kRun)
      .Success(Fields({"t"}))
      .Expect(msg::kPull)
      .Record({TaskNode("t1", "pending", 1)});
  first.Close();  // gone before the summary
  stub_.AddScript(std::move(first));
  BoltScript second = Opened();
  Begin(second);
  Query(second, {"t"}, {{TaskNode("t1", "pending", 1)}, {TaskNode("t2", "pending", 1)}});
  Commit(second);
  stub_.AddScript(std::move(second));
  auto store = Open();
  TaskFilter f;
  f.status = TaskStatus::kPending;
  std::vector<Task> tasks;
  Status st = store->ListTasks(f, &tasks);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(tasks.size(), 2u);  // only the complete answer counts
  EXPECT_EQ(sleeps_.size(), 1u);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].first, cypher::kListTasks);
  EXPECT_EQ(runs[1].second.Find("status")->as_string(), "pending");
  EXPECT_GT(runs[1].second.Find("limit")->as_int(), 1000000);
}

// A listing in another order sends that order's statement, with the page
// and the filters as parameters (free text lower-cased); a count sends the
// same filters without the page.
TEST_F(Neo4jStoreStubTest, ListingsSendTheirOrderAndCountsTheirFilters) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t2", "pending", 1)}});
  Commit(s);
  Begin(s);
  Query(s, {"n"}, {{Value(7)}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  TaskFilter f;
  f.sort = TaskSortKey::kTitle;
  f.descending = true;
  f.offset = 20;
  f.limit = 10;
  f.type = "ops";
  f.text = "Login BUG";
  std::vector<Task> tasks;
  Status st = store->ListTasks(f, &tasks);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(tasks.size(), 1u);
  int64_t total = 0;
  st = store->CountTasks(f, &total);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(total, 7);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].first, cypher::ListTasksStatement(TaskSortKey::kTitle, true));
  EXPECT_NE(runs[0].first.find("DESC"), std::string::npos);
  EXPECT_EQ(runs[0].second.Find("skip")->as_int(), 20);
  EXPECT_EQ(runs[0].second.Find("limit")->as_int(), 10);
  EXPECT_EQ(runs[0].second.Find("task_type")->as_string(), "ops");
  EXPECT_EQ(runs[0].second.Find("text")->as_string(), "login bug");
  EXPECT_EQ(runs[1].first, cypher::kCountTasks);
  EXPECT_EQ(runs[1].second.Find("text")->as_string(), "login bug");
  EXPECT_EQ(runs[1].second.Find("skip"), nullptr);
}

TEST_F(Neo4jStoreStubTest, RunnableStatsMetaAndLeases) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "pending", 1)}});
  Commit(s);
  Begin(s);
  Query(s, {"status", "n"}, {{Value("pending"), Value(2)}, {Value("completed"), Value(1)}});
  Query(s, {"agent", "n"}, {{Value("unassigned"), Value(3)}});
  Query(s, {"n"}, {{Value(0)}});
  Commit(s);
  Begin(s);
  Query(s, {"value"}, {});
  Rollback(s);
  Begin(s);
  Query(s, {}, {});
  Commit(s);
  Begin(s);
  Query(s, {"id"}, {{Value("t1")}, {Value("t2")}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  std::vector<Task> runnable;
  ASSERT_TRUE(store->ListRunnable(kNow, 5, true, &runnable).ok());
  EXPECT_EQ(runnable.size(), 1u);
  StoreStats stats;
  ASSERT_TRUE(store->GetStats(&stats).ok());
  EXPECT_EQ(stats.by_status["pending"], 2);
  EXPECT_EQ(stats.by_agent["unassigned"], 3);
  std::string v;
  EXPECT_TRUE(store->GetMeta("notion.watermark", &v).IsNotFound());
  ASSERT_TRUE(store->SetMeta("notion.watermark", "2026-11-25").ok());
  std::vector<std::string> held;
  ASSERT_TRUE(store->RenewLeases("exec-A", kNow + 60000, kNow, &held).ok());
  EXPECT_EQ(held, (std::vector<std::string>{"t1", "t2"}));
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 7u);
  EXPECT_EQ(runs[0].first, cypher::kListRunnable);
  EXPECT_EQ(runs[0].second.Find("only_requested")->as_bool(), true);
  EXPECT_EQ(runs[0].second.Find("limit")->as_int(), 5);
  EXPECT_EQ(runs[0].second.Find("now")->as_int(), kNow);
  EXPECT_EQ(runs[4].first, cypher::kGetMeta);
  EXPECT_EQ(runs[5].first, cypher::kSetMeta);
  EXPECT_EQ(runs[5].second.Find("value")->as_string(), "2026-11-25");
  EXPECT_EQ(runs[6].first, cypher::kRenewLeases);
  EXPECT_EQ(runs[6].second.Find("lease_expires_at")->as_int(), kNow + 60000);
  // Writes go in write transactions (no mode), reads in "r" ones.
  auto begins = stub_.received(msg::kBegin);
  EXPECT_EQ(begins[0].fields[0].as_map().Find("mode")->as_string(), "r");
  EXPECT_EQ(begins[4].fields[0].as_map().Find("mode"), nullptr);
  // The bookmark of each commit travels with the next BEGIN.
  EXPECT_EQ(begins[1].fields[0].as_map().Find("bookmarks")->as_list(), (List{"bm:1"}));
}

// Output times go as one UNWIND statement in one write transaction, and
// nothing is sent when there is nothing to record.
TEST_F(Neo4jStoreStubTest, OutputTimesAreOneStatement) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"n"}, {{Value(1)}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  int written = -1;
  ASSERT_TRUE(store->RecordOutputTimes("exec-A", {}, &written).ok());
  EXPECT_EQ(written, 0);
  ASSERT_TRUE(store
                  ->RecordOutputTimes(
                      "exec-A", {{"e1", kNow + 5, ""}, {"e2", kNow + 6, "tests pass"}}, &written)
                  .ok());
  EXPECT_EQ(written, 1);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].first, cypher::kRecordOutputTimes);
  EXPECT_EQ(runs[0].second.Find("executor_id")->as_string(), "exec-A");
  const List& rows = runs[0].second.Find("outputs")->as_list();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].as_map().Find("execution_id")->as_string(), "e2");
  EXPECT_EQ(rows[1].as_map().Find("at")->as_int(), kNow + 6);
  EXPECT_EQ(rows[1].as_map().Find("line")->as_string(), "tests pass");
  auto begins = stub_.received(msg::kBegin);
  ASSERT_EQ(begins.size(), 1u);
  EXPECT_EQ(begins[0].fields[0].as_map().Find("mode"), nullptr);  // a write
}

// An agent's cost since a time is one read, summing floats or integers.
TEST_F(Neo4jStoreStubTest, CostByAgentSinceIsOneRead) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"agent", "cost"}, {{Value("mongke"), Value(0.375)}, {Value("kublai"), Value(2)}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  std::map<std::string, double> cost;
  ASSERT_TRUE(store->CostByAgentSince(kNow, &cost).ok());
  EXPECT_DOUBLE_EQ(cost["mongke"], 0.375);
  EXPECT_DOUBLE_EQ(cost["kublai"], 2.0);
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].first, cypher::kCostByAgentSince);
  EXPECT_EQ(runs[0].second.Find("since")->as_int(), kNow);
  EXPECT_EQ(stub_.received(msg::kBegin)[0].fields[0].as_map().Find("mode")->as_string(), "r");
}

// UpdateMeta locks the meta node (creating it), reads, and writes the new
// value in one write transaction.
TEST_F(Neo4jStoreStubTest, UpdateMetaLocksReadsAndWritesInOneTransaction) {
  BoltScript s = Opened();
  Begin(s);
  Query(s, {"value"}, {{Value("4")}});
  Query(s, {}, {});
  Commit(s);
  Begin(s);
  Query(s, {"value"}, {{Value()}});  // a key never set
  Query(s, {}, {});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();
  std::string written;
  auto increment = [](const std::string* old) {
    return std::to_string(old == nullptr ? 1 : std::stoi(*old) + 1);
  };
  ASSERT_TRUE(store->UpdateMeta("counter", increment, &written).ok());
  EXPECT_EQ(written, "5");
  ASSERT_TRUE(store->UpdateMeta("fresh", increment, &written).ok());
  EXPECT_EQ(written, "1");
  ExpectScriptsDone();
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].first, cypher::kLockMeta);
  EXPECT_EQ(runs[0].second.Find("key")->as_string(), "counter");
  EXPECT_EQ(runs[1].first, cypher::kWriteLockedMeta);
  EXPECT_EQ(runs[1].second.Find("value")->as_string(), "5");
  EXPECT_EQ(runs[3].second.Find("value")->as_string(), "1");
  auto begins = stub_.received(msg::kBegin);
  ASSERT_EQ(begins.size(), 2u);
  EXPECT_EQ(begins[0].fields[0].as_map().Find("mode"), nullptr);  // a write
}

TEST_F(Neo4jStoreStubTest, RemainingOperationsSendTheirStatements) {
  BoltScript s = Opened();
  // UpdateTask: lock, save.
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "pending", 2)}});
  Query(s, {"version"}, {{Value(3)}});
  Commit(s);
  // RequestExecution: lock, no such execution yet, save.
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "failed", 3)}});
  Query(s, {"s"}, {});
  Query(s, {"version"}, {{Value(4)}});
  Query(s, {"id"}, {});  // no dependents
  Commit(s);
  // MarkStarted: lock, execution, save execution, save task.
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "assigned", 5, "exec-A")}});
  Query(s, {"s"}, {{ExecutionNode("exec-1", "t1")}});
  Query(s, {"id"}, {{Value("exec-1")}});
  Query(s, {"version"}, {{Value(6)}});
  Commit(s);
  // RequestCancel of a held task: only the flag.
  Begin(s);
  Query(s, {"t"}, {{TaskNode("t1", "in_progress", 6, "exec-A")}});
  Query(s, {"version"}, {{Value(7)}});
  Commit(s);
  // Reads (FindByNotionPage finds nothing: NotFound rolls back).
  Begin(s);
  Query(s, {"t"}, {});
  Rollback(s);
  for (int i = 0; i < 5; ++i) {
    Begin(s);
    Query(s, {"x"}, {});
    Commit(s);
  }
  stub_.AddScript(std::move(s));
  auto store = Open();
  TaskPatch patch;
  patch.title = "Renamed";
  patch.assigned_to = "";
  Task t;
  ASSERT_TRUE(store->UpdateTask("t1", patch, 2, kNow + 1, &t).ok());
  EXPECT_EQ(t.title, "Renamed");
  ASSERT_TRUE(
      store->RequestExecution("t1", "exec-9", "kublai", /*force=*/false, kNow + 2, &t).ok());
  EXPECT_EQ(t.status, TaskStatus::kPending);  // a finished task is re-queued
  EXPECT_EQ(t.requested_execution_id, "exec-9");
  ASSERT_TRUE(store->MarkStarted("t1", "exec-1", "exec-A", 4242, kNow + 3).ok());
  ASSERT_TRUE(store->RequestCancel("t1", "stop", kNow + 4, &t).ok());
  EXPECT_TRUE(t.cancel_requested);
  std::vector<Task> tasks;
  std::vector<std::string> ids;
  std::vector<SessionExecution> execs;
  std::vector<Artifact> arts;
  EXPECT_TRUE(store->FindByNotionPage("page-1", &t).IsNotFound());
  ASSERT_TRUE(store->ListExpiredLeases(kNow, &tasks).ok());
  ASSERT_TRUE(store->ListCancelRequests("exec-A", &ids).ok());
  ASSERT_TRUE(store->ListExecutions("t1", &execs).ok());
  ASSERT_TRUE(store->ListActiveExecutions(&execs).ok());
  ASSERT_TRUE(store->ListArtifacts("t1", &arts).ok());
  ExpectScriptsDone();
  auto runs = Runs();
  std::vector<std::string> expected = {cypher::kLockTask,
                                       cypher::kSaveTask,
                                       cypher::kLockTask,
                                       cypher::kGetExecution,
                                       cypher::kSaveTask,
                                       cypher::kListDependentIds,
                                       cypher::kLockTask,
                                       cypher::kGetExecution,
                                       cypher::kSaveExecution,
                                       cypher::kSaveTask,
                                       cypher::kLockTask,
                                       cypher::kSaveTask,
                                       cypher::kFindByNotionPage,
                                       cypher::kListExpiredLeases,
                                       cypher::kListCancelRequests,
                                       cypher::kListExecutions,
                                       cypher::kListActiveExecutions,
                                       cypher::kListArtifacts};
  ASSERT_EQ(runs.size(), expected.size());
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].first, expected[i]) << i;
  const Map& update = runs[1].second.Find("props")->as_map();
  EXPECT_EQ(update.Find("title")->as_string(), "Renamed");
  EXPECT_TRUE(update.Find("assigned_to")->is_null());
  const Map& request = runs[4].second.Find("props")->as_map();
  EXPECT_EQ(request.Find("requested_execution_id")->as_string(), "exec-9");
  EXPECT_EQ(request.Find("requested_agent")->as_string(), "kublai");
  EXPECT_EQ(request.Find("retry_count")->as_int(), 0);
  EXPECT_EQ(runs[8].second.Find("props")->as_map().Find("pid")->as_int(), 4242);
  const Map& started = runs[9].second.Find("props")->as_map();
  EXPECT_EQ(started.Find("status")->as_string(), "in_progress");
  EXPECT_EQ(runs[9].second.Find("times")->as_map().Find("started_at")->as_int(), kNow + 3);
  EXPECT_EQ(runs[11].second.Find("props")->as_map().Find("cancel_requested")->as_bool(), true);
  EXPECT_EQ(runs[11].second.Find("props")->as_map().Find("status")->as_string(), "in_progress");
  EXPECT_EQ(runs[12].second.Find("page_id")->as_string(), "page-1");
  EXPECT_EQ(runs[14].second.Find("executor_id")->as_string(), "exec-A");
}

TEST_F(Neo4jStoreStubTest, DispatchKeyIsQueueOrderAscending) {
  using neo4j::DispatchKey;
  // Priority first (critical first), then age.
  EXPECT_LT(DispatchKey(Priority::kCritical, kNow + 1000), DispatchKey(Priority::kHigh, kNow));
  EXPECT_LT(DispatchKey(Priority::kHigh, kNow + 1000), DispatchKey(Priority::kNormal, kNow));
  EXPECT_LT(DispatchKey(Priority::kNormal, kNow + 1000), DispatchKey(Priority::kLow, kNow));
  EXPECT_LT(DispatchKey(Priority::kNormal, kNow), DispatchKey(Priority::kNormal, kNow + 1));
  EXPECT_EQ(DispatchKey(Priority::kCritical, 0), 0);
  EXPECT_EQ(DispatchKey(Priority::kCritical, -5), 0);  // clamped
  EXPECT_LT(DispatchKey(Priority::kCritical, int64_t{1} << 50), DispatchKey(Priority::kHigh, 0));
}

TEST_F(Neo4jStoreStubTest, DispatchByRoutedAgentSendsItsStatements) {
  Value routed = TaskNode("t1", "pending", 2);
  {
    bolt::Node n;
    ASSERT_TRUE(bolt::Node::FromValue(routed, &n).ok());
    n.properties.Set("routed_agent", "temujin");
    routed = n.ToValue();
  }
  Value urgent_retry = TaskNode("t9", "retrying", 3);
  {
    bolt::Node n;
    ASSERT_TRUE(bolt::Node::FromValue(urgent_retry, &n).ok());
    n.properties.Set("priority", "critical");
    urgent_retry = n.ToValue();
  }
  BoltScript s = Opened();
  Begin(s);  // ListRunnableFor: pending, then retrying, in one transaction
  Query(s, {"t"}, {{routed}});
  Query(s, {"t"}, {{urgent_retry}});
  Commit(s);
  Begin(s);  // ListUnrouted
  Query(s, {"t"}, {{TaskNode("t2", "pending", 4)}});
  Commit(s);
  Begin(s);  // SetRoutes
  Query(s, {"n"}, {{Value(1)}});
  Commit(s);
  Begin(s);  // ClearRoutes: a full batch, then a short one
  Query(s, {"n"}, {{Value(10000)}});
  Commit(s);
  Begin(s);
  Query(s, {"n"}, {{Value(7)}});
  Commit(s);
  Begin(s);  // ListQueuedAgents
  Query(s, {"agent"}, {{Value("mongke")}, {Value("temujin")}});
  Commit(s);
  stub_.AddScript(std::move(s));
  auto store = Open();

  std::vector<Task> tasks;
  ASSERT_TRUE(store->ListRunnableFor("temujin", kNow, 3, {"deploy"}, &tasks).ok());
  ASSERT_EQ(tasks.size(), 2u);  // merged in queue order: the critical retry first
  EXPECT_EQ(tasks[0].id, "t9");
  EXPECT_EQ(tasks[1].id, "t1");
  EXPECT_EQ(tasks[1].routed_agent, "temujin");
  EXPECT_TRUE(store->ListRunnableFor("temujin", kNow, 0, {}, &tasks).IsInvalidArgument());
  ASSERT_TRUE(store->ListUnrouted(50, &tasks).ok());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].routed_agent, "");  // a node without the property
  int written = 0;
  ASSERT_TRUE(store->SetRoutes({TaskRoute{tasks[0], "mongke"}}, &written).ok());
  EXPECT_EQ(written, 1);
  EXPECT_TRUE(store->SetRoutes({TaskRoute{tasks[0], ""}}, &written).IsInvalidArgument());
  int64_t cleared = 0;
  ASSERT_TRUE(store->ClearRoutes(&cleared).ok());
  EXPECT_EQ(cleared, 10007);
  std::vector<std::string> agents;
  ASSERT_TRUE(store->ListQueuedAgents(&agents).ok());
  EXPECT_EQ(agents, (std::vector<std::string>{"mongke", "temujin"}));
  ExpectScriptsDone();

  auto runs = Runs();
  ASSERT_EQ(runs.size(), 7u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(runs[i].first, cypher::kListRunnableFor);
    EXPECT_EQ(runs[i].second.Find("agent")->as_string(), "temujin");
    EXPECT_EQ(runs[i].second.Find("status")->as_string(), i == 0 ? "pending" : "retrying");
    EXPECT_EQ(runs[i].second.Find("now")->as_int(), kNow);
    EXPECT_EQ(runs[i].second.Find("limit")->as_int(), 3);
    const List& skip = runs[i].second.Find("skip_types")->as_list();
    ASSERT_EQ(skip.size(), 1u);
    EXPECT_EQ(skip[0].as_string(), "deploy");
  }
  runs.erase(runs.begin());
  EXPECT_EQ(runs[1].first, cypher::kListUnrouted);
  EXPECT_EQ(runs[1].second.Find("limit")->as_int(), 50);
  EXPECT_EQ(runs[2].first, cypher::kSetRoutes);
  const List& routes = runs[2].second.Find("routes")->as_list();
  ASSERT_EQ(routes.size(), 1u);
  const Map& route = routes[0].as_map();
  EXPECT_EQ(route.Find("id")->as_string(), "t2");
  EXPECT_EQ(route.Find("version")->as_int(), 4);
  EXPECT_EQ(route.Find("agent")->as_string(), "mongke");
  EXPECT_EQ(route.Find("dispatch_key")->as_int(), neo4j::DispatchKey(Priority::kHigh, kNow));
  EXPECT_EQ(runs[3].first, cypher::kClearRoutes);
  EXPECT_EQ(runs[3].second.Find("batch")->as_int(), 10000);
  EXPECT_EQ(runs[4].first, cypher::kClearRoutes);
  EXPECT_EQ(runs[5].first, cypher::kListQueuedAgents);
  // Reads in read transactions, route writes in write ones.
  auto begins = stub_.received(msg::kBegin);
  ASSERT_EQ(begins.size(), 6u);
  EXPECT_EQ(begins[0].fields[0].as_map().Find("mode")->as_string(), "r");
  EXPECT_EQ(begins[2].fields[0].as_map().Find("mode"), nullptr);
  EXPECT_EQ(begins[3].fields[0].as_map().Find("mode"), nullptr);
  // The schema has the index that serves the per-agent listing.
  bool indexed = false;
  for (const auto& st : neo4j::SchemaStatements()) {
    indexed = indexed ||
              st.text.find("ON (t.routed_agent, t.status, t.dispatch_key)") != std::string::npos;
  }
  EXPECT_TRUE(indexed);
}

TEST_F(Neo4jStoreStubTest, OpenReportsAuthFailureAndDatabaseErrorsAreNotRetried) {
  stub_.AddScript(BoltScript()
                      .Handshake({5, 4})
                      .Expect(msg::kHello)
                      .Success()
                      .Expect(msg::kLogon)
                      .Failure("Neo.ClientError.Security.Unauthorized", "wrong password")
                      .Close());
  Neo4jStoreOptions o;
  o.driver.uri = "bolt://" + stub_.address();
  std::unique_ptr<Neo4jStore> store;
  Status st = Neo4jStore::Open(o, &store);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("Unauthorized"), std::string::npos);
  ASSERT_TRUE(stub_.WaitDone());

  BoltScript s = Opened();
  Begin(s);
  s.Expect(msg::kRun)
      .Failure("Neo.DatabaseError.General.UnknownError", "disk on fire")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  stub_.AddScript(std::move(s));
  store = Open();
  StoreStats stats;
  st = store->GetStats(&stats);
  EXPECT_EQ(st.code(), Status::Code::kInternal) << st.ToString();
  EXPECT_TRUE(sleeps_.empty());
  ExpectScriptsDone();
}

}  // namespace
}  // namespace taskexec

namespace taskexec::neo4j {
namespace {

// The node a SaveTask/SaveExecution would leave: the written properties as
// they are (times are converted by the statement and not needed here).
bolt::Value NodeFromParams(const bolt::Map& params, const char* label) {
  bolt::Node n;
  n.labels = {label};
  n.properties = params.Find("props")->as_map();
  return n.ToValue();
}

TEST(Neo4jMapping, UsageRoundTripsOnTasksAndExecutions) {
  AgentUsage u;
  u.input_tokens = 400;
  u.output_tokens = 34;
  u.cache_read_tokens = 800;
  u.cache_write_tokens = 3;
  u.cost_usd = 0.00195;
  u.model = "stand-in-1";
  u.num_turns = 2;

  SessionExecution e;
  e.id = "exec-1";
  e.task_id = "t1";
  e.usage = u;
  bolt::Map params;
  ExecutionParams(e, &params);
  SessionExecution back;
  ASSERT_TRUE(ExecutionFromNode(NodeFromParams(params, "SessionExecution"), &back).ok());
  EXPECT_EQ(back.usage, u);

  Task t;
  t.id = "t1";
  t.title = "x";
  t.usage = u;
  t.usage.cost_usd.reset();  // unknown stays unknown (null), not 0
  bolt::Map task_params;
  TaskParams(t, &task_params);
  Task task_back;
  ASSERT_TRUE(TaskFromNode(NodeFromParams(task_params, "Task"), &task_back).ok());
  EXPECT_EQ(task_back.usage, t.usage);
  EXPECT_FALSE(task_back.usage.cost_usd.has_value());
}

TEST(Neo4jMapping, SessionsRoundTripOnTasksAndExecutions) {
  SessionExecution e;
  e.id = "exec-1";
  e.task_id = "t1";
  e.session_id = "sess-2";
  e.resumed_session_id = "sess-1";
  bolt::Map params;
  ExecutionParams(e, &params);
  SessionExecution back;
  ASSERT_TRUE(ExecutionFromNode(NodeFromParams(params, "SessionExecution"), &back).ok());
  EXPECT_EQ(back.session_id, "sess-2");
  EXPECT_EQ(back.resumed_session_id, "sess-1");

  Task t;
  t.id = "t1";
  t.title = "x";
  t.session_id = "sess-2";
  bolt::Map task_params;
  TaskParams(t, &task_params);
  Task task_back;
  ASSERT_TRUE(TaskFromNode(NodeFromParams(task_params, "Task"), &task_back).ok());
  EXPECT_EQ(task_back.session_id, "sess-2");
}

// needs_input and the question and reply are properties like the others;
// the last output time is one of the execution's times (set by Cypher from
// $times, like ended_at).
TEST(Neo4jMapping, QuestionsAndOutputTimesRoundTrip) {
  SessionExecution e;
  e.id = "exec-1";
  e.task_id = "t1";
  e.status = ExecutionStatus::kNeedsInput;
  e.started_at = 1'800'000'000'000;
  e.last_output_at = 1'800'000'004'000;
  bolt::Map params;
  ExecutionParams(e, &params);
  SessionExecution back;
  ASSERT_TRUE(ExecutionFromNode(NodeFromParams(params, "SessionExecution"), &back).ok());
  EXPECT_EQ(back.status, ExecutionStatus::kNeedsInput);
  EXPECT_EQ(params.Find("times")->as_map().Find("last_output_at")->as_int(), e.last_output_at);

  Task t;
  t.id = "t1";
  t.title = "x";
  t.status = TaskStatus::kNeedsInput;
  t.question = "Which colour?";
  t.reply = "blue";
  bolt::Map task_params;
  TaskParams(t, &task_params);
  Task task_back;
  ASSERT_TRUE(TaskFromNode(NodeFromParams(task_params, "Task"), &task_back).ok());
  EXPECT_EQ(task_back.status, TaskStatus::kNeedsInput);
  EXPECT_EQ(task_back.question, "Which colour?");
  EXPECT_EQ(task_back.reply, "blue");
}

}  // namespace
}  // namespace taskexec::neo4j
