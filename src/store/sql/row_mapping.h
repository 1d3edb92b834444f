// One table per record type mapping its fields onto SQL columns by name,
// so the SELECT, INSERT and UPDATE statements and the row readers are all
// generated from the same list: adding a field is one line in that table.
//
// A Column<R> names a column, reads it from the current result row into an
// R and binds R's value as a statement parameter. `read` is null for columns
// that are written but never read back (derived values such as
// priority_weight); `bind` is null for none.
//
// Thread-safety: the tables are constants; the functions touch only the
// caller's statement and record.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/sql/bound_values.h"
#include "store/sql/sql_db.h"

namespace taskexec::sql {

template <typename R>
struct Column {
  const char* name;
  Status (*read)(const Stmt& row, int col, R* out);
  void (*bind)(Stmt& q, int param, const R& in);
};

// Plain reads: NULL is "" / 0 / nullopt.
inline void ReadValue(const Stmt& r, int c, std::string* v) { *v = r.Text(c); }
inline void ReadValue(const Stmt& r, int c, int64_t* v) { *v = r.Int(c); }
inline void ReadValue(const Stmt& r, int c, int* v) { *v = static_cast<int>(r.Int(c)); }
inline void ReadValue(const Stmt& r, int c, bool* v) { *v = r.Int(c) != 0; }
inline void ReadValue(const Stmt& r, int c, double* v) { *v = r.IsNull(c) ? 0.0 : r.Real(c); }
inline void ReadValue(const Stmt& r, int c, std::optional<int>* v) {
  *v = r.IsNull(c) ? std::nullopt : std::optional<int>(static_cast<int>(r.Int(c)));
}

inline void ReadValue(const Stmt& r, int c, std::optional<double>* v) {
  *v = r.IsNull(c) ? std::nullopt : std::optional<double>(r.Real(c));
}

// A column that is the member `M` of R as it is, read and written plainly.
template <typename R, auto M>
constexpr Column<R> Field(const char* name) {
  return Column<R>{name,
                   [](const Stmt& r, int c, R* out) {
                     ReadValue(r, c, &(out->*M));
                     return Status::OK();
                   },
                   [](Stmt& q, int i, const R& in) { q.BindOne(i, in.*M); }};
}

// A column that is the member `Inner` of R's member `Outer` (a record's
// AgentUsage figures, each in a column of its own).
template <typename R, auto Outer, auto Inner>
constexpr Column<R> NestedField(const char* name) {
  return Column<R>{name,
                   [](const Stmt& r, int c, R* out) {
                     ReadValue(r, c, &((out->*Outer).*Inner));
                     return Status::OK();
                   },
                   [](Stmt& q, int i, const R& in) { q.BindOne(i, (in.*Outer).*Inner); }};
}

// "a, b, c": every readable column (all of them when `readable_only` is false).
template <typename R>
std::string ColumnList(const std::vector<Column<R>>& columns, bool readable_only) {
  std::string out;
  for (const Column<R>& c : columns) {
    if (readable_only && c.read == nullptr) continue;
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

// Reads the readable columns of the current row, in ColumnList order.
template <typename R>
Status ReadRow(const std::vector<Column<R>>& columns, const Stmt& row, R* out) {
  int col = 0;
  for (const Column<R>& c : columns) {
    if (c.read == nullptr) continue;
    if (Status s = c.read(row, col++, out); !s.ok()) return s;
  }
  return Status::OK();
}

// "INSERT INTO table (<all columns>) VALUES (?, ...)".
template <typename R>
std::string InsertSql(const char* table, const std::vector<Column<R>>& columns) {
  std::string marks;
  for (size_t i = 0; i < columns.size(); ++i) marks += i ? ",?" : "?";
  return std::string("INSERT INTO ") + table + " (" + ColumnList(columns, false) + ") VALUES (" +
         marks + ")";
}

// Binds every column from parameter 1 on; returns the next free parameter
// index.
template <typename R>
int BindColumns(const std::vector<Column<R>>& columns, Stmt& q, const R& in) {
  int param = 1;
  for (const Column<R>& c : columns) c.bind(q, param++, in);
  return param;
}

// Every column but `key`, in table order (a whole-row UPDATE's SET list).
template <typename R>
std::vector<const Column<R>*> AllColumnsBut(const std::vector<Column<R>>& columns,
                                            const std::string& key) {
  std::vector<const Column<R>*> all;
  for (const Column<R>& c : columns) {
    if (c.name != key) all.push_back(&c);
  }
  return all;
}

// The columns but `key` whose bound value differs between `stored` and
// `in`, in table order: an UPDATE that sets only those leaves every index
// on the other columns alone (a SET of an unchanged value still rewrites
// the index entries that hold it).
template <typename R>
std::vector<const Column<R>*> ChangedColumns(const std::vector<Column<R>>& columns, const R& stored,
                                             const R& in, const std::string& key) {
  BoundValues before, after;
  {
    Stmt a(before, "");
    BindColumns(columns, a, stored);
    Stmt b(after, "");
    BindColumns(columns, b, in);
  }
  std::vector<const Column<R>*> changed;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == key) continue;
    if (before.values()[i] != after.values()[i]) changed.push_back(&columns[i]);
  }
  return changed;
}

// "UPDATE table SET a=?, ... " for `columns` (callers append the WHERE
// clause); BindSome binds in the same order.
template <typename R>
std::string UpdateSql(const char* table, const std::vector<const Column<R>*>& columns) {
  std::string out = std::string("UPDATE ") + table + " SET ";
  for (size_t i = 0; i < columns.size(); ++i) {
    out += i ? ", " : "";
    out += std::string(columns[i]->name) + "=?";
  }
  return out + " ";
}

// Binds `columns` from parameter 1 on; returns the next free index.
template <typename R>
int BindSome(const std::vector<const Column<R>*>& columns, Stmt& q, const R& in) {
  int param = 1;
  for (const Column<R>* c : columns) c->bind(q, param++, in);
  return param;
}

}  // namespace taskexec::sql
