#include "core/priority.h"

#include <array>
#include <string>
#include <utility>

namespace taskexec {
namespace {

constexpr std::array<std::pair<Priority, std::string_view>, 4> kNames{{
    {Priority::kCritical, "critical"},
    {Priority::kHigh, "high"},
    {Priority::kNormal, "normal"},
    {Priority::kLow, "low"},
}};

}  // namespace

std::string_view ToString(Priority p) {
  for (const auto& [value, name] : kNames)
    if (value == p) return name;
  return "normal";
}

std::optional<Priority> ParsePriority(std::string_view name) {
  for (const auto& [value, text] : kNames)
    if (text == name) return value;
  return std::nullopt;
}

Priority PriorityOrNormal(std::string_view name) {
  return ParsePriority(name).value_or(Priority::kNormal);
}

int PriorityWeight(Priority p) { return static_cast<int>(p); }

std::string_view PriorityNames() {
  static const std::string names = [] {
    std::string out;
    for (const auto& [value, name] : kNames) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
  }();
  return names;
}

}  // namespace taskexec
