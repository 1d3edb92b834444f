#include "routing/phrase_matcher.h"

namespace taskexec::routing {

PhraseMatcher::PhraseMatcher(std::string_view phrase) {
  ScannedText scanned;
  ScanText(phrase, &scanned);
  for (const Word& w : scanned.words) words_.emplace_back(w.text);
}

bool PhraseMatcher::LastWordMatches(std::string_view base, std::string_view word) {
  if (word.size() < base.size() || word.substr(0, base.size()) != base) {
    // Only "e" -> "ing" can make the word differ inside the base.
    if (base.size() >= 2 && base.back() == 'e') {
      std::string_view stem = base.substr(0, base.size() - 1);
      return word.size() == stem.size() + 3 && word.substr(0, stem.size()) == stem &&
             word.substr(stem.size()) == "ing";
    }
    return false;
  }
  std::string_view suffix = word.substr(base.size());
  if (suffix.empty() || suffix == "s" || suffix == "es" || suffix == "ed" || suffix == "ing") {
    return true;
  }
  return base.back() == 'e' && suffix == "d";
}

std::optional<std::string_view> PhraseMatcher::FindIn(const ScannedText& text) const {
  if (words_.empty() || text.words.size() < words_.size()) return std::nullopt;
  const size_t n = words_.size();
  for (size_t i = 0; i + n <= text.words.size(); ++i) {
    bool match = true;
    for (size_t k = 0; k + 1 < n && match; ++k) match = text.words[i + k].text == words_[k];
    if (match && LastWordMatches(words_[n - 1], text.words[i + n - 1].text)) {
      size_t begin = text.words[i].begin;
      return std::string_view(text.lower).substr(begin, text.words[i + n - 1].end - begin);
    }
  }
  return std::nullopt;
}

}  // namespace taskexec::routing
