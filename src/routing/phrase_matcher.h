// PhraseMatcher: whole-word matching for the custom keywords of
// RoutingConfig::mapping ("security", "frontend", "machine learning").
//
// The phrase is split into words like the task text (text_scan.h); it
// matches where the same words appear consecutively. The last word may carry
// a regular English ending, so "deploy" also matches "deploys", "deployed",
// "deploying", and "secure" matches "secures", "secured", "securing":
// accepted are the word itself, +s, +es, +ed, +ing, and for words ending in
// "e" also +d and the "e" replaced by "ing". Irregular forms ("built") need
// their own entry.
//
// Thread-safety: immutable after construction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/text_scan.h"

namespace taskexec::routing {

class PhraseMatcher {
 public:
  explicit PhraseMatcher(std::string_view phrase);

  // False when the phrase has no letters or digits (it can never match).
  bool valid() const { return !words_.empty(); }

  // The first place the phrase occurs, as a view of `text.lower` from its
  // first to its last word (showing the inflection), or nullopt.
  std::optional<std::string_view> FindIn(const ScannedText& text) const;

 private:
  static bool LastWordMatches(std::string_view base, std::string_view word);
  std::vector<std::string> words_;
};

}  // namespace taskexec::routing
