// BoundValues: the values a statement's parameters were bound to, recorded
// instead of run. Two versions of a record bind their columns through the
// same code, so comparing what they bind finds the changed columns without a
// comparison written per column (derived columns such as priority_weight
// included).
//
// Thread-safety: a BoundValues is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/sql/sql_db.h"

namespace taskexec::sql {

// NULL, an integer, a real or text (text and blobs alike: bytes).
using BoundValue = std::variant<std::monostate, int64_t, double, std::string>;

// A Connection whose statements only record their bindings: Step, Run and
// Exec fail with Internal. values()[i] is parameter i + 1.
class BoundValues final : public Connection {
 public:
  std::unique_ptr<StatementImpl> NewStatement(std::string_view sql) override;
  Status Exec(std::string_view sql) override;

  const std::vector<BoundValue>& values() const { return values_; }

 private:
  std::vector<BoundValue> values_;
};

}  // namespace taskexec::sql
