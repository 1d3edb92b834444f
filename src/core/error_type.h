// Why an attempt or a task failed: the error types and their one table of
// names, retry rules and meanings.
//
// The names are the stored and displayed form (the `error_type` property and
// JSON field). The first half of the table are the types other tools that
// share the store already write (timeout_error ... permission_error); the
// rest are the ones taskexec produces itself. docs/runner.md has the same
// table (a test keeps them equal); runner/error_classifier maps failure text
// onto these types.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace taskexec {

enum class ErrorType {
  kNone,  // no error (a completed or still running attempt); the name is ""
  kTimeoutError,
  kConnectionError,
  kApiError,
  kRateLimit,
  kCrash,
  kLost,
  kTimeout,
  kSyntaxError,
  kTypeError,
  kImportError,
  kPermissionError,
  kResourceError,
  kSpawnError,
  kInvalidCommand,
  kExecutionError,
  kCancelled,
  kReleased,
  kSessionNotFound,
  kStalled,
  kApprovalRequired,
  kBudgetExhausted,
  kUsageLimit,
  kWorkspaceError,
  kVerificationFailed,
  kDependencyFailed,
  kUnknown,
};

struct ErrorTypeInfo {
  ErrorType type;
  std::string_view name;
  bool retryable;
  std::string_view meaning;
};

// Every error type (kNone excluded), in documentation order.
const std::vector<ErrorTypeInfo>& ErrorTypeTable();

std::string_view ToString(ErrorType type);  // "" for kNone
// The type with this name; "" is kNone; nullopt for any other text.
std::optional<ErrorType> ParseErrorType(std::string_view name);
// Reads a stored value: a name this version does not know (written by
// another tool or a newer taskexec) reads as kUnknown, "" as kNone.
ErrorType ErrorTypeOrUnknown(std::string_view name);
// Whether the engine may retry an attempt that failed this way. kNone and
// kUnknown are not retryable.
bool IsRetryable(ErrorType type);

}  // namespace taskexec
