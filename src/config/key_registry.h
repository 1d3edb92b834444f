// The registry of configuration keys: one entry per setting, naming its
// dotted TOML key, its environment variable, where it lives in Config, and
// what values are allowed. The file loader, the environment/flag loader,
// ValidateConfig and DescribeConfig all walk this one table, so a key cannot
// be readable from one source and forgotten by another.
//
// Thread-safety: the table is immutable (built once, on first use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/config.h"

namespace taskexec::config_internal {

using StringPairs = std::vector<std::pair<std::string, std::string>>;
using StringMap = std::map<std::string, std::string>;
using IntMap = std::map<std::string, int>;

// A pointer to the field a key sets; the alternative is the value's type.
using FieldPtr = std::variant<int*, size_t*, double*, bool*, std::string*,
                              std::vector<std::string>*, StringMap*, IntMap*, StringPairs*>;

struct KeySpec {
  std::string_view name;  // dotted TOML key: "executor.max_retries", "log_level"
  std::string_view env;   // the environment variable that sets it
  FieldPtr (*field)(Config*) = nullptr;
  // Numeric range (ints, sizes, int map values, doubles), inclusive.
  double min = 0;
  double max = 0;
  bool has_range = false;
  std::vector<std::string_view> allowed;  // for strings: the allowed values
  // Extra rule for strings (and for each entry of a list of strings):
  // returns "" when `value` is allowed, else what is allowed ("host:port,
  // e.g. 127.0.0.1:8080").
  std::string (*check_string)(const std::string& value) = nullptr;
  bool non_empty = false;  // strings: must not be empty
  bool secret = false;     // redacted by DescribeConfig
  // Strings that hold a secret inside (a connection string's password):
  // DescribeConfig prints redact(value), and the variable and the part
  // secret_part(value) are withheld from agents like a secret's.
  std::string (*redact)(std::string_view value) = nullptr;
  std::string (*secret_part)(std::string_view value) = nullptr;
};

const std::vector<KeySpec>& AllKeys();
const KeySpec* FindKey(std::string_view dotted_name);

// The field of `spec` in `config`, read-only use only.
FieldPtr FieldOf(const KeySpec& spec, const Config& config);

// "" when the current value of `spec` in `config` is allowed; otherwise the
// problem, e.g. `-1 is not allowed; expected an integer 0..100`.
std::string CheckValue(const KeySpec& spec, const Config& config);

// The value as text for messages and DescribeConfig: strings quoted, lists
// and maps in TOML inline syntax.
std::string FormatValue(const FieldPtr& field);

// "an integer", "a JSON array of strings", ... for the value's type.
std::string_view TypeName(const FieldPtr& field);

// Where each key's current value came from: "default" (absent),
// "/etc/taskexec.toml line 4", "TASK_EXECUTOR_MAX_RETRIES", "flag store.db_path".
using Origins = std::map<std::string, std::string>;

// "executor.max_retries (from TASK_EXECUTOR_MAX_RETRIES): <problem>"; the
// origin part is left out when `origin` is empty.
std::string KeyError(std::string_view key, const std::string& origin, const std::string& problem);

// The section of a dotted key ("executor" for "executor.max_retries", "" for
// top-level keys) and the key within it.
std::string_view SectionOf(std::string_view name);
std::string_view LeafOf(std::string_view name);

}  // namespace taskexec::config_internal
