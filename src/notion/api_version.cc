#include "notion/api_version.h"

namespace taskexec::notion {

const std::vector<ApiVersionTraits>& ApiVersions() {
  // Notion's changes per version ("Changes by version" and the upgrade
  // guides). None of these has an announced retirement date.
  static const std::vector<ApiVersionTraits> kVersions = {
      {"2022-06-28", false, false, StatusGroupFilters::kNone, false, ""},
      {"2025-09-03", true, false, StatusGroupFilters::kNone, false, ""},
      {"2026-03-11", true, false, StatusGroupFilters::kBeta, false, ""},
      {"2026-12-01", true, true, StatusGroupFilters::kNative, true, ""},
  };
  return kVersions;
}

const ApiVersionTraits* FindApiVersion(std::string_view name) {
  for (const ApiVersionTraits& v : ApiVersions())
    if (name == v.name) return &v;
  return nullptr;
}

std::string ApiVersionAdvice(std::string_view name, const std::vector<ApiVersionTraits>& versions) {
  const ApiVersionTraits* v = nullptr;
  for (const ApiVersionTraits& entry : versions)
    if (name == entry.name) v = &entry;
  if (v == nullptr) return "Notion-Version " + std::string(name) + " is not supported by taskexec";
  if (v->retires[0] != '\0')
    return "Notion retires Notion-Version " + std::string(name) + " on " + v->retires +
           "; move to " + kLatestApiVersion + " (docs/notion.md, \"API versions\")";
  if (name != kLatestApiVersion)
    return "Notion-Version " + std::string(name) + " is older than " + kLatestApiVersion +
           ", the newest taskexec supports (docs/notion.md, \"API versions\")";
  return "";
}

}  // namespace taskexec::notion
