// Reading a small JSON file that another process (a dead service, the
// per-attempt supervisor) left beside an attempt's log: the outcome file
// (outcome_file.h) and the exit record (exit_record.h).
//
// Thread-safety: stateless; touches the file system only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace taskexec {

// *out = the file's JSON object. NotFound when there is no file, IOError
// when it cannot be read, Corruption ("<what> <path> does not parse") when
// it is not a JSON object; never a throw.
Status ReadJsonObjectFile(const std::string& path, const std::string& what, nlohmann::json* out);

}  // namespace taskexec
