// The seam between the SQL store (store/sql: every TaskStore method written
// once, in SQL both engines run) and the engines behind it: SQLite
// (store/sqlite) and PostgreSQL (store/postgres).
//
// An engine provides a Connection that prepares statements, a Database that
// runs transactions with that engine's locking and retry rules, and a
// Dialect: the few pieces of SQL the two engines spell differently.
// Statements use SQLite's placeholders (`?`, `?N`) whatever the engine; the
// PostgreSQL layer rewrites them.
//
// Thread-safety: a Connection and the Stmts made on it belong to one thread
// at a time (the one inside Database::Write/Read). A Database is safe from
// any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/status.h"

namespace taskexec::sql {

// One engine's statement, bound and read by position (parameters from 1,
// columns from 0). Binding records the first error, which the next
// Step()/Run() returns.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void BindInt(int i, int64_t v) = 0;
  virtual void BindReal(int i, double v) = 0;
  virtual void BindText(int i, std::string_view v) = 0;  // any bytes
  virtual void BindNull(int i) = 0;
  // Advances; *row is true while a result row is available.
  virtual Status Step(bool* row) = 0;
  // Runs to completion, ignoring rows.
  virtual Status Run() = 0;
  // Rows the statement changed (INSERT/UPDATE/DELETE), after Run().
  virtual int64_t Changes() const = 0;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Real(int col) const = 0;
  virtual std::string Text(int col) const = 0;  // byte-exact, "" for NULL
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual std::unique_ptr<StatementImpl> NewStatement(std::string_view sql) = 0;
  // Runs parameterless SQL (may hold several statements).
  virtual Status Exec(std::string_view sql) = 0;
};

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// A statement on a Connection, with typed binding.
class Stmt {
 public:
  Stmt(Connection& conn, std::string_view sql) : impl_(conn.NewStatement(sql)) {}

  template <typename... Args>
  Stmt& BindAll(const Args&... args) {
    int i = 1;
    (BindOne(i++, args), ...);
    return *this;
  }
  // Strings are bound with their length, so any byte sequence round trips;
  // std::nullopt and nullptr bind NULL; bool binds 0/1.
  template <typename T>
  void BindOne(int i, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      impl_->BindInt(i, v ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      impl_->BindInt(i, static_cast<int64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      impl_->BindReal(i, static_cast<double>(v));
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      impl_->BindNull(i);
    } else if constexpr (IsOptional<T>::value) {
      if (v) {
        BindOne(i, *v);
      } else {
        impl_->BindNull(i);
      }
    } else {
      impl_->BindText(i, std::string_view(v));
    }
  }

  Status Step(bool* row) { return impl_->Step(row); }
  Status Run() { return impl_->Run(); }
  int64_t Changes() const { return impl_->Changes(); }
  bool IsNull(int col) const { return impl_->IsNull(col); }
  int64_t Int(int col) const { return impl_->Int(col); }
  double Real(int col) const { return impl_->Real(col); }
  std::string Text(int col) const { return impl_->Text(col); }

 private:
  std::unique_ptr<StatementImpl> impl_;
};

// What the two engines spell differently.
struct Dialect {
  // The hint that makes the planner use `index` for the table before it
  // (" INDEXED BY name" in SQLite; "" where the planner takes no hints).
  std::string (*indexed_by)(const char* index);
  // True when `haystack` (an expression) contains `needle` (a parameter),
  // both compared after folding ASCII letters only to lower case.
  std::string (*contains_folded)(const std::string& haystack, const std::string& needle);
  // `column` ordered ignoring ASCII case.
  std::string (*order_folded)(const std::string& column);
  // The strings of the JSON array parameter `param` as a one-column
  // subquery ("SELECT ...").
  std::string (*json_strings)(const std::string& param);
};

// Runs transactions. Both kinds retry the whole of fn when the engine asks
// for it (busy, a serialization failure, a lost connection), so fn must
// only have effects through the database and its out parameters (which it
// must overwrite, not append to).
class Database {
 public:
  virtual ~Database() = default;
  // A read-modify-write: fn's reads see the latest committed state and no
  // other writer's changes until it commits, in this process or another.
  virtual Status Write(const std::function<Status(Connection&)>& fn) = 0;
  // fn sees one consistent snapshot across its statements.
  virtual Status Read(const std::function<Status(Connection&)>& fn) = 0;
  virtual const Dialect& dialect() const = 0;
};

}  // namespace taskexec::sql
