// The built-in keyword table, in the order existing boards rely on
// (docs/routing.md), and the word forms each keyword accepts.
//
// A keyword matched as a substring would send "decode" to "code", "stops"
// to "ops" and "prefix" to "fix" (docs/routing.md lists what changed for
// boards that relied on that). So a keyword matches only a whole word
// (see text_scan.h) equal to one of its listed forms: the keyword itself and
// its common inflections ("fix", "fixes", "fixed", "fixing"), plus a few
// derived nouns that name the same work ("documentation", "deployment").
// The `default` entry is not a keyword at all: the default agent comes from
// RoutingConfig::default_agent.
//
// Thread-safety: the table is immutable; the lookup index is built once on
// first use (a function-local static, so initialisation is thread-safe).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "routing/text_scan.h"

namespace taskexec::routing {

struct KeywordEntry {
  std::string_view keyword;  // as documented in docs/routing.md
  std::string_view agent;
  std::vector<std::string_view> forms;  // whole words that count as this keyword
};

// The table, in its documented order: the first entry that matches wins.
const std::vector<KeywordEntry>& BuiltinKeywordTable();

struct KeywordHit {
  size_t entry = 0;       // index into BuiltinKeywordTable()
  std::string_view form;  // the word that matched
};

// The matching entry that comes first in the table (not first in the
// text). One pass over the words.
std::optional<KeywordHit> FirstBuiltinKeyword(const ScannedText& text);

}  // namespace taskexec::routing
