#include "config/toml_source.h"

#include <algorithm>
#include <climits>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

namespace taskexec::config_internal {
namespace {

std::string Quote(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

std::string_view TomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    default:
      return "value";
  }
}

// `string "three"`, `integer 4`, `array`, ...
std::string Describe(const toml::node& node) {
  std::string out(TomlTypeName(node));
  if (const auto* s = node.as_string()) return out + " " + Quote(s->get());
  if (const auto* i = node.as_integer()) return out + " " + std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return out + " " + std::to_string(f->get());
  if (const auto* b = node.as_boolean()) return out + (b->get() ? " true" : " false");
  return out;
}

std::string Expected(const FieldPtr& field, const toml::node& node) {
  return "expected " + std::string(TypeName(field)) + ", got " + Describe(node);
}

bool ToInt(const toml::node& node, int* out) {
  const auto* i = node.as_integer();
  if (i == nullptr || i->get() < INT_MIN || i->get() > INT_MAX) return false;
  *out = static_cast<int>(i->get());
  return true;
}

std::string ElementProblem(const FieldPtr& field, const toml::node& parent, std::string_view where,
                           const toml::node& element) {
  return "expected " + std::string(TypeName(field)) + ", got " + std::string(TomlTypeName(parent)) +
         " with " + Describe(element) + " at " + std::string(where);
}

// Converts `node` into the field's type; "" or the problem. `field` names
// the type in messages.
std::string Read(const toml::node& node, const FieldPtr& field, int* v) {
  if (!node.is_integer()) return Expected(field, node);
  if (!ToInt(node, v)) return "integer out of range, got " + Describe(node);
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, size_t* v) {
  const auto* i = node.as_integer();
  if (i == nullptr || i->get() < 0) return Expected(field, node);
  *v = static_cast<size_t>(i->get());
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, double* v) {
  if (const auto* f = node.as_floating_point()) {
    *v = f->get();
  } else if (const auto* i = node.as_integer()) {
    *v = static_cast<double>(i->get());
  } else {
    return Expected(field, node);
  }
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, bool* v) {
  const auto* b = node.as_boolean();
  if (b == nullptr) return Expected(field, node);
  *v = b->get();
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, std::string* v) {
  const auto* s = node.as_string();
  if (s == nullptr) return Expected(field, node);
  *v = s->get();
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, std::vector<std::string>* v) {
  const auto* array = node.as_array();
  if (array == nullptr) return Expected(field, node);
  std::vector<std::string> values;
  for (size_t i = 0; i < array->size(); ++i) {
    const auto* s = (*array)[i].as_string();
    if (s == nullptr) {
      return ElementProblem(field, node, "index " + std::to_string(i), (*array)[i]);
    }
    values.push_back(s->get());
  }
  *v = std::move(values);
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, StringMap* v) {
  const auto* table = node.as_table();
  if (table == nullptr) return Expected(field, node);
  StringMap values;
  for (const auto& [key, value] : *table) {
    const auto* s = value.as_string();
    if (s == nullptr) return ElementProblem(field, node, "key " + Quote(key.str()), value);
    values[std::string(key.str())] = s->get();
  }
  *v = std::move(values);
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, IntMap* v) {
  const auto* table = node.as_table();
  if (table == nullptr) return Expected(field, node);
  IntMap values;
  for (const auto& [key, value] : *table) {
    int n = 0;
    if (!ToInt(value, &n)) return ElementProblem(field, node, "key " + Quote(key.str()), value);
    values[std::string(key.str())] = n;
  }
  *v = std::move(values);
  return "";
}

std::string Read(const toml::node& node, const FieldPtr& field, StringPairs* v) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    std::string problem = Expected(field, node);
    if (node.is_table()) {
      problem +=
          " (a table does not keep its order; write mapping = [[\"security\", \"jochi\"]]"
          " or use [[routing.mapping]] entries with keyword and agent)";
    }
    return problem;
  }
  StringPairs values;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& e = (*array)[i];
    const std::string where = "index " + std::to_string(i);
    if (const auto* pair = e.as_array()) {
      if (pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
        return ElementProblem(field, node, where, e);
      }
      values.emplace_back((*pair)[0].as_string()->get(), (*pair)[1].as_string()->get());
    } else if (const auto* table = e.as_table()) {
      const auto* keyword = table->get_as<std::string>("keyword");
      const auto* agent = table->get_as<std::string>("agent");
      if (keyword == nullptr || agent == nullptr || table->size() != 2) {
        return "expected " + std::string(TypeName(field)) + "; the table at " + where +
               " needs exactly the string keys keyword and agent";
      }
      values.emplace_back(keyword->get(), agent->get());
    } else {
      return ElementProblem(field, node, where, e);
    }
  }
  *v = std::move(values);
  return "";
}

