// Validation shared by LoadConfig and ValidateConfig: every key's own rule
// (key_registry.h) and the rules that span keys (agents named by the
// mapping exist, Notion needs token and database together, ...).
//
// Thread-safety: pure functions.
#pragma once

#include "config/config.h"
#include "config/key_registry.h"
#include "core/status.h"

namespace taskexec::config_internal {

// With `origins`, messages say where the offending value came from
// ("default" for keys no source set); without, they name only the key.
Status ValidateWithOrigins(const Config& config, const Origins* origins);

}  // namespace taskexec::config_internal
