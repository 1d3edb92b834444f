#include "fakes/fake_notion_filter.h"

#include "core/clock.h"

namespace taskexec::fakes {
namespace {

using Json = nlohmann::json;

bool ParseTime(const Json& v, TimeMs* out) {
  if (!v.is_string()) return false;
  std::string s = v.get<std::string>();
  if (s.size() == 10) s += "T00:00:00Z";  // a date alone means midnight UTC
  return ParseIso8601(s, out);
}

bool CompareTime(TimeMs t, const Json& cond, bool* match, std::string* error) {
  if (!cond.is_object() || cond.size() != 1) {
    *error = "body failed validation: timestamp condition must have exactly one operator";
    return false;
  }
  const std::string op = cond.begin().key();
  TimeMs v = 0;
  if (op == "is_empty") {
    *match = false;
    return true;
  }
  if (op == "is_not_empty") {
    *match = true;
    return true;
  }
  if (!ParseTime(cond.begin().value(), &v)) {
    *error = "body failed validation: " + op + " should be an ISO 8601 date";
    return false;
  }
  if (op == "equals")
    *match = t == v;
  else if (op == "before")
    *match = t < v;
  else if (op == "after")
    *match = t > v;
  else if (op == "on_or_before")
    *match = t <= v;
  else if (op == "on_or_after")
    *match = t >= v;
  else {
    *error = "body failed validation: unsupported date condition " + op;
    return false;
  }
  return true;
}

bool TextCondition(const std::string& text, const std::string& op, const Json& arg, bool* match,
                   std::string* error) {
  if (op == "is_empty") {
    *match = text.empty();
    return true;
  }
  if (op == "is_not_empty") {
    *match = !text.empty();
    return true;
  }
  if (!arg.is_string()) {
    *error = "body failed validation: " + op + " should be a string";
    return false;
  }
  const std::string a = arg.get<std::string>();
  if (op == "equals")
    *match = text == a;
  else if (op == "does_not_equal")
    *match = text != a;
  else if (op == "contains")
    *match = text.find(a) != std::string::npos;
  else if (op == "does_not_contain")
    *match = text.find(a) == std::string::npos;
  else if (op == "starts_with")
    *match = text.rfind(a, 0) == 0;
  else if (op == "ends_with")
    *match = text.size() >= a.size() && text.compare(text.size() - a.size(), a.size(), a) == 0;
  else {
    *error = "body failed validation: unsupported condition " + op;
    return false;
  }
  return true;
}

const Json* FindProperty(const Json& schema, const std::string& key, std::string* name) {
  if (schema.contains(key)) {
    *name = key;
    return &schema[key];
  }
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (it.value().value("id", "") == key) {
      *name = it.key();
      return &it.value();
    }
  }
  return nullptr;
}

// The name of the status group holding `option_id` ("" if none).
std::string GroupOfOption(const Json& status_prop, const std::string& option_id) {
  const Json& config = status_prop.contains("status") ? status_prop["status"] : Json();
  if (!config.is_object() || !config.contains("groups") || !config["groups"].is_array()) return "";
  for (const auto& g : config["groups"])
    for (const auto& id : g.value("option_ids", Json::array()))
      if (id.is_string() && id.get<std::string>() == option_id) return g.value("name", "");
  return "";
}

bool IsOptionName(const Json& status_prop, const std::string& name) {
  const Json& config = status_prop.contains("status") ? status_prop["status"] : Json();
  if (!config.is_object() || !config.contains("options")) return false;
  for (const auto& o : config["options"])
    if (o.value("name", "") == name) return true;
  return false;
}

bool IsGroupName(const Json& status_prop, const std::string& name) {
  const Json& config = status_prop.contains("status") ? status_prop["status"] : Json();
  if (!config.is_object() || !config.contains("groups")) return false;
  for (const auto& g : config["groups"])
    if (g.value("name", "") == name) return true;
  return false;
}

// A status condition: group operators, and option names with the older
// versions' fallback to group names.
bool StatusCondition(const Json& prop, const Json& value, const std::string& op, const Json& arg,
                     const FilterRules& rules, bool* match, std::string* error) {
  const Json option = value.is_object() && value.contains("status") ? value["status"] : Json();
  const std::string option_name = option.is_object() ? option.value("name", "") : "";
  const std::string group =
      option.is_object() ? GroupOfOption(prop, option.value("id", "")) : std::string();
  if (op == "group") {
    if (!rules.status_group_operators) {
      *error =
          "body failed validation: body.filter.status.group is not a valid condition. Status "
          "group filters need the Notion-Beta header status-group-filters-2026-10-06 in this "
          "version.";
      return false;
    }
    if (!arg.is_object() || arg.size() != 1 || !arg.begin().value().is_string()) {
      *error =
          "body failed validation: body.filter.status.group should have one of equals, "
          "does_not_equal with a group name";
      return false;
    }
    const std::string group_op = arg.begin().key();
    const std::string wanted = arg.begin().value().get<std::string>();
    if (!IsGroupName(prop, wanted)) {
      *error = "body failed validation: status group \"" + wanted + "\" does not exist";
      return false;
    }
    if (group_op == "equals") {
      *match = group == wanted;
    } else if (group_op == "does_not_equal") {
      *match = group != wanted;
    } else {
      *error = "body failed validation: unsupported status group condition " + group_op;
      return false;
    }
    return true;
  }
  if ((op == "equals" || op == "does_not_equal") && arg.is_string() &&
      rules.status_equals_matches_group && !IsOptionName(prop, arg.get<std::string>()) &&
      IsGroupName(prop, arg.get<std::string>())) {
    const bool in_group = group == arg.get<std::string>();
    *match = op == "equals" ? in_group : !in_group;
    return true;
  }
  if (!(op == "equals" || op == "does_not_equal" || op == "is_empty" || op == "is_not_empty")) {
    *error = "body failed validation: unsupported status condition " + op;
    return false;
  }
  return TextCondition(option_name, op, arg, match, error);
}

}  // namespace

