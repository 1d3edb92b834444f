// The TaskStore conformance suite on PostgreSQL: a throwaway server
// (pg_server.h) for the whole binary, a fresh schema for each test.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "store/pg_server.h"
#include "store/postgres/pg_store.h"
#include "store/store_conformance.h"

namespace taskexec {
namespace {

using store_test::PgServer;

PgServer* Server() {
  static std::unique_ptr<PgServer> server = [] {
    std::unique_ptr<PgServer> s;
    Status st = PgServer::Start(&s);
    if (!st.ok()) ADD_FAILURE() << "cannot start a PostgreSQL server: " << st.ToString();
    return s;
  }();
  return server.get();
}

std::unique_ptr<TaskStore> FreshPgStore() {
  if (Server() == nullptr) return nullptr;
  PgStoreOptions o;
  Status s = Server()->FreshSchema(&o.connect.conninfo);
  if (!s.ok()) {
    ADD_FAILURE() << s.ToString();
    return nullptr;
  }
  std::unique_ptr<PgStore> store;
  s = PgStore::Open(o, &store);
  if (!s.ok()) {
    ADD_FAILURE() << "cannot open the PostgreSQL store: " << s.ToString();
    return nullptr;
  }
  return store;
}

}  // namespace

namespace store_test {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"postgres", FreshPgStore}),
                         StoreFactoryName);

}  // namespace store_test
}  // namespace taskexec
