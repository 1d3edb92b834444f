// Typed parsing of configuration values given as text: environment
// variables and command-line flags share this parser, so
// `TASK_EXECUTOR_MAX_RETRIES=3` and `--set executor.max_retries=3` accept
// exactly the same spellings.
//
//   integers  decimal, optional sign, surrounding spaces ignored ("3", " -1 ")
//   numbers   decimal or exponent form ("0.2", "1e-1")
//   booleans  true/false, 1/0, yes/no, on/off (any case)
//   strings   taken as is
//   lists, tables and [keyword, agent] pairs: JSON, e.g.
//     TASKEXEC_AGENT_COMMAND='["openclaw","agent","--agent","{agent}"]'
//     TASKEXEC_EXECUTOR_AGENT_LIMITS='{"temujin": 2}'
//     TASKEXEC_ROUTING_MAPPING='[["security","jochi"],["frontend","temujin"]]'
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "config/key_registry.h"

namespace taskexec::config_internal {

// Parses `text` into `*field`. Returns "" on success, otherwise the problem,
// e.g. `expected an integer, got "three"` or `expected a JSON array of
// strings (e.g. ["openclaw","agent"]), got "[oops": parse error at byte 2`.
// On failure the field is left unchanged.
std::string ParseInto(const FieldPtr& field, const std::string& text);

}  // namespace taskexec::config_internal
