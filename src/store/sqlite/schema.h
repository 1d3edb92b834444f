// The SQLite schema of taskexec and its versioned migrations.
//
// The schema version lives in `PRAGMA user_version` (0 = empty database).
// Migration N moves a database from version N-1 to N. Opening a store applies
// every pending migration in one BEGIN IMMEDIATE transaction, so two processes
// opening a fresh file at once cannot both migrate it, and a failure leaves
// the previous version intact. A database written by a newer taskexec (a
// version above LatestSchemaVersion()) is refused rather than guessed at.
//
// Column names follow the Task/SessionExecution/Artifact fields in
// core/domain.h, which are the property names the shared graph uses.
//
// Thread-safety: pure data plus functions over a caller-owned Connection.
#pragma once

#include <vector>

#include "core/status.h"
#include "store/sqlite/sqlite_db.h"

namespace taskexec::sqlite {

struct Migration {
  int version;              // the schema version after this migration
  const char* description;  // for logs and errors
  const char* sql;          // one or more statements, no parameters
};

// All migrations, in order, version 1..LatestSchemaVersion().
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

Status ReadSchemaVersion(Connection& conn, int* version);

// Brings the database up to LatestSchemaVersion(). Must run inside a write
// transaction (WriteTxn), which makes the upgrade all-or-nothing and keeps a
// second process from migrating concurrently. InvalidArgument when the file's
// version is newer than this build knows.
Status ApplyMigrations(Connection& conn);

}  // namespace taskexec::sqlite
