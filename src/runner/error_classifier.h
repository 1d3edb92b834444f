// Error classification for agent attempts: maps failure text onto the error
// types of core/error_type.h by keywords, and says whether the engine may
// retry it. docs/runner.md documents the keyword order.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <string>
#include <string_view>

#include "core/error_type.h"

namespace taskexec {

// Classifies free text (a TASK_FAILED reason, stderr tail, ...) by keywords,
// case-insensitively; the first matching rule wins (see docs/runner.md for
// the order). When nothing matches returns `default_type`. Whether the type
// is retried is the table's IsRetryable(type).
ErrorType ClassifyError(std::string_view text, ErrorType default_type = ErrorType::kExecutionError);

// Whether `text` (a resumed attempt's output) is a CLI refusing the session
// it was asked to continue: Claude Code's "No conversation found with session
// ID", Codex's "no rollout found for thread id", opencode's "Session not
// found". Only asked of resumed attempts: elsewhere the words may be the
// task's own.
bool MentionsUnknownSession(std::string_view text);

// `text` with ASCII letters lower-cased (the other bytes as they are): the
// form the keyword rules here and in usage_limit.h match against.
std::string LowerAscii(std::string_view text);

}  // namespace taskexec
