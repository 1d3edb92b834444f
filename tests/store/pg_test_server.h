// The shared throwaway PostgreSQL server (pg_server.h) for gtest tests: a
// failure is reported to the test that asked.
#pragma once

#include <gtest/gtest.h>

#include "store/pg_server.h"

namespace taskexec::store_test {

// The binary's server, or nullptr after adding a test failure saying why.
inline PgServer* TestPgServer() {
  Status why;
  PgServer* server = SharedPgServer(&why);
  if (server == nullptr) ADD_FAILURE() << "cannot start a PostgreSQL server: " << why.ToString();
  return server;
}

}  // namespace taskexec::store_test