std::string PropertyText(const Json& value) {
  if (!value.is_object()) return "";
  const std::string type = value.value("type", "");
  if (!value.contains(type)) return "";
  const Json& v = value[type];
  if (type == "title" || type == "rich_text") {
    std::string out;
    if (v.is_array())
      for (const auto& item : v) out += item.value("plain_text", "");
    return out;
  }
  if (type == "select" || type == "status") return v.is_object() ? v.value("name", "") : "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return "";
}

bool EvalFilter(const Json& filter, const Json& schema, const Json& page, bool* match,
                std::string* error, const FilterRules& rules) {
  if (!filter.is_object()) {
    *error = "body failed validation: body.filter should be an object";
    return false;
  }
  for (const char* compound : {"and", "or"}) {
    if (!filter.contains(compound)) continue;
    const Json& list = filter[compound];
    if (!list.is_array()) {
      *error =
          std::string("body failed validation: body.filter.") + compound + " should be an array";
      return false;
    }
    const bool is_and = std::string(compound) == "and";
    bool result = is_and;
    for (const auto& f : list) {
      bool m = false;
      if (!EvalFilter(f, schema, page, &m, error, rules)) return false;
      result = is_and ? (result && m) : (result || m);
    }
    *match = result;
    return true;
  }
  if (filter.contains("timestamp")) {
    const std::string ts = filter.value("timestamp", "");
    if ((ts != "last_edited_time" && ts != "created_time") || !filter.contains(ts)) {
      *error =
          "body failed validation: body.filter.timestamp should be created_time or "
          "last_edited_time with a matching condition";
      return false;
    }
    TimeMs t = 0;
    ParseIso8601(page.value(ts, ""), &t);
    return CompareTime(t, filter[ts], match, error);
  }
  if (!filter.contains("property") || !filter["property"].is_string()) {
    *error = "body failed validation: body.filter should define property, timestamp, and or or";
    return false;
  }
  std::string name;
  const Json* prop = FindProperty(schema, filter["property"].get<std::string>(), &name);
  if (prop == nullptr) {
    *error = "Could not find property with name or id: " + filter["property"].get<std::string>();
    return false;
  }
  const std::string type = prop->value("type", "");
  if (!filter.contains(type) || !filter[type].is_object() || filter[type].size() != 1) {
    *error = "body failed validation: filter for property \"" + name + "\" must use its type " +
             type + " with one condition";
    return false;
  }
  const Json& cond = filter[type];
  const std::string op = cond.begin().key();
  const Json& arg = cond.begin().value();
  const Json& props = page["properties"];
  const Json value = props.contains(name) ? props[name] : Json();
  if (type == "status") return StatusCondition(*prop, value, op, arg, rules, match, error);
  if (type == "multi_select") {
    bool has = false;
    bool empty = true;
    if (value.is_object() && value["multi_select"].is_array()) {
      empty = value["multi_select"].empty();
      for (const auto& o : value["multi_select"])
        if (arg.is_string() && o.value("name", "") == arg.get<std::string>()) has = true;
    }
    if (op == "contains")
      *match = has;
    else if (op == "does_not_contain")
      *match = !has;
    else if (op == "is_empty")
      *match = empty;
    else if (op == "is_not_empty")
      *match = !empty;
    else {
      *error = "body failed validation: unsupported multi_select condition " + op;
      return false;
    }
    return true;
  }
  if (type == "checkbox") {
    bool v = value.is_object() && value.value("checkbox", false);
    if (!arg.is_boolean()) {
      *error = "body failed validation: checkbox condition should be a boolean";
      return false;
    }
    *match = op == "equals" ? v == arg.get<bool>() : v != arg.get<bool>();
    return true;
  }
  if (type == "number") {
    const bool has = value.is_object() && value["number"].is_number();
    double v = has ? value["number"].get<double>() : 0;
    if (op == "is_empty" || op == "is_not_empty") {
      *match = (op == "is_empty") != has;
      return true;
    }
    if (!arg.is_number()) {
      *error = "body failed validation: number condition should be a number";
      return false;
    }
    double a = arg.get<double>();
    if (op == "equals")
      *match = has && v == a;
    else if (op == "does_not_equal")
      *match = !has || v != a;
    else if (op == "greater_than")
      *match = has && v > a;
    else if (op == "less_than")
      *match = has && v < a;
    else if (op == "greater_than_or_equal_to")
      *match = has && v >= a;
    else if (op == "less_than_or_equal_to")
      *match = has && v <= a;
    else {
      *error = "body failed validation: unsupported number condition " + op;
      return false;
    }
    return true;
  }
  if (type == "title" || type == "rich_text" || type == "select" || type == "status" ||
      type == "url" || type == "email" || type == "phone_number") {
    if ((type == "select" || type == "status") &&
        !(op == "equals" || op == "does_not_equal" || op == "is_empty" || op == "is_not_empty")) {
      *error = "body failed validation: unsupported " + type + " condition " + op;
      return false;
    }
    return TextCondition(PropertyText(value), op, arg, match, error);
  }
  *error = "body failed validation: filtering on " + type + " is not supported by the fake";
  return false;
}

