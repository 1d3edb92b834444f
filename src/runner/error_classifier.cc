#include "runner/error_classifier.h"

#include <algorithm>
#include <cctype>

namespace taskexec {

namespace {

struct KeywordRule {
  std::string_view type;
  // Phrases matched as substrings of the lower-cased text.
  std::vector<std::string_view> phrases;
  // Words matched only at word boundaries ("api" must not match "rapid").
  std::vector<std::string_view> words;
};

// Order matters: the first rule with a hit wins. Hard, non-retryable causes
// (bad credentials, broken code) come first so that "unauthorized: api key"
// is not retried as an API hiccup; then the transient ones, most specific
// first.
const std::vector<KeywordRule>& Rules() {
  static const std::vector<KeywordRule> rules = {
      {"permission_error",
       {"permission denied", "permissionerror", "permission_error", "operation not permitted",
        "unauthorized", "unauthorised", "forbidden", "token mismatch", "invalid api key",
        "authentication failed", "eacces"},
       {}},
      {"syntax_error", {"syntax error", "syntaxerror", "syntax_error"}, {}},
      {"type_error", {"type error", "typeerror", "type_error"}, {}},
      {"import_error",
       {"import error", "importerror", "import_error", "modulenotfounderror", "no module named",
        "cannot find module"},
       {}},
      {"rate_limit",
       {"rate limit", "rate-limit", "rate_limit", "ratelimit", "too many requests",
        "quota exceeded"},
       {}},
      {"timeout_error", {"timeout", "timed out", "time out", "deadline exceeded", "etimedout"}, {}},
      {"connection_error",
       {"connection", "econnrefused", "econnreset", "network is unreachable",
        "could not resolve host", "name resolution", "gateway closed", "socket hang up",
        "broken pipe"},
       {}},
      {"api_error",
       {"api error", "api_error", "internal server error", "service unavailable", "bad gateway",
        "overloaded", "upstream error"},
       {"api"}},
  };
  return rules;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsWordChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_';
}

bool ContainsWord(const std::string& haystack, std::string_view word) {
  size_t pos = 0;
  while ((pos = haystack.find(word, pos)) != std::string::npos) {
    bool left_ok = pos == 0 || !IsWordChar(haystack[pos - 1]);
    size_t end = pos + word.size();
    bool right_ok = end >= haystack.size() || !IsWordChar(haystack[end]);
    if (left_ok && right_ok) return true;
    pos = end;
  }
  return false;
}

}  // namespace

const std::vector<ErrorTypeInfo>& ErrorTypeTable() {
  static const std::vector<ErrorTypeInfo> table = {
      {"timeout_error", true, "a timeout: ours (the per-task deadline) or reported by the agent"},
      {"connection_error", true, "network or gateway connection failed"},
      {"api_error", true, "the model/API provider failed (5xx, overloaded)"},
      {"rate_limit", true, "the provider throttled us"},
      {"crash", true, "the agent was killed by a signal taskexec did not send"},
      {"lost", true, "the executor running the attempt died (lease expired)"},
      {"timeout", true, "alias of timeout_error kept for other tools"},
      {"syntax_error", false, "the agent hit a syntax error"},
      {"type_error", false, "the agent hit a type error"},
      {"import_error", false, "a module or dependency is missing"},
      {"permission_error", false, "permission or credential problem"},
      {"resource_error", true,
       "the agent could not be started for lack of resources (processes, descriptors, disk)"},
      {"spawn_error", false, "the agent program is missing"},
      {"invalid_command", false,
       "the agent command template or its expansion is invalid, or the program is not executable"},
      {"execution_error", false, "TASK_FAILED, or a non-zero exit with no better clue"},
      {"cancelled", false, "cancelled on request"},
      {"unknown", false, "anything else"},
  };
  return table;
}

bool IsRetryableErrorType(std::string_view type) {
  for (const auto& info : ErrorTypeTable()) {
    if (info.type == type) return info.retryable;
  }
  return false;
}

ErrorClass ClassifyError(std::string_view text, std::string_view default_type) {
  const std::string lower = Lower(text);
  for (const auto& rule : Rules()) {
    bool hit = std::any_of(rule.phrases.begin(), rule.phrases.end(),
                           [&](std::string_view p) { return lower.find(p) != std::string::npos; });
    if (!hit) {
      hit = std::any_of(rule.words.begin(), rule.words.end(),
                        [&](std::string_view w) { return ContainsWord(lower, w); });
    }
    if (hit) return ErrorClass{std::string(rule.type), IsRetryableErrorType(rule.type)};
  }
  return ErrorClass{std::string(default_type), IsRetryableErrorType(default_type)};
}

}  // namespace taskexec
