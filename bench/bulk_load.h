// Helpers for benches that fill a taskexec SQLite database with raw SQL, as
// another tool would (after the store has created its schema).
#pragma once

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace taskexec::bench {

// Aborts with SQLite's message unless `rc` is a success code.
inline void CheckSqlite(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::abort();
  }
}

// Opens `path` for one bulk transaction, with the pragmas taskexec's own
// connections use for writes (statement journals in memory, a large cache).
inline sqlite3* OpenForBulkLoad(const std::string& path) {
  sqlite3* db = nullptr;
  CheckSqlite(sqlite3_open(path.c_str(), &db), db, "open");
  CheckSqlite(sqlite3_exec(db, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; BEGIN", nullptr,
                           nullptr, nullptr),
              db, "begin");
  return db;
}

inline void CommitAndClose(sqlite3* db) {
  CheckSqlite(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  sqlite3_close(db);
}

}  // namespace taskexec::bench
