// Error classification for agent attempts: maps failure text to an error type
// and says whether the engine may retry it.
//
// The table starts from the original system's: retryable timeout_error,
// connection_error, api_error, rate_limit; not retryable syntax_error,
// type_error, import_error, permission_error and anything unknown. taskexec
// adds types it produces itself: crash (killed by a signal we did not send),
// lost (the executor holding the attempt died), timeout (alias of
// timeout_error), spawn_error, execution_error (TASK_FAILED or a non-zero exit
// with no better clue) and cancelled. docs/runner.md documents the table and
// the keyword order.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taskexec {

struct ErrorClass {
  std::string type;
  bool retryable = false;
};

struct ErrorTypeInfo {
  std::string_view type;
  bool retryable;
  std::string_view meaning;
};

// Every error type the runner can report, in documentation order.
const std::vector<ErrorTypeInfo>& ErrorTypeTable();

// True when `type` is in the retryable half of the table. Unknown types are
// not retryable (as in the original).
bool IsRetryableErrorType(std::string_view type);

// Classifies free text (a TASK_FAILED reason, stderr tail, ...) by keywords,
// case-insensitively; the first matching rule wins (see docs/runner.md for
// the order). When nothing matches returns `default_type` with its
// retryability from the table.
ErrorClass ClassifyError(std::string_view text, std::string_view default_type = "execution_error");

}  // namespace taskexec
