#include "config/conninfo.h"

#include <cctype>
#include <utility>
#include <vector>

namespace taskexec {
namespace {

constexpr std::string_view kMask = "***";

bool IsUri(std::string_view s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

// A span [begin, end) of `s` holding a password.
using Span = std::pair<size_t, size_t>;

// The password spans of a URI: user:PASSWORD@ in the authority, and the
// values of password= in the query.
std::vector<Span> UriPasswords(std::string_view s) {
  std::vector<Span> out;
  const size_t start = s.find("://") + 3;
  size_t end = s.find_first_of("/?", start);
  if (end == std::string_view::npos) end = s.size();
  const size_t at = s.rfind('@', end - 1);
  if (at != std::string_view::npos && at >= start) {
    const size_t colon = s.find(':', start);
    if (colon != std::string_view::npos && colon < at) out.emplace_back(colon + 1, at);
  }
  const size_t query = s.find('?', start);
  if (query == std::string_view::npos) return out;
  for (size_t p = query + 1; p < s.size();) {
    size_t amp = s.find('&', p);
    if (amp == std::string_view::npos) amp = s.size();
    const std::string_view param = s.substr(p, amp - p);
    if (param.rfind("password=", 0) == 0) out.emplace_back(p + 9, amp);
    p = amp + 1;
  }
  return out;
}

// The password spans of key=value pairs; a value may be single-quoted with
// backslash escapes (libpq's rules).
std::vector<Span> PairPasswords(std::string_view s) {
  std::vector<Span> out;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= s.size()) break;
    const size_t key_start = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const std::string_view key = s.substr(key_start, i - key_start);
    skip_space();
    if (i >= s.size() || s[i] != '=') break;  // not key=value: nothing more to find
    ++i;
    skip_space();
    size_t value_start = i;
    size_t value_end = i;
    if (i < s.size() && s[i] == '\'') {
      value_start = ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      value_end = std::min(i, s.size());
      if (i < s.size()) ++i;  // the closing quote
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])))
        i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      value_end = std::min(i, s.size());
    }
    if (key == "password") out.emplace_back(value_start, value_end);
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<Span> Passwords(std::string_view s) {
  return IsUri(s) ? UriPasswords(s) : PairPasswords(s);
}

}  // namespace

std::string CheckConnInfo(const std::string& conninfo) {
  if (conninfo.empty() || IsUri(conninfo) || conninfo.find('=') != std::string::npos) return "";
  return "a postgresql:// URI (\"postgresql://taskexec@db.example.com/taskexec?sslmode="
         "verify-full\") or libpq key=value pairs (\"host=db dbname=taskexec\")";
}

std::string ConnInfoPassword(std::string_view conninfo) {
  const std::vector<Span> spans = Passwords(conninfo);
  if (spans.empty()) return "";
  const std::string_view raw =
      conninfo.substr(spans.front().first, spans.front().second - spans.front().first);
  // As libpq reads it: a URI percent-decoded, a key=value value unescaped.
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    const int hi = i + 2 < raw.size() ? HexDigit(raw[i + 1]) : -1;
    const int lo = i + 2 < raw.size() ? HexDigit(raw[i + 2]) : -1;
    if (IsUri(conninfo) && raw[i] == '%' && hi >= 0 && lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (!IsUri(conninfo) && raw[i] == '\\' && i + 1 < raw.size()) {
      out += raw[++i];
    } else {
      out += raw[i];
    }
  }
  return out;
}

std::string RedactConnInfo(std::string_view conninfo) {
  std::string out;
  size_t from = 0;
  for (const auto& [begin, end] : Passwords(conninfo)) {
    out += conninfo.substr(from, begin - from);
    out += kMask;
    from = end;
  }
  out += conninfo.substr(from);
  return out;
}

}  // namespace taskexec