// Converts `node` into `*field`; "" or the problem.
std::string FromToml(const toml::node& node, const FieldPtr& field) {
  return std::visit([&](auto* target) { return Read(node, field, target); }, field);
}

// Edit distance, for "did you mean" on unknown keys.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string UnknownKey(const std::string& name, const std::string& origin) {
  std::string problem = "unknown key";
  if (name == "notion.enabled") {
    problem += " (Notion is enabled when notion.token and notion.database_id are both set)";
  } else {
    const KeySpec* best = nullptr;
    size_t best_distance = 3;  // suggest only near misses
    for (const KeySpec& spec : AllKeys()) {
      size_t d = Distance(name, spec.name);
      if (d < best_distance) {
        best_distance = d;
        best = &spec;
      }
    }
    if (best != nullptr) problem += "; did you mean " + std::string(best->name) + "?";
  }
  return KeyError(name, origin, problem);
}

bool IsSection(std::string_view name) {
  for (const KeySpec& spec : AllKeys()) {
    if (SectionOf(spec.name) == name) return true;
  }
  return false;
}

class Applier {
 public:
  Applier(std::string source_name, Config* config, Origins* origins)
      : source_(std::move(source_name)), config_(config), origins_(origins) {}

  Status Apply(const toml::table& root) {
    for (const auto& [key, node] : root) {
      std::string name(key.str());
      if (FindKey(name) == nullptr && node.is_table() && IsSection(name)) {
        for (const auto& [sub_key, sub_node] : *node.as_table()) {
          Status s = ApplyKey(name + "." + std::string(sub_key.str()), sub_key, sub_node);
          if (!s.ok()) return s;
        }
        continue;
      }
      Status s = ApplyKey(name, key, node);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  std::string Origin(const toml::key& key, const toml::node& node) const {
    auto line = node.source().begin.line;
    if (line == 0) line = key.source().begin.line;
    return line == 0 ? source_ : source_ + " line " + std::to_string(line);
  }

  Status ApplyKey(const std::string& name, const toml::key& key, const toml::node& node) {
    std::string origin = Origin(key, node);
    const KeySpec* spec = FindKey(name);
    if (spec == nullptr) {
      // Report the key line, not the value's, for an unknown key.
      auto line = key.source().begin.line;
      if (line != 0) origin = source_ + " line " + std::to_string(line);
      return Status::InvalidArgument(UnknownKey(name, origin));
    }
    std::string problem = FromToml(node, spec->field(config_));
    if (problem.empty()) problem = CheckValue(*spec, *config_);
    if (!problem.empty()) return Status::InvalidArgument(KeyError(name, origin, problem));
    (*origins_)[name] = origin;
    return Status::OK();
  }

  std::string source_;
  Config* config_;
  Origins* origins_;
};

}  // namespace

Status ApplyTomlText(const std::string& text, const std::string& source_name, Config* config,
                     Origins* origins) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return Status::InvalidArgument(source_name + " line " + std::to_string(begin.line) +
                                   " column " + std::to_string(begin.column) +
                                   ": invalid TOML: " + std::string(e.description()));
  }
  return Applier(source_name, config, origins).Apply(root);
}

Status ApplyTomlFile(const std::string& path, Config* config, Origins* origins) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("config file " + path + ": cannot be opened");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::IOError("config file " + path + ": read failed");
  return ApplyTomlText(buffer.str(), path, config, origins);
}

}  // namespace taskexec::config_internal
