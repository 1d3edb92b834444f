// The fall-back patterns, tried after the keyword tables and in this order
// (docs/routing.md):
//   code -> temujin:     a word ending in a source file extension
//                        (py js ts go rs java cpp c h), e.g. "main.py";
//                        function/class/def/import followed by a word, or
//                        Python's "from <module> import";
//                        refactor/implement/bug/fix/error/exception
//   research -> mongke:  research/investigate/explore/study/analyze followed
//                        by a word; a question (what/how/why/when/where
//                        directly followed by is/are/does/do);
//                        compare/contrast/evaluate/assess
//   writing -> chagatai: write/compose/draft/document/summarize;
//                        blog/post/article/doc/readme/guide
// Words are matched whole (text_scan.h) with their common inflections.
// "from" alone is not a code sign (it is in most English sentences); only the
// Python import form counts. See docs/routing.md.
//
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "routing/text_scan.h"

namespace taskexec::routing {

struct PatternHit {
  std::string_view rule;   // "pattern:code" | "pattern:research" | "pattern:writing"
  std::string_view agent;  // temujin | mongke | chagatai
  std::string detail;      // what matched, e.g. `file extension .py`
};

std::optional<PatternHit> MatchCodePattern(const ScannedText& text);
std::optional<PatternHit> MatchResearchPattern(const ScannedText& text);
std::optional<PatternHit> MatchWritingPattern(const ScannedText& text);

// The three above, in order; the first hit wins.
std::optional<PatternHit> MatchPatterns(const ScannedText& text);

}  // namespace taskexec::routing
