// Reads the TOML configuration file into a Config.
//
// Layout: a top-level `log_level` and the sections [store] [executor]
// [agent] [routing] [server] [notion] [neo4j] whose keys are the Config
// field names. Tables: [executor.agent_limits], [agent.env],
// [notion.status_options]. routing.mapping is ordered, so it is an array:
//   mapping = [["security", "jochi"], ["frontend", "temujin"]]
// or an array of tables:
//   [[routing.mapping]]
//   keyword = "security"
//   agent = "jochi"
// Unknown keys and sections are refused with their dotted name and line
// (typo protection); values of the wrong type are refused with what was
// expected and what was found.
//
// Thread-safety: no shared state.
#pragma once

#include <string>

#include "config/config.h"
#include "config/key_registry.h"
#include "core/status.h"

namespace taskexec::config_internal {

// Applies every key of the file at `path` to `config`, checking each value
// as it is set and recording "<path> line <n>" in `origins`.
Status ApplyTomlFile(const std::string& path, Config* config, Origins* origins);

// The same for TOML text already in memory (`source_name` is used in
// messages in place of the path).
Status ApplyTomlText(const std::string& text, const std::string& source_name, Config* config,
                     Origins* origins);

}  // namespace taskexec::config_internal
