// A database file read and written with a plain SQLite connection (the
// default VFS, no store), as another tool would: for tests that look at
// what the store left in the file.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

namespace taskexec::store_test {

// Runs SQL (several statements allowed) on the file.
inline void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << "\n" << sql;
  sqlite3_free(err);
  sqlite3_close(db);
}

// Column `column` of every row `sql` gives.
inline std::vector<std::string> RawColumn(const std::string& path, const std::string& sql,
                                          int column) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  std::vector<std::string> values;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, column);
    values.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return values;
}

// The first column of the first row `sql` gives, as a number; -1 for none.
inline int64_t RawCount(const std::string& path, const std::string& sql) {
  const std::vector<std::string> rows = RawColumn(path, sql, 0);
  return rows.empty() ? -1 : std::stoll(rows[0]);
}

}  // namespace taskexec::store_test
