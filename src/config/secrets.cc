// The secrets of a Config, from the key table's `secret` flag, so a new
// secret key is withheld from agents as soon as it is marked there.
#include <string>
#include <vector>

#include "config/config.h"
#include "config/key_registry.h"

namespace taskexec {

std::vector<std::string> SecretEnvironmentNames() {
  std::vector<std::string> out;
  for (const config_internal::KeySpec& spec : config_internal::AllKeys()) {
    if (spec.secret || spec.secret_part != nullptr) out.emplace_back(spec.env);
  }
  return out;
}

std::vector<std::string> SecretValues(const Config& config) {
  std::vector<std::string> out;
  for (const config_internal::KeySpec& spec : config_internal::AllKeys()) {
    if (!spec.secret && spec.secret_part == nullptr) continue;
    const std::string& value = *std::get<std::string*>(config_internal::FieldOf(spec, config));
    if (!value.empty()) out.push_back(value);
    if (spec.secret_part != nullptr) {
      if (std::string part = spec.secret_part(value); !part.empty()) out.push_back(part);
    }
  }
  return out;
}

}  // namespace taskexec
