#include "notion/property_mapping.h"

#include <algorithm>
#include <cctype>

#include "notion/notion_client.h"

namespace taskexec::notion {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The default board (docs/notion.md). Order matters for inbound: the first store status
// naming an option is the one a card in that column means.
const std::vector<std::pair<TaskStatus, std::string>>& DefaultOptions() {
  static const std::vector<std::pair<TaskStatus, std::string>> kDefaults = {
      {TaskStatus::kPending, "To Do"},
      {TaskStatus::kSuspended, "Backlog"},
      {TaskStatus::kPendingReview, "Pending Review"},
      {TaskStatus::kInProgress, "In Progress"},
      {TaskStatus::kReview, "Review"},
      {TaskStatus::kCompleted, "Done"},
      {TaskStatus::kBlocked, "Blocked"},
      // Outbound only (never chosen inbound, the options above come first).
      {TaskStatus::kFailed, "Blocked"},
      {TaskStatus::kAssigned, "In Progress"},
      {TaskStatus::kClaimed, "In Progress"},
      {TaskStatus::kRetrying, "In Progress"},
      {TaskStatus::kCancelled, "Backlog"},
      // A question waiting for a person: the card stays In Progress unless
      // the board has a column for it (status_options.needs_input).
      {TaskStatus::kNeedsInput, "In Progress"},
  };
  return kDefaults;
}

// Text of any property value we accept for free-form fields.
std::string ValueText(const Json& v) {
  if (!v.is_object()) return "";
  std::string type = JsonString(v, "type");
  if (type.empty() || !v.contains(type)) return "";
  const Json& x = v[type];
  if (type == "title" || type == "rich_text") return PlainText(x);
  if ((type == "select" || type == "status") && x.is_object()) return JsonString(x, "name");
  if (type == "multi_select" && x.is_array() && !x.empty()) return JsonString(x[0], "name");
  if (type == "people" && x.is_array() && !x.empty()) {
    const Json& p = x[0];
    // A person's name may be null (2026-12-01); the id still names them.
    const std::string name = JsonString(p, "name");
    return name.empty() ? JsonString(p, "id") : name;
  }
  if (x.is_string()) return x.get<std::string>();  // url, email, phone_number
  return "";
}

}  // namespace

PropertyMapping PropertyMapping::FromConfig(const NotionConfig& c) {
  PropertyMapping m;
  m.title_property_ = c.title_property;
  m.status_property_ = c.status_property;
  m.status_type_ = c.status_property_type.empty() ? "select" : c.status_property_type;
  m.priority_property_ = c.priority_property;
  m.agent_property_ = c.agent_property;
  m.requester_property_ = c.requester_property;
  m.task_id_property_ = c.task_id_property;
  m.blocked_by_property_ = c.blocked_by_property;
  for (const auto& [status, option] : DefaultOptions()) m.outbound_[status] = option;
  for (const auto& [key, option] : c.status_options) {
    auto status = ParseTaskStatus(key);
    if (status) m.outbound_[*status] = option;
  }
  // Inbound: configured/default options in the canonical order above.
  for (const auto& [status, unused] : DefaultOptions()) {
    (void)unused;
    std::string option = Lower(m.outbound_[status]);
    bool seen = std::any_of(m.inbound_.begin(), m.inbound_.end(),
                            [&](const auto& e) { return e.first == option; });
    if (!seen) m.inbound_.emplace_back(option, status);
  }
  return m;
}

