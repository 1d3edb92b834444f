// Query filter and sort evaluation for FakeNotionServer, following the
// filter object of Notion's query endpoints (notion-api.md §3.1): compound
// and/or (nested), timestamp filters on created_time/last_edited_time, and
// property filters for title, rich_text, select, status, multi_select,
// number, checkbox and url/email/phone_number.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace taskexec::fakes {

// What the request's Notion-Version (and Notion-Beta header) allow for
// status filters.
struct FilterRules {
  // `{"status": {"group": {"equals"|"does_not_equal": "<group name>"}}}`:
  // with the Notion-Beta header status-group-filters-2026-10-06, and on
  // 2026-12-01 without it.
  bool status_group_operators = false;
  // Before 2026-12-01, a status `equals`/`does_not_equal` value that names
  // no option but names a group matches that group.
  bool status_equals_matches_group = true;
};

// Evaluates `filter` on a page (response shape, every property). `schema`
// maps property names to {id, type, ...}. Returns false with `error` set (a
// Notion validation_error message) when the filter is malformed or names
// an unknown property or the wrong type.
bool EvalFilter(const nlohmann::json& filter, const nlohmann::json& schema,
                const nlohmann::json& page, bool* match, std::string* error,
                const FilterRules& rules = {});

// Three-way comparison of two pages under `sorts`; ties broken by id.
// Returns false with `error` on a malformed sort.
bool ComparePages(const nlohmann::json& sorts, const nlohmann::json& schema,
                  const nlohmann::json& a, const nlohmann::json& b, int* result,
                  std::string* error);

// The plain text of a property value (title/rich_text joined, select name,
// number as text, ...).
std::string PropertyText(const nlohmann::json& value);

}  // namespace taskexec::fakes
