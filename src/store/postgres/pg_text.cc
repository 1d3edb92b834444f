#include "store/postgres/pg_text.h"

namespace taskexec::pg {

namespace {

// The length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629
// table 3-7: the second byte's range depends on the first).
size_t SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c >= 0x01 && c <= 0x7F) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;  // NUL, a continuation byte, or a byte UTF-8 never uses
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool IsStorableText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string EncodeText(std::string_view s) {
  if (IsStorableText(s) && s.substr(0, kEscapeMark.size()) != kEscapeMark) return std::string(s);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(kEscapeMark);
  out.reserve(kEscapeMark.size() + 2 * s.size());
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
  return out;
}

std::string DecodeText(std::string_view stored) {
  if (stored.substr(0, kEscapeMark.size()) != kEscapeMark) return std::string(stored);
  const std::string_view hex = stored.substr(kEscapeMark.size());
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    // Not something EncodeText wrote (another tool's value that happens to
    // start with the mark): it is shown as stored.
    if (hi < 0 || lo < 0 || hex.size() % 2 != 0) return std::string(stored);
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace taskexec::pg
