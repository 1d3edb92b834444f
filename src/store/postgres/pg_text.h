// How strings cross into PostgreSQL text columns byte for byte.
//
// TaskStore promises that any byte string round trips (titles, agent output,
// artifact paths: invalid UTF-8 included). A PostgreSQL text value must be
// valid in the database's encoding (UTF-8 on any modern server) and cannot
// hold NUL, so a string that is not valid UTF-8, holds a NUL, or begins with
// the escape mark is stored as the mark followed by its bytes in lower-case
// hex. Every other string, which is every string a person or an agent
// normally writes, is stored as it is: equality, ordering and search work on
// it unchanged. An escaped value compares equal only to the same escaped
// bytes, and a search does not look inside it.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace taskexec::pg {

// U+F8FF (a private-use code point), which no tool writes on purpose.
inline constexpr std::string_view kEscapeMark = "\xEF\xA3\xBF";

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF) without NUL.
bool IsStorableText(std::string_view s);

// What is stored for `s`, and back.
std::string EncodeText(std::string_view s);
std::string DecodeText(std::string_view stored);

}  // namespace taskexec::pg
