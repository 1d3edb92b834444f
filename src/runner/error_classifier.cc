#include "runner/error_classifier.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace taskexec {

namespace {

struct KeywordRule {
  ErrorType type;
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
      // OpenClaw's exec tool refusing a command for want of approval: headless
      // ("cannot wait for interactive exec approval"), denied by its policy
      // ("Exec denied (...)", SYSTEM_RUN_DENIED), or with no Gateway to ask
      // ("Exec approval registration failed: ... Gateway not reachable",
      // which is no network fault to retry).
      {ErrorType::kApprovalRequired,
       {"cannot wait for interactive exec approval", "interactive approval required",
        "exec approval registration failed", "exec denied", "system_run_denied"},
       {}},
      {ErrorType::kPermissionError,
       {"permission denied", "permissionerror", "permission_error", "operation not permitted",
        "unauthorized", "unauthorised", "forbidden", "token mismatch", "invalid api key",
        "authentication failed", "eacces"},
       {}},
      // Node's fetch throws "TypeError: fetch failed" for any failure to
      // reach the server (refused, reset, DNS); the cause, which names it,
      // is often not printed. Ahead of the type-error rule it would hit.
      {ErrorType::kConnectionError, {"fetch failed"}, {}},
      {ErrorType::kSyntaxError, {"syntax error", "syntaxerror", "syntax_error"}, {}},
      {ErrorType::kTypeError, {"type error", "typeerror", "type_error"}, {}},
      {ErrorType::kImportError,
       {"import error", "importerror", "import_error", "modulenotfounderror", "no module named",
        "cannot find module"},
       {}},
      {ErrorType::kRateLimit,
       {"rate limit", "rate-limit", "rate_limit", "ratelimit", "too many requests",
        "quota exceeded"},
       {}},
      {ErrorType::kTimeoutError,
       {"timeout", "timed out", "time out", "deadline exceeded", "etimedout"},
       {}},
      {ErrorType::kConnectionError,
       {"connection", "econnrefused", "econnreset", "network is unreachable",
        "could not resolve host", "name resolution", "gateway closed", "socket hang up",
        "broken pipe"},
       {}},
      {ErrorType::kApiError,
       {"api error", "api_error", "internal server error", "service unavailable", "bad gateway",
        "overloaded", "upstream error", "experiencing high demand", "temporarily unavailable",
        "temporary error", "provider internal error", "http 500", "http 502", "http 503",
        "http 504", "http 529", "usually temporary"},
       {"api"}},
  };
  return rules;
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

ErrorType ClassifyError(std::string_view text, ErrorType default_type) {
  const std::string lower = LowerAscii(text);
  for (const auto& rule : Rules()) {
    bool hit = std::any_of(rule.phrases.begin(), rule.phrases.end(),
                           [&](std::string_view p) { return lower.find(p) != std::string::npos; });
    if (!hit) {
      hit = std::any_of(rule.words.begin(), rule.words.end(),
                        [&](std::string_view w) { return ContainsWord(lower, w); });
    }
    if (hit) return rule.type;
  }
  return default_type;
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool MentionsUnknownSession(std::string_view text) {
  const std::string lower = LowerAscii(text);
  for (std::string_view phrase : {"no conversation found with session id",
                                  "no rollout found for thread id", "session not found"}) {
    if (lower.find(phrase) != std::string::npos) return true;
  }
  return false;
}

}  // namespace taskexec
