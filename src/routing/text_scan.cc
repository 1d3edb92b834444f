#include "routing/text_scan.h"

namespace taskexec::routing {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void ScanText(std::string_view text, ScannedText* out) {
  out->lower.assign(text.begin(), text.end());
  for (char& ch : out->lower) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  const std::string& s = out->lower;
  size_t i = 0;
  while (i < s.size()) {
    if (!IsWordByte(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && IsWordByte(static_cast<unsigned char>(s[i]))) ++i;
    out->words.push_back(Word{std::string_view(s).substr(start, i - start), start, i});
  }
}

}  // namespace taskexec::routing
