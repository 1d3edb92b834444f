// The Notion-Version values taskexec speaks, and what each one changes in
// the requests taskexec sends and the answers it reads (docs/notion.md,
// "API versions"). Every version-dependent choice in the client and the
// sync asks this table instead of comparing version strings.
//
// Thread-safety: immutable data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taskexec::notion {

// How a status-typed column can be filtered by its groups (To-do, In
// progress, Complete).
enum class StatusGroupFilters {
  kNone,    // only option names (a group name in `equals` matches the group)
  kBeta,    // `group` operators behind the Notion-Beta header below
  kNative,  // `group` operators; `equals` no longer matches a group name
};

struct ApiVersionTraits {
  const char* name;
  // Databases hold data sources: queries and schema go to /v1/data_sources.
  bool data_sources;
  // Search and Query answer only the title property unless the request
  // names the properties it wants (filter_properties).
  bool lists_title_only;
  StatusGroupFilters status_groups;
  // A person's `name` may be null.
  bool null_person_names;
  // The date Notion said it stops serving the version; "" when none was
  // announced.
  const char* retires;
};

inline constexpr char kLatestApiVersion[] = "2026-12-01";
inline constexpr char kStatusGroupBeta[] = "status-group-filters-2026-10-06";

// The supported versions, oldest first.
const std::vector<ApiVersionTraits>& ApiVersions();
// The entry for `name`, or nullptr when taskexec does not speak it.
const ApiVersionTraits* FindApiVersion(std::string_view name);
// What `notion check` says about the version in use: "" when it is the
// latest and nothing is announced, else one line naming the newer version
// or the retirement date. `versions` is the table to judge by.
std::string ApiVersionAdvice(std::string_view name,
                             const std::vector<ApiVersionTraits>& versions = ApiVersions());

}  // namespace taskexec::notion
