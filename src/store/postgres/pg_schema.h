// The PostgreSQL store's schema and its versioned migrations.
//
// The tables live in the first schema of the connection's search_path (set
// it with the conninfo's `options=-csearch_path=NAME` to keep several
// taskexec boards in one database). taskexec_schema records each applied
// migration. ApplyMigrations runs them in one transaction holding a
// transaction-level advisory lock, so services starting at once apply each
// migration exactly once: the others wait for the lock, then find nothing
// left to do. PostgreSQL's DDL is transactional, so a failed migration
// leaves the schema as it was.
//
// Thread-safety: functions over a caller-owned Connection.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/postgres/pg_db.h"

namespace taskexec::pg {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

// The advisory lock every taskexec schema change holds.
inline constexpr int64_t kSchemaLockKey = 0x7461736b65786563;  // "taskexec"

// The applied version, 0 for a database taskexec never used.
Status ReadSchemaVersion(Connection& conn, int* version);

// Brings the schema up to LatestSchemaVersion(); InvalidArgument when the
// database is newer than this build.
Status ApplyMigrations(Connection& conn);

}  // namespace taskexec::pg
