// The TaskStore conformance suite against a live Neo4j server, when
// TASKEXEC_TEST_NEO4J_URI names one (with TASKEXEC_TEST_NEO4J_USER,
// _PASSWORD and _DATABASE). Each test starts by DELETING every :Task,
// :SessionExecution, :Artifact and :TaskexecMeta node of that database, so
// point it at a throwaway database only. Without the variable the suite is
// skipped, and one test says so.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "store/neo4j/neo4j_store.h"
#include "store/store_conformance.h"

namespace taskexec {
namespace {

std::string Env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

std::unique_ptr<TaskStore> FreshLiveStore() {
  Neo4jConfig cfg;
  cfg.uri = Env("TASKEXEC_TEST_NEO4J_URI");
  cfg.user = Env("TASKEXEC_TEST_NEO4J_USER", "neo4j");
  cfg.password = Env("TASKEXEC_TEST_NEO4J_PASSWORD");
  cfg.database = Env("TASKEXEC_TEST_NEO4J_DATABASE");
  Neo4jStoreOptions o;
  o.driver = DriverConfigFrom(cfg);
  std::unique_ptr<Neo4jStore> store;
  Status s = Neo4jStore::Open(o, &store);
  if (!s.ok()) {
    ADD_FAILURE() << "cannot open the Neo4j store at " << cfg.uri << ": " << s.ToString();
    return nullptr;
  }
  bolt::QueryResult r;
  s = store->driver().Run(
      "MATCH (n) WHERE n:Task OR n:SessionExecution OR n:Artifact OR n:TaskexecMeta "
      "DETACH DELETE n",
      bolt::Map{}, bolt::AccessMode::kWrite, &r);
  if (!s.ok()) {
    ADD_FAILURE() << "cannot empty the test database: " << s.ToString();
    return nullptr;
  }
  return store;
}

}  // namespace

std::vector<store_test::StoreFactory> LiveNeo4jFactories() {
  if (Env("TASKEXEC_TEST_NEO4J_URI").empty()) return {};
  return {store_test::StoreFactory{"Neo4jLive", FreshLiveStore}};
}

namespace {

TEST(Neo4jConformance, LiveServer) {
  if (Env("TASKEXEC_TEST_NEO4J_URI").empty()) {
    GTEST_SKIP() << "SKIPPED: set TASKEXEC_TEST_NEO4J_URI (and TASKEXEC_TEST_NEO4J_USER, "
                    "TASKEXEC_TEST_NEO4J_PASSWORD, TASKEXEC_TEST_NEO4J_DATABASE) to a throwaway "
                    "Neo4j database to run the store conformance suite against Neo4j";
  }
  SUCCEED() << "the StoreConformanceTest/Neo4jLive tests run against "
            << Env("TASKEXEC_TEST_NEO4J_URI");
}

}  // namespace
}  // namespace taskexec

namespace taskexec {
std::vector<store_test::StoreFactory> LiveNeo4jFactories();
}  // namespace taskexec

namespace taskexec::store_test {
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);
INSTANTIATE_TEST_SUITE_P(Neo4j, StoreConformanceTest,
                         ::testing::ValuesIn(taskexec::LiveNeo4jFactories()), StoreFactoryName);
}  // namespace taskexec::store_test
