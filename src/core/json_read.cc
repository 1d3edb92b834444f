#include "core/json_read.h"

namespace taskexec {

std::string JsonString(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

bool JsonBool(const nlohmann::json& j, const char* key, bool otherwise) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : otherwise;
}

int64_t JsonInt(const nlohmann::json& j, const char* key, int64_t otherwise) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>()
                                                                        : otherwise;
}

}  // namespace taskexec