bool ComparePages(const Json& sorts, const Json& schema, const Json& a, const Json& b, int* result,
                  std::string* error) {
  if (!sorts.is_null() && !sorts.is_array()) {
    *error = "body failed validation: body.sorts should be an array";
    return false;
  }
  if (sorts.is_array()) {
    for (const auto& s : sorts) {
      const std::string dir = s.value("direction", "ascending");
      if (dir != "ascending" && dir != "descending") {
        *error = "body failed validation: direction should be ascending or descending";
        return false;
      }
      std::string va, vb;
      if (s.contains("timestamp")) {
        std::string ts = s.value("timestamp", "");
        if (ts != "created_time" && ts != "last_edited_time") {
          *error =
              "body failed validation: sort timestamp should be created_time or "
              "last_edited_time";
          return false;
        }
        va = a.value(ts, "");
        vb = b.value(ts, "");
      } else if (s.contains("property")) {
        std::string name;
        if (FindProperty(schema, s.value("property", ""), &name) == nullptr) {
          *error = "Could not find sort property with name or id: " + s.value("property", "");
          return false;
        }
        va = PropertyText(a["properties"].value(name, Json()));
        vb = PropertyText(b["properties"].value(name, Json()));
      } else {
        *error = "body failed validation: a sort needs property or timestamp";
        return false;
      }
      if (va != vb) {
        *result = (va < vb ? -1 : 1) * (dir == "ascending" ? 1 : -1);
        return true;
      }
    }
  }
  // Notion's default order (and our tie-break): newest created first would
  // do, but a stable id order is enough for cursors to be consistent.
  std::string ia = a.value("id", ""), ib = b.value("id", "");
  *result = ia < ib ? -1 : (ia > ib ? 1 : 0);
  return true;
}

}  // namespace taskexec::fakes
