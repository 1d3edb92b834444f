#include "routing/agent_router.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "routing/keyword_table.h"
#include "routing/patterns.h"
#include "routing/text_scan.h"

namespace taskexec {
namespace {

// Agent names are compared trimmed and lower-cased: Notion's Agent column
// and hand-typed CLI values vary in case and stray spaces.
std::string NormalizeAgent(const std::string& name) {
  size_t begin = name.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = name.find_last_not_of(" \t\r\n");
  std::string out = name.substr(begin, end - begin + 1);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// `keyword "fix"`, or `keyword "fix" (as "fixing")` when an inflection hit.
std::string KeywordDetail(std::string_view label, std::string_view keyword,
                          std::string_view matched) {
  std::string detail = std::string(label) + " " + Quoted(keyword);
  if (matched != keyword) detail += " (as " + Quoted(matched) + ")";
  return detail;
}

}  // namespace

AgentRouter::AgentRouter(const RoutingConfig& config)
    : use_builtin_table_(config.mode != "replace"),
      default_agent_(config.default_agent.empty() ? "main" : NormalizeAgent(config.default_agent)) {
  for (const auto& [keyword, agent] : config.mapping) {
    std::string key = NormalizeAgent(keyword);  // same trim + lower-case
    routing::PhraseMatcher matcher(key);
    // ValidateConfig refuses keywords without letters or digits; skip them
    // here too so a hand-built config cannot add a rule that never fires.
    if (!matcher.valid()) continue;
    custom_.push_back(CustomEntry{std::move(key), NormalizeAgent(agent), std::move(matcher)});
  }
  for (const std::string& agent : config.agents) agents_.push_back(NormalizeAgent(agent));
}

std::vector<std::string> AgentRouter::RoutableAgents() const {
  std::vector<std::string> out = agents_;
  out.push_back(default_agent_);
  for (const CustomEntry& e : custom_) out.push_back(e.agent);
  if (use_builtin_table_) {
    for (const routing::KeywordEntry& e : routing::BuiltinKeywordTable()) out.emplace_back(e.agent);
  }
  for (const char* a : {"temujin", "mongke", "chagatai"}) out.emplace_back(a);  // patterns.h
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string AgentRouter::Fingerprint() const {
  // FNV-1a over every input of Route(), each field length-prefixed.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view s) {
    std::string field = std::to_string(s.size()) + ":" + std::string(s);
    for (unsigned char c : field) h = (h ^ c) * 1099511628211ull;
  };
  mix(std::to_string(kRulesVersion));
  mix(use_builtin_table_ ? "builtin" : "replace");
  mix(default_agent_);
  for (const CustomEntry& e : custom_) {
    mix(e.keyword);
    mix(e.agent);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return "v" + std::to_string(kRulesVersion) + "-" + hex;
}

bool AgentRouter::IsKnownAgent(const std::string& agent) const {
  std::string name = NormalizeAgent(agent);
  return !name.empty() && std::find(agents_.begin(), agents_.end(), name) != agents_.end();
}

RouteDecision AgentRouter::Route(const Task& task) const {
  std::string assigned = NormalizeAgent(task.assigned_to);
  if (!assigned.empty() && assigned != "any") {
    return RouteDecision{assigned, "explicit", "assigned_to " + Quoted(assigned)};
  }
  return RouteText(task.type, task.description, task.title);
}

RouteDecision AgentRouter::RouteText(const std::string& type, const std::string& description,
                                     const std::string& title) const {
  std::string text;
  text.reserve(type.size() + description.size() + title.size() + 2);
  text.append(type).append(" ").append(description).append(" ").append(title);
  routing::ScannedText scanned;
  routing::ScanText(text, &scanned);

  for (const CustomEntry& entry : custom_) {
    if (std::optional<std::string_view> hit = entry.matcher.FindIn(scanned)) {
      return RouteDecision{entry.agent, "custom",
                           KeywordDetail("custom keyword", entry.keyword, *hit)};
    }
  }
  if (use_builtin_table_) {
    if (std::optional<routing::KeywordHit> hit = routing::FirstBuiltinKeyword(scanned)) {
      const routing::KeywordEntry& entry = routing::BuiltinKeywordTable()[hit->entry];
      return RouteDecision{std::string(entry.agent), "keyword",
                           KeywordDetail("keyword", entry.keyword, hit->form)};
    }
  }
  if (std::optional<routing::PatternHit> hit = routing::MatchPatterns(scanned)) {
    return RouteDecision{std::string(hit->agent), std::string(hit->rule), std::move(hit->detail)};
  }
  return RouteDecision{default_agent_, "default", "no rule matched"};
}

}  // namespace taskexec
