// DescribeConfig: the effective configuration as TOML-like text.
#include <string_view>

#include "config/config.h"
#include "config/key_registry.h"

namespace taskexec {

using config_internal::AllKeys;
using config_internal::FieldOf;
using config_internal::FieldPtr;
using config_internal::FormatValue;
using config_internal::KeySpec;
using config_internal::LeafOf;
using config_internal::SectionOf;
using config_internal::StringMap;

std::string DescribeConfig(const Config& config, bool redact_secrets) {
  std::string out;
  if (!config.source_file.empty()) out += "# file: " + config.source_file + "\n";
  std::string_view section;
  for (const KeySpec& spec : AllKeys()) {
    std::string_view this_section = SectionOf(spec.name);
    if (this_section != section) {
      section = this_section;
      out += "\n[" + std::string(section) + "]\n";
      if (section == "notion") {
        out += std::string("# enabled = ") + (config.notion.enabled ? "true" : "false") +
               "  (derived: true when token and database_id are both set)\n";
      }
    }
    FieldPtr field = FieldOf(spec, config);
    std::string value;
    if (redact_secrets && spec.secret && !std::get<std::string*>(field)->empty()) {
      value = "\"***\"";
    } else if (redact_secrets && spec.redact != nullptr) {
      std::string shown = spec.redact(*std::get<std::string*>(field));
      value = FormatValue(FieldPtr(&shown));
    } else if (redact_secrets && spec.name == "agent.env") {
      // The child's extra environment often carries API keys: keep the
      // names, hide the values.
      StringMap hidden;
      for (const auto& [name, v] : config.agent.env) hidden[name] = v.empty() ? "" : "***";
      value = FormatValue(FieldPtr(&hidden));
    } else {
      value = FormatValue(field);
    }
    out += std::string(LeafOf(spec.name)) + " = " + value + "\n";
  }
  return out;
}

}  // namespace taskexec
