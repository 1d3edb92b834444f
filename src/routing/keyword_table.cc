#include "routing/keyword_table.h"

#include <unordered_map>

namespace taskexec::routing {

const std::vector<KeywordEntry>& BuiltinKeywordTable() {
  // Order and agents are the routing existing boards rely on (docs/
  // routing.md); the word forms are this project's choice. "devops" is
  // listed under "ops": it plainly means ops work.
  static const std::vector<KeywordEntry> kTable = {
      {"research", "mongke", {"research", "researches", "researched", "researching"}},
      {"investigate",
       "mongke",
       {"investigate", "investigates", "investigated", "investigating", "investigation",
        "investigations"}},
      {"analyze",
       "jochi",
       {"analyze", "analyzes", "analyzed", "analyzing", "analyse", "analyses", "analysed",
        "analysing", "analysis"}},
      {"audit", "jochi", {"audit", "audits", "audited", "auditing"}},
      {"write", "chagatai", {"write", "writes", "writing", "written", "wrote"}},
      {"document",
       "chagatai",
       {"document", "documents", "documented", "documenting", "documentation"}},
      {"compose", "chagatai", {"compose", "composes", "composed", "composing"}},
      {"build", "temujin", {"build", "builds", "building", "built"}},
      {"develop", "temujin", {"develop", "develops", "developed", "developing", "development"}},
      {"code", "temujin", {"code", "codes", "coded", "coding"}},
      {"implement",
       "temujin",
       {"implement", "implements", "implemented", "implementing", "implementation"}},
      {"refactor", "temujin", {"refactor", "refactors", "refactored", "refactoring"}},
      {"fix", "temujin", {"fix", "fixes", "fixed", "fixing"}},
      {"ops", "ogedei", {"ops", "devops"}},
      {"deploy",
       "ogedei",
       {"deploy", "deploys", "deployed", "deploying", "deployment", "deployments"}},
      {"monitor", "ogedei", {"monitor", "monitors", "monitored", "monitoring"}},
      {"maintain", "ogedei", {"maintain", "maintains", "maintained", "maintaining", "maintenance"}},
      {"orchestrate",
       "kublai",
       {"orchestrate", "orchestrates", "orchestrated", "orchestrating", "orchestration"}},
      {"coordinate",
       "kublai",
       {"coordinate", "coordinates", "coordinated", "coordinating", "coordination"}},
      {"review", "kublai", {"review", "reviews", "reviewed", "reviewing"}},
  };
  return kTable;
}

namespace {

// form -> index of the entry that lists it. Forms are unique across entries
// (checked by the tests), so one index per form is enough.
const std::unordered_map<std::string_view, size_t>& FormIndex() {
  static const std::unordered_map<std::string_view, size_t> kIndex = [] {
    std::unordered_map<std::string_view, size_t> index;
    const auto& table = BuiltinKeywordTable();
    for (size_t i = 0; i < table.size(); ++i) {
      for (std::string_view form : table[i].forms) index.emplace(form, i);
    }
    return index;
  }();
  return kIndex;
}

}  // namespace

std::optional<KeywordHit> FirstBuiltinKeyword(const ScannedText& text) {
  const auto& index = FormIndex();
  std::optional<KeywordHit> best;
  for (const Word& word : text.words) {
    auto it = index.find(word.text);
    if (it == index.end()) continue;
    if (!best || it->second < best->entry) {
      best = KeywordHit{it->second, it->first};
      if (best->entry == 0) break;  // nothing can beat the first entry
    }
  }
  return best;
}

}  // namespace taskexec::routing
