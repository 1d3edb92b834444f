// Readers of one field of a JSON object that never throw. nlohmann's
// value(key, default) throws when the key holds another type, and the bytes
// read here come from outside (Notion, an agent's CLI, another process's
// store records): a field of the wrong type reads as absent instead.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace taskexec {

// j[key] when j is an object and it is a string, else "".
std::string JsonString(const nlohmann::json& j, const char* key);
// j[key] when it is a boolean, else `otherwise`.
bool JsonBool(const nlohmann::json& j, const char* key, bool otherwise = false);
// j[key] when it is an integer, else `otherwise`.
int64_t JsonInt(const nlohmann::json& j, const char* key, int64_t otherwise = 0);

}  // namespace taskexec
