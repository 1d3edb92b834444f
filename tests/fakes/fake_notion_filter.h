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

// Evaluates `filter` on a page (response shape). `schema` maps property
// names to {id, type}. Returns false with `error` set (a Notion
// validation_error message) when the filter is malformed or names an
// unknown property or the wrong type.
bool EvalFilter(const nlohmann::json& filter, const nlohmann::json& schema,
                const nlohmann::json& page, bool* match, std::string* error);

// Three-way comparison of two pages under `sorts`; ties broken by id.
// Returns false with `error` on a malformed sort.
bool ComparePages(const nlohmann::json& sorts, const nlohmann::json& schema,
                  const nlohmann::json& a, const nlohmann::json& b, int* result,
                  std::string* error);

// The plain text of a property value (title/rich_text joined, select name,
// number as text, ...).
std::string PropertyText(const nlohmann::json& value);

}  // namespace taskexec::fakes
