// Where an ended attempt's outcome is kept beside its log until the store
// takes it (runner/outcome_file.h writes and reads it; the pruner removes it
// with the log), and where the per-attempt supervisor records how the agent
// ended (runner/exit_record.h).
//
// Thread-safety: a pure function.
#pragma once

#include <string>

namespace taskexec {

inline std::string OutcomeFilePath(const std::string& log_path) { return log_path + ".outcome"; }
inline std::string ExitRecordPath(const std::string& log_path) { return log_path + ".exit"; }

}  // namespace taskexec