Status PropertyMapping::ValidateSchema(const Json& props, std::vector<std::string>* warnings) {
  if (!props.is_object()) return Status::Corruption("notion schema: properties is not an object");
  auto type_of = [&](const std::string& name) -> std::string {
    if (!props.contains(name) || !props[name].is_object()) return "";
    return JsonString(props[name], "type");
  };
  auto require = [&](const std::string& what, const std::string& name,
                     const std::vector<std::string>& types) -> Status {
    std::string found = type_of(name);
    std::string expected;
    for (const auto& t : types) expected += (expected.empty() ? "" : " or ") + t;
    if (found.empty())
      return Status::InvalidArgument("notion property \"" + name + "\" (" + what +
                                     ") is missing from the database; expected type " + expected);
    if (std::find(types.begin(), types.end(), found) == types.end())
      return Status::InvalidArgument("notion property \"" + name + "\" (" + what +
                                     "): expected type " + expected + ", found " + found);
    return Status::OK();
  };

  if (title_property_.empty()) {
    for (auto it = props.begin(); it != props.end(); ++it)
      if (JsonString(it.value(), "type") == "title") title_property_ = it.key();
    if (title_property_.empty())
      return Status::InvalidArgument("notion database has no title property");
  } else {
    Status st = require("title", title_property_, {"title"});
    if (!st.ok()) return st;
  }
  if (status_type_ != "select" && status_type_ != "status")
    return Status::InvalidArgument("notion status_property_type must be select or status, not \"" +
                                   status_type_ + "\"");
  Status st = require("status", status_property_, {status_type_});
  if (!st.ok()) return st;
  st = require("task id", task_id_property_, {"rich_text"});
  if (!st.ok()) return st;

  // Status options: a status-type property rejects unknown names on write,
  // so every option we write must exist; a select creates them on write.
  // A schema may name the type yet lack its description ({"type":
  // "select"} alone): then there are no options to check against. (A const
  // Json's operator[] on a missing key is undefined, hence the finds.)
  std::vector<std::string> options;
  const auto property = props.find(status_property_);
  if (property != props.end() && property->is_object()) {
    const auto cfg = property->find(status_type_);
    if (cfg != property->end() && cfg->is_object()) {
      const auto list = cfg->find("options");
      if (list != cfg->end() && list->is_array())
        for (const auto& o : *list) options.push_back(Lower(JsonString(o, "name")));
    }
  }
  for (const auto& [status, option] : outbound_) {
    if (std::find(options.begin(), options.end(), Lower(option)) != options.end()) continue;
    std::string msg = "notion property \"" + status_property_ + "\": option \"" + option +
                      "\" (for " + std::string(ToString(status)) + ") does not exist";
    if (status_type_ == "status") return Status::InvalidArgument(msg);
    if (warnings) warnings->push_back(msg + "; Notion will create it on first write");
  }

  auto optional = [&](std::string* name, const std::string& what,
                      const std::vector<std::string>& types) -> Status {
    if (name->empty()) return Status::OK();
    if (type_of(*name).empty()) {
      if (warnings)
        warnings->push_back("notion property \"" + *name + "\" (" + what +
                            ") is missing; the field is ignored");
      name->clear();
      return Status::OK();
    }
    return require(what, *name, types);
  };
  st = optional(&priority_property_, "priority", {"select", "status"});
  if (!st.ok()) return st;
  st = optional(&agent_property_, "agent", {"select", "rich_text", "multi_select"});
  if (!st.ok()) return st;
  if (!agent_property_.empty()) agent_type_ = type_of(agent_property_);
  st = optional(&requester_property_, "requester",
                {"rich_text", "select", "people", "email", "multi_select", "title"});
  if (!st.ok()) return st;
  if (type_of(description_property_) != "rich_text") description_property_.clear();
  // Configured on purpose, so a board without it is an error, not a warning.
  if (!blocked_by_property_.empty()) {
    st = require("dependencies", blocked_by_property_, {"relation"});
    if (!st.ok()) return st;
  }
  ids_.clear();
  for (const std::string* name :
       {&title_property_, &status_property_, &task_id_property_, &priority_property_,
        &agent_property_, &requester_property_, &description_property_, &blocked_by_property_}) {
    if (name->empty()) continue;
    const std::string id = JsonString(props[*name], "id");
    if (id.empty())
      return Status::InvalidArgument("notion property \"" + *name + "\" has no id in the schema");
    ids_[*name] = id;
  }
  RecordFinishedOptions(props[status_property_]);
  validated_ = true;
  return Status::OK();
}

