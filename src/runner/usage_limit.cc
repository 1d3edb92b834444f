#include "runner/usage_limit.h"

#include <algorithm>
#include <ctime>
#include <regex>

#include "core/retry_after.h"
#include "runner/error_classifier.h"

namespace taskexec {
namespace {

// What says "the provider's usage or quota limit", as opposed to a rate
// limit that clears in seconds (rate_limit, retried by the retry policy).
bool SaysUsageLimit(const std::string& lower) {
  static const char* const kPhrases[] = {
      "usage limit",                  // Claude Code, Codex ("you've hit your usage limit")
      "quota exceeded",               // Gemini ("Quota exceeded for quota metric ...")
      "exceeded your current quota",  // OpenAI's 429 insufficient_quota
      "insufficient_quota",
      "resource_exhausted",    // Gemini's API status
      "5-hour limit reached",  // Claude Code's plan windows
      "weekly limit reached",
  };
  for (const char* p : kPhrases)
    if (lower.find(p) != std::string::npos) return true;
  return false;
}

// Claude Code: "Claude AI usage limit reached|1767225600" (unix seconds).
TimeMs UnixForm(const std::string& lower) {
  static const std::regex re(R"(usage limit reached\|(\d{9,11}))");
  std::smatch m;
  if (!std::regex_search(lower, m, re)) return 0;
  return std::stoll(m[1].str()) * 1000;
}

// "Retry-After: 120" or "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT", the
// value running to the end of its line.
TimeMs RetryAfterForm(const std::string& text, const std::string& lower, TimeMs now) {
  const size_t at = lower.find("retry-after:");
  if (at == std::string::npos) return 0;
  const size_t start = at + 12;
  const size_t end = text.find('\n', start);
  std::optional<int64_t> ms = RetryAfterDelayMs(
      std::string_view(text).substr(start, end == std::string::npos ? end : end - start), now);
  return ms && *ms > 0 ? now + *ms : 0;
}

// "try again in 2 hours", "in 1h 30m", "retry in 45 minutes".
TimeMs DurationForm(const std::string& lower, TimeMs now) {
  static const std::regex phrase(
      R"((?:try again|retry|available again|resets?)\s+in\s+((?:\d+\s*(?:hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b[\s,]*(?:and\s+)?)+))");
  std::smatch m;
  if (!std::regex_search(lower, m, phrase)) return 0;
  static const std::regex part(R"((\d+)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b)");
  const std::string parts = m[1].str();
  int64_t ms = 0;
  for (auto it = std::sregex_iterator(parts.begin(), parts.end(), part);
       it != std::sregex_iterator(); ++it) {
    const int64_t n = std::stoll((*it)[1].str());
    const char unit = (*it)[2].str()[0];
    ms += n * (unit == 'h' ? 3'600'000 : unit == 'm' ? 60'000 : 1000);
  }
  return ms > 0 ? now + ms : 0;
}

// "resets at 3pm", "resets 3:30 PM", "reset at 15:00": the next such time of
// day in the service's zone.
TimeMs TimeOfDayForm(const std::string& lower, TimeMs now) {
  static const std::regex re(R"(resets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?)");
  std::smatch m;
  if (!std::regex_search(lower, m, re)) return 0;
  if (!m[2].matched && !m[3].matched) return 0;  // "resets 5": not a time
  int hour = std::stoi(m[1].str());
  const int minute = m[2].matched ? std::stoi(m[2].str()) : 0;
  if (m[3].matched) {
    if (hour < 1 || hour > 12) return 0;
    hour = hour % 12 + (m[3].str() == "pm" ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return 0;
  const std::time_t now_s = static_cast<std::time_t>(now / 1000);
  std::tm tm{};
  localtime_r(&now_s, &tm);
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::time_t at = mktime(&tm);
  if (static_cast<TimeMs>(at) * 1000 <= now) {
    tm.tm_mday += 1;
    tm.tm_isdst = -1;
    at = mktime(&tm);
  }
  return static_cast<TimeMs>(at) * 1000;
}

}  // namespace

TimeMs ParseUsageLimitReset(std::string_view text, TimeMs now) {
  const std::string original(text);
  const std::string lower = LowerAscii(text);
  if (TimeMs t = UnixForm(lower)) return t;
  if (TimeMs t = RetryAfterForm(original, lower, now)) return t;
  if (TimeMs t = DurationForm(lower, now)) return t;
  return TimeOfDayForm(lower, now);
}

std::optional<UsageLimitHit> FindUsageLimit(std::string_view output, TimeMs now) {
  std::optional<UsageLimitHit> hit;
  TimeMs reset_anywhere = 0;
  size_t start = 0;
  while (start <= output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(start, end - start);
    const std::string lower = LowerAscii(line);
    if (SaysUsageLimit(lower)) {
      // The last such line: the agent's final word on it.
      UsageLimitHit h;
      size_t b = line.find_first_not_of(" \t\r");
      size_t e = line.find_last_not_of(" \t\r");
      h.line = b == std::string_view::npos ? "" : std::string(line.substr(b, e - b + 1));
      if (h.line.size() > 300) h.line.resize(300);
      h.reset_at = ParseUsageLimitReset(line, now);
      hit = h;
    }
    if (TimeMs t = ParseUsageLimitReset(line, now)) reset_anywhere = t;
    start = end + 1;
  }
  // The reset may stand on a line of its own ("Retry-After: 120" in a
  // dumped response, "try again in 2 hours" after the limit line).
  if (hit && hit->reset_at == 0) hit->reset_at = reset_anywhere;
  return hit;
}

}  // namespace taskexec
