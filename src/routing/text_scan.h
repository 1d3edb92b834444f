// Text scanning for routing: lower-cases a task's text once and splits it into
// words, so every rule can match whole words without std::regex (which is
// slow and can recurse deeply on long input).
//
// A word is a maximal run of ASCII letters, ASCII digits and non-ASCII bytes.
// Non-ASCII bytes count as letters so "décode" stays one word and never
// matches "code"; they are never decoded, so invalid UTF-8 is harmless.
// Everything else ('_', '-', '.', '/', spaces, ...) separates words, so
// "bug-fix" and "code_review" yield "fix" and "code".
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace taskexec::routing {

struct Word {
  std::string_view text;  // points into ScannedText::lower
  size_t begin = 0;       // byte offset of the first character in `lower`
  size_t end = 0;         // one past the last character
};

struct ScannedText {
  std::string lower;        // the input with ASCII letters lower-cased
  std::vector<Word> words;  // in order of appearance

  ScannedText() = default;
  // Word views point into `lower`, so a copy would dangle; moving a
  // std::string may also move its small-string buffer. Keep it in place.
  ScannedText(const ScannedText&) = delete;
  ScannedText& operator=(const ScannedText&) = delete;
};

bool IsWordByte(unsigned char c);

// Fills `out` (which must be empty) from `text`.
void ScanText(std::string_view text, ScannedText* out);

}  // namespace taskexec::routing
