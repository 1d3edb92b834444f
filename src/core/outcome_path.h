// The files an attempt keeps beside its log (the pruner removes them with
// it): where an ended attempt's outcome is kept until the store takes it
// (runner/outcome_file.h writes and reads it), where the per-attempt
// supervisor records how the agent ended (runner/exit_record.h), and the
// prompt the agent was given when it reads it from a file
// (<log_dir>/<execution id>.prompt.md for <log_dir>/<execution id>.log).
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace taskexec {

inline std::string OutcomeFilePath(const std::string& log_path) { return log_path + ".outcome"; }
inline std::string ExitRecordPath(const std::string& log_path) { return log_path + ".exit"; }
inline std::string PromptFilePath(const std::string& log_path) {
  constexpr std::string_view kLog = ".log";
  const bool named_log = log_path.size() > kLog.size() &&
                         log_path.compare(log_path.size() - kLog.size(), kLog.size(), kLog) == 0;
  return (named_log ? log_path.substr(0, log_path.size() - kLog.size()) : log_path) + ".prompt.md";
}

}  // namespace taskexec
