// PropertyMapping: how a Notion task board maps onto taskexec tasks: which
// property holds what, the status options in both directions, priorities,
// and the write shapes for select-typed and status-typed Status properties.
//
// Defaults are the board docs/notion.md describes: Status (select) with
// Backlog, Pending Review, To Do, In Progress, Review, Done, Blocked;
// Priority (select) P0..P3 -> critical/high/normal/low; Agent; Requester;
// "Neo4j Task ID" (rich_text). NotionConfig overrides names and options.
//
// Thread-safety: a PropertyMapping is a value; ValidateSchema mutates it
// (records the title property and optional properties) and must not race
// with readers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/priority.h"
#include "core/status.h"
#include "core/task_status.h"
#include "notion/api_version.h"

namespace taskexec::notion {

using Json = nlohmann::json;

// A task card as read from a page.
struct NotionTaskFields {
  std::string page_id;
  std::string url;
  std::string last_edited_time;
  bool archived = false;  // archived or in_trash
  std::string title;
  std::string description;      // the optional "Description" property, else empty
  std::string status_option;    // as on the page ("" when unset)
  std::string priority_option;  // "P1", ...
  std::string agent;
  std::string requester;
  std::string task_id;  // our id written back earlier, if any
  // The cards of the blocked_by relation (page ids, as Notion lists them);
  // with blocked_by_more the page listed only the first ones and the rest
  // are read from the property item endpoint.
  std::vector<std::string> blocked_by;
  bool blocked_by_more = false;
  // Mapped properties the page came without (Notion lists only what a
  // request names, and only titles by default on 2026-12-01): the page
  // cannot be applied, since an absent value is not an empty one.
  std::vector<std::string> missing;
};

// Longest description taken from a page; longer text is cut (with a warning)
// so one giant page cannot bloat the store or an agent's prompt.
inline constexpr size_t kMaxDescriptionBytes = 32 * 1024;

class PropertyMapping {
 public:
  static PropertyMapping FromConfig(const NotionConfig& config);

  // Checks the table schema ({name: {type, ...}}) against the configured
  // names and types. The error names the property and what is wrong, e.g.
  //   notion property "Status": expected type select, found rich_text
  // Optional properties (Priority, Agent, Requester, Description) that are
  // absent are disabled with a warning in `warnings`.
  Status ValidateSchema(const Json& properties, std::vector<std::string>* warnings);

  // Reads a page. A property is found by its name, else by its id (a
  // column renamed since the schema was read). Once ValidateSchema ran,
  // every mapped property the page lacks is listed in `missing`; odd
  // values yield warnings.
  NotionTaskFields ParsePage(const Json& page, std::vector<std::string>* warnings) const;

  // The ids of the mapped properties (title first), as read by
  // ValidateSchema: what queries and page reads ask Notion for. Empty
  // before ValidateSchema.
  std::vector<std::string> PropertyIds() const;

  // Notion option -> store status (case-insensitive); nullopt if unknown.
  std::optional<TaskStatus> StatusForOption(const std::string& option) const;
  // Store status -> Notion option.
  std::string OptionForStatus(TaskStatus status) const;
  // "P0".."P3" (case-insensitive) -> critical, high, normal, low; nullopt if unknown.
  std::optional<Priority> PriorityForOption(const std::string& option) const;

  // Property values for a PATCH body.
  Json StatusValue(const std::string& option) const;
  Json TaskIdValue(const std::string& task_id) const;
  Json AgentValue(const std::string& agent) const;  // null Json if no agent property

  // Filters for queries.
  Json EditedSinceFilter(const std::string& iso_time) const;
  // For reads of the whole board (the first poll, the full scan): leaves
  // out finished cards, those whose option means completed, cancelled or
  // failed, which are history, not work. A status column is filtered by its
  // groups (`group` operators, as `groups` allows) when a whole group is
  // finished, else by option names. Null when no option means finished or
  // before ValidateSchema.
  Json OpenCardsFilter(StatusGroupFilters groups) const;

  const std::string& status_property() const { return status_property_; }
  const std::string& status_type() const { return status_type_; }
  const std::string& task_id_property() const { return task_id_property_; }
  const std::string& agent_property() const { return agent_property_; }
  // The relation column read as dependencies ("" = none), and its id.
  const std::string& blocked_by_property() const { return blocked_by_property_; }
  std::string blocked_by_property_id() const;
  bool has_agent() const { return !agent_property_.empty(); }

 private:
  // Finds the options (and status groups) that mean a finished card.
  void RecordFinishedOptions(const Json& status_prop);

  std::string title_property_;  // empty until ValidateSchema finds it (or configured)
  std::string status_property_;
  std::string status_type_;  // select | status
  std::string priority_property_;
  std::string agent_property_;
  std::string agent_type_ = "select";
  std::string requester_property_;
  std::string task_id_property_;
  std::string description_property_ = "Description";
  std::string blocked_by_property_;
  bool validated_ = false;
  std::vector<std::string> finished_options_;         // as named in the schema
  std::vector<std::string> finished_groups_;          // status groups of finished options only
  std::vector<std::string> finished_outside_groups_;  // finished options in no such group
  std::map<std::string, std::string> ids_;            // mapped property name -> id
  std::map<TaskStatus, std::string> outbound_;        // store -> option
  std::vector<std::pair<std::string, TaskStatus>> inbound_;  // option (lower) -> store
};

}  // namespace taskexec::notion
