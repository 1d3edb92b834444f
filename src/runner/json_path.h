// Reading agent output documents by key path, never throwing: a missing key,
// or a step through something that is not an object, gives nothing.
//
// Thread-safety: pure functions.
#pragma once

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace taskexec {

// The value at `path` ({"result", "meta", "agentMeta"}), or null when absent.
inline const nlohmann::json* JsonAt(const nlohmann::json& j,
                                    std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// The string at `path`, or "" when absent or not a string.
inline std::string JsonStringAt(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* v = JsonAt(j, path);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace taskexec
