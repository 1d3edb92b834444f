// Task priorities and their one table of names.
//
// The names are the stored and displayed form (the `priority` property and
// JSON field); the weight orders the queue, higher claimed first, and is
// stored beside the name (`priority_weight`) so the stores can index it.
// Notion's P0..P3 options map onto these in notion/property_mapping.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <optional>
#include <string_view>

namespace taskexec {

enum class Priority { kLow = 1, kNormal = 2, kHigh = 3, kCritical = 4 };

std::string_view ToString(Priority p);
// The name's priority, or nullopt for anything that is not one of the four
// names (exact, lower case). An empty text is not a priority either: callers
// that default an absent value do so themselves.
std::optional<Priority> ParsePriority(std::string_view name);
// Reads a stored value: unknown or empty text (written by another tool)
// reads as normal, the weight the stores' queue indexes give it too.
Priority PriorityOrNormal(std::string_view name);
int PriorityWeight(Priority p);  // critical 4, high 3, normal 2, low 1
// "critical, high, normal, low", for error messages.
std::string_view PriorityNames();

}  // namespace taskexec
