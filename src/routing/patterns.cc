#include "routing/patterns.h"

#include <cstddef>
#include <initializer_list>
#include <unordered_map>
#include <utility>

namespace taskexec::routing {
namespace {

// Maps each accepted word form to the base word reported in the detail.
class WordSet {
 public:
  WordSet(
      std::initializer_list<std::pair<std::string_view, std::initializer_list<std::string_view>>>
          groups) {
    for (const auto& [base, forms] : groups) {
      map_.emplace(base, base);
      for (std::string_view form : forms) map_.emplace(form, base);
    }
  }
  // The base word of `word`, or empty when it is not in the set.
  std::string_view Find(std::string_view word) const {
    auto it = map_.find(word);
    return it == map_.end() ? std::string_view() : it->second;
  }

 private:
  std::unordered_map<std::string_view, std::string_view> map_;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// True when words i and i+1 exist and only whitespace separates them, as the
// original's `\s+\w+` required ("followed by a word").
bool FollowedByWord(const ScannedText& text, size_t i) {
  if (i + 1 >= text.words.size()) return false;
  size_t from = text.words[i].end;
  size_t to = text.words[i + 1].begin;
  if (from == to) return false;
  for (size_t k = from; k < to; ++k) {
    if (!IsSpace(text.lower[k])) return false;
  }
  return true;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

const WordSet& SourceExtensions() {
  static const WordSet kSet({{"py", {}},
                             {"js", {}},
                             {"ts", {}},
                             {"go", {}},
                             {"rs", {}},
                             {"java", {}},
                             {"cpp", {}},
                             {"c", {}},
                             {"h", {}}});
  return kSet;
}

// Word i is the last dot-separated part of a file name: "main.py" yes,
// "archive.py.bak" no, ". py" no.
bool IsFileExtension(const ScannedText& text, size_t i) {
  const Word& w = text.words[i];
  const std::string& s = text.lower;
  if (w.begin < 2 || s[w.begin - 1] != '.') return false;
  if (!IsWordByte(static_cast<unsigned char>(s[w.begin - 2]))) return false;
  if (w.end + 1 < s.size() && s[w.end] == '.' &&
      IsWordByte(static_cast<unsigned char>(s[w.end + 1]))) {
    return false;
  }
  return true;
}

// "from <dotted.module> import" starting at word i ("from").
bool IsPythonFromImport(const ScannedText& text, size_t i) {
  const std::string& s = text.lower;
  size_t k = text.words[i].end;
  size_t spaces = k;
  while (k < s.size() && IsSpace(s[k])) ++k;
  if (k == spaces) return false;
  size_t module = k;
  while (k < s.size() &&
         (IsWordByte(static_cast<unsigned char>(s[k])) || s[k] == '.' || s[k] == '_')) {
    ++k;
  }
  if (k == module) return false;
  spaces = k;
  while (k < s.size() && IsSpace(s[k])) ++k;
  if (k == spaces) return false;
  constexpr std::string_view kImport = "import";
  if (s.compare(k, kImport.size(), kImport) != 0) return false;
  size_t after = k + kImport.size();
  return after == s.size() || !IsWordByte(static_cast<unsigned char>(s[after]));
}

}  // namespace

std::optional<PatternHit> MatchCodePattern(const ScannedText& text) {
  static const WordSet kDeclarations(
      {{"function", {}}, {"class", {}}, {"def", {}}, {"import", {}}});
  static const WordSet kCodeWords({
      {"refactor", {"refactors", "refactored", "refactoring"}},
      {"implement", {"implements", "implemented", "implementing", "implementation"}},
      {"bug", {"bugs", "buggy"}},
      {"fix", {"fixes", "fixed", "fixing"}},
      {"error", {"errors"}},
      {"exception", {"exceptions"}},
  });
  const auto& words = text.words;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view ext = SourceExtensions().Find(words[i].text);
    if (!ext.empty() && IsFileExtension(text, i)) {
      return PatternHit{"pattern:code", "temujin", "file extension ." + std::string(ext)};
    }
  }
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view decl = kDeclarations.Find(words[i].text);
    if (!decl.empty() && FollowedByWord(text, i)) {
      return PatternHit{"pattern:code", "temujin",
                        "code keyword " + Quoted(decl) + " followed by a word"};
    }
    if (words[i].text == "from" && IsPythonFromImport(text, i)) {
      return PatternHit{"pattern:code", "temujin", "python \"from ... import\""};
    }
  }
  for (const Word& w : words) {
    std::string_view base = kCodeWords.Find(w.text);
    if (!base.empty()) return PatternHit{"pattern:code", "temujin", "word " + Quoted(base)};
  }
  return std::nullopt;
}

std::optional<PatternHit> MatchResearchPattern(const ScannedText& text) {
  static const WordSet kResearchVerbs({
      {"research", {"researches", "researched", "researching"}},
      {"investigate", {"investigates", "investigated", "investigating"}},
      {"explore", {"explores", "explored", "exploring"}},
      {"study", {"studies", "studied", "studying"}},
      {"analyze",
       {"analyzes", "analyzed", "analyzing", "analyse", "analyses", "analysed", "analysing"}},
  });
  static const WordSet kQuestionWords(
      {{"what", {}}, {"how", {}}, {"why", {}}, {"when", {}}, {"where", {}}});
  static const WordSet kQuestionVerbs({{"is", {}}, {"are", {}}, {"does", {}}, {"do", {}}});
  static const WordSet kComparisons({
      {"compare", {"compares", "compared", "comparing", "comparison"}},
      {"contrast", {"contrasts", "contrasted", "contrasting"}},
      {"evaluate", {"evaluates", "evaluated", "evaluating", "evaluation"}},
      {"assess", {"assesses", "assessed", "assessing", "assessment"}},
  });
  const auto& words = text.words;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view verb = kResearchVerbs.Find(words[i].text);
    if (!verb.empty() && FollowedByWord(text, i)) {
      return PatternHit{"pattern:research", "mongke", Quoted(verb) + " followed by a word"};
    }
  }
  for (size_t i = 0; i < words.size(); ++i) {
    if (kQuestionWords.Find(words[i].text).empty() || !FollowedByWord(text, i)) continue;
    if (!kQuestionVerbs.Find(words[i + 1].text).empty()) {
      return PatternHit{
          "pattern:research", "mongke",
          "question \"" + std::string(words[i].text) + " " + std::string(words[i + 1].text) + "\""};
    }
  }
  for (const Word& w : words) {
    std::string_view base = kComparisons.Find(w.text);
    if (!base.empty()) return PatternHit{"pattern:research", "mongke", "word " + Quoted(base)};
  }
  return std::nullopt;
}

std::optional<PatternHit> MatchWritingPattern(const ScannedText& text) {
  static const WordSet kWritingWords({
      {"write", {"writes", "writing", "written", "wrote"}},
      {"compose", {"composes", "composed", "composing"}},
      {"draft", {"drafts", "drafted", "drafting"}},
      {"document", {"documents", "documented", "documenting", "documentation"}},
      {"summarize",
       {"summarizes", "summarized", "summarizing", "summarise", "summarises", "summarised",
        "summarising"}},
      {"blog", {"blogs"}},
      {"post", {"posts"}},
      {"article", {"articles"}},
      {"doc", {"docs"}},
      {"readme", {"readmes"}},
      {"guide", {"guides"}},
  });
  for (const Word& w : text.words) {
    std::string_view base = kWritingWords.Find(w.text);
    if (!base.empty()) return PatternHit{"pattern:writing", "chagatai", "word " + Quoted(base)};
  }
  return std::nullopt;
}

std::optional<PatternHit> MatchPatterns(const ScannedText& text) {
  if (auto hit = MatchCodePattern(text)) return hit;
  if (auto hit = MatchResearchPattern(text)) return hit;
  return MatchWritingPattern(text);
}

}  // namespace taskexec::routing