void PropertyMapping::RecordFinishedOptions(const Json& status_prop) {
  finished_options_.clear();
  finished_groups_.clear();
  finished_outside_groups_.clear();
  const Json& cfg = status_prop.contains(status_type_) ? status_prop[status_type_] : Json();
  if (!cfg.is_object() || !cfg.contains("options") || !cfg["options"].is_array()) return;
  std::vector<std::string> finished_ids;
  for (const Json& o : cfg["options"]) {
    const std::string name = JsonString(o, "name");
    auto status = StatusForOption(name);
    if (!status || !(*status == TaskStatus::kCompleted || *status == TaskStatus::kCancelled ||
                     *status == TaskStatus::kFailed))
      continue;
    finished_options_.push_back(name);
    finished_ids.push_back(JsonString(o, "id"));
  }
  finished_outside_groups_ = finished_options_;  // parallel to finished_ids
  if (!cfg.contains("groups") || !cfg["groups"].is_array()) return;
  for (const Json& g : cfg["groups"]) {
    const Json& ids = g.contains("option_ids") ? g["option_ids"] : Json();
    if (!ids.is_array() || ids.empty()) continue;
    const bool all_finished = std::all_of(ids.begin(), ids.end(), [&](const Json& id) {
      return id.is_string() && std::find(finished_ids.begin(), finished_ids.end(),
                                         id.get<std::string>()) != finished_ids.end();
    });
    if (!all_finished) continue;
    finished_groups_.push_back(JsonString(g, "name"));
    for (const Json& id : ids) {
      auto at = std::find(finished_ids.begin(), finished_ids.end(), id.get<std::string>());
      if (at == finished_ids.end()) continue;  // listed twice
      const size_t i = static_cast<size_t>(at - finished_ids.begin());
      finished_ids.erase(at);
      finished_outside_groups_.erase(finished_outside_groups_.begin() + static_cast<long>(i));
    }
  }
}

std::vector<std::string> PropertyMapping::PropertyIds() const {
  std::vector<std::string> ids;
  auto title = ids_.find(title_property_);
  if (title != ids_.end()) ids.push_back(title->second);
  for (const auto& [name, id] : ids_)
    if (name != title_property_ && std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(id);
  return ids;
}

std::string PropertyMapping::blocked_by_property_id() const {
  auto it = ids_.find(blocked_by_property_);
  return it == ids_.end() ? std::string() : it->second;
}

NotionTaskFields PropertyMapping::ParsePage(const Json& page,
                                            std::vector<std::string>* warnings) const {
  NotionTaskFields f;
  f.page_id = JsonString(page, "id");
  f.url = JsonString(page, "url");
  f.last_edited_time = JsonString(page, "last_edited_time");
  // "archived" is the name before 2026-03-11; "in_trash" is in every version.
  auto flag = [&](const char* key) {
    return page.is_object() && page.contains(key) && page[key].is_boolean() &&
           page[key].get<bool>();
  };
  f.archived = flag("archived") || flag("in_trash");
  static const Json kEmpty = Json::object();
  const Json& props =
      page.contains("properties") && page["properties"].is_object() ? page["properties"] : kEmpty;
  auto get = [&](const std::string& name, bool required) -> std::string {
    if (name.empty()) return "";
    if (props.contains(name)) return ValueText(props[name]);
    auto id = ids_.find(name);
    if (id != ids_.end()) {
      for (auto it = props.begin(); it != props.end(); ++it)
        if (it.value().is_object() && JsonString(it.value(), "id") == id->second)
          return ValueText(it.value());
    }
    if (validated_) {
      f.missing.push_back(name);
    } else if (required && warnings) {
      warnings->push_back("page " + f.page_id + ": property \"" + name + "\" is missing");
    }
    return "";
  };
  std::string title_name = title_property_;
  if (title_name.empty()) {
    for (auto it = props.begin(); it != props.end(); ++it)
      if (JsonString(it.value(), "type") == "title") title_name = it.key();
  }
  f.title = get(title_name, true);
  f.status_option = get(status_property_, true);
  f.priority_option = get(priority_property_, false);
  f.agent = get(agent_property_, false);
  f.requester = get(requester_property_, false);
  f.task_id = get(task_id_property_, false);
  f.description = get(description_property_, false);
  if (!blocked_by_property_.empty()) {
    const Json* relation = nullptr;
    if (props.contains(blocked_by_property_)) relation = &props[blocked_by_property_];
    for (auto it = props.begin(); relation == nullptr && it != props.end(); ++it)
      if (it.value().is_object() && JsonString(it.value(), "id") == blocked_by_property_id())
        relation = &it.value();
    if (relation == nullptr) {
      if (validated_) f.missing.push_back(blocked_by_property_);
    } else if (relation->is_object() && JsonString(*relation, "type") == "relation" &&
               relation->contains("relation") && (*relation)["relation"].is_array()) {
      for (const Json& item : (*relation)["relation"]) {
        const std::string id = JsonString(item, "id");
        if (!id.empty()) f.blocked_by.push_back(id);
      }
      const Json* more = relation->contains("has_more") ? &(*relation)["has_more"] : nullptr;
      f.blocked_by_more = more != nullptr && more->is_boolean() && more->get<bool>();
    } else if (warnings) {
      warnings->push_back("page " + f.page_id + ": property \"" + blocked_by_property_ +
                          "\" is not a relation value; its dependencies are not read");
    }
  }
  if (f.description.size() > kMaxDescriptionBytes) {
    if (warnings)
      warnings->push_back("page " + f.page_id + ": description of " +
                          std::to_string(f.description.size()) + " bytes cut to " +
                          std::to_string(kMaxDescriptionBytes));
    size_t cut = kMaxDescriptionBytes;
    while (cut > 0 && (static_cast<unsigned char>(f.description[cut]) & 0xC0) == 0x80) --cut;
    f.description.resize(cut);
  }
  return f;
}

std::optional<TaskStatus> PropertyMapping::StatusForOption(const std::string& option) const {
  std::string key = Lower(option);
  for (const auto& [name, status] : inbound_)
    if (name == key) return status;
  return std::nullopt;
}

std::string PropertyMapping::OptionForStatus(TaskStatus status) const {
  auto it = outbound_.find(status);
  return it == outbound_.end() ? std::string() : it->second;
}

std::optional<Priority> PropertyMapping::PriorityForOption(const std::string& option) const {
  std::string key = Lower(option);
  if (key == "p0") return Priority::kCritical;
  if (key == "p1") return Priority::kHigh;
  if (key == "p2") return Priority::kNormal;
  if (key == "p3") return Priority::kLow;
  return std::nullopt;
}

Json PropertyMapping::StatusValue(const std::string& option) const {
  return Json{{status_type_, {{"name", option}}}};
}

Json PropertyMapping::TaskIdValue(const std::string& task_id) const {
  return Json{{"rich_text", RichText(task_id, 1)}};
}

Json PropertyMapping::AgentValue(const std::string& agent) const {
  if (agent_property_.empty()) return Json();
  if (agent_type_ == "rich_text") return Json{{"rich_text", RichText(agent, 1)}};
  if (agent_type_ == "multi_select")
    return Json{{"multi_select", agent.empty() ? Json::array() : Json::array({{{"name", agent}}})}};
  return Json{{"select", agent.empty() ? Json() : Json{{"name", agent}}}};
}

Json PropertyMapping::OpenCardsFilter(StatusGroupFilters groups) const {
  auto it = ids_.find(status_property_);
  if (it == ids_.end() || finished_options_.empty()) return Json();
  const std::string& id = it->second;
  Json parts = Json::array();
  std::vector<std::string> options = finished_options_;
  if (status_type_ == "status" && groups != StatusGroupFilters::kNone) {
    // A group stays right when someone adds an option to it later.
    for (const std::string& group : finished_groups_)
      parts.push_back(Json{{"property", id}, {"status", {{"group", {{"does_not_equal", group}}}}}});
    options = finished_outside_groups_;
  }
  for (const std::string& option : options)
    parts.push_back(Json{{"property", id}, {status_type_, {{"does_not_equal", option}}}});
  if (parts.size() == 1) return parts[0];
  return Json{{"and", parts}};
}

Json PropertyMapping::EditedSinceFilter(const std::string& iso_time) const {
  return Json{{"timestamp", "last_edited_time"}, {"last_edited_time", {{"on_or_after", iso_time}}}};
}

}  // namespace taskexec::notion
