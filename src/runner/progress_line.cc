#include "runner/progress_line.h"

#include <array>
#include <cctype>
#include <optional>

#include <nlohmann/json.hpp>

#include "runner/outcome.h"

namespace taskexec {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kMarkers = {
    "TASK_COMPLETE:", "TASK_FAILED:", "TASK_NEEDS_INPUT:"};
// Keys whose string value is what an event-stream line says, in the order
// they are preferred.
constexpr std::array<const char*, 6> kTextKeys = {"text",   "message", "content",
                                                  "result", "summary", "delta"};
constexpr int kMaxJsonDepth = 4;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Drops ANSI/VT escape sequences (CSI "ESC [ ... final", OSC "ESC ] ... BEL
// or ESC \", and two-byte escapes) and other C0 control characters but tab.
std::string StripControls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1B) {
      if (i + 1 >= s.size()) break;
      const char kind = s[i + 1];
      if (kind == '[') {
        size_t j = i + 2;
        while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7E)) ++j;
        i = j;
      } else if (kind == ']') {
        size_t j = i + 2;
        while (j < s.size() && s[j] != '\a' && !(s[j] == 0x1B && j + 1 < s.size())) ++j;
        i = (j < s.size() && s[j] == 0x1B) ? j + 1 : j;
      } else {
        ++i;
      }
      continue;
    }
    if (c < 0x20 && c != '\t') continue;
    if (c == 0x7F) continue;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

bool HasWordCharacter(std::string_view s) {
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) return true;
  }
  return false;
}

// The first text-like string in `j`, searched breadth first by key order.
std::optional<std::string> TextIn(const json& j, int depth) {
  if (depth > kMaxJsonDepth) return std::nullopt;
  if (j.is_object()) {
    for (const char* key : kTextKeys) {
      auto it = j.find(key);
      if (it != j.end() && it->is_string() && HasWordCharacter(it->get_ref<const std::string&>()))
        return it->get<std::string>();
    }
    for (const auto& [key, value] : j.items()) {
      if (!value.is_structured()) continue;
      if (auto text = TextIn(value, depth + 1)) return text;
    }
  } else if (j.is_array()) {
    // The newest part of a list is at its end.
    for (auto it = j.rbegin(); it != j.rend(); ++it) {
      if (!it->is_structured()) continue;
      if (auto text = TextIn(*it, depth + 1)) return text;
    }
  }
  return std::nullopt;
}

std::string CutToChars(const std::string& text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++chars > max_chars) {
      // Room for the ellipsis: keep max_chars - 1 code points.
      size_t keep = 0;
      size_t seen = 0;
      for (size_t k = 0; k < text.size(); ++k) {
        if ((static_cast<unsigned char>(text[k]) & 0xC0) == 0x80) continue;
        if (++seen == max_chars) {
          keep = k;
          break;
        }
      }
      return std::string(Trim(std::string_view(text).substr(0, keep))) + "…";
    }
  }
  return text;
}

// What one line shows, or "" when it shows nothing worth reading. `depth`
// bounds text taken out of JSON that itself holds lines.
std::string Meaning(std::string_view raw, int depth);

std::string LastOf(std::string_view text, int depth) {
  size_t end = text.size();
  while (true) {
    const size_t nl = end == 0 ? std::string_view::npos : text.rfind('\n', end - 1);
    const size_t begin = nl == std::string_view::npos ? 0 : nl + 1;
    std::string meaning = Meaning(text.substr(begin, end - begin), depth);
    if (!meaning.empty()) return meaning;
    if (nl == std::string_view::npos) return "";
    end = nl;
  }
}

std::string Meaning(std::string_view raw, int depth) {
  // A redrawn line: what the terminal last showed.
  raw = Trim(raw);
  if (const size_t cr = raw.rfind('\r'); cr != std::string_view::npos) {
    raw = raw.substr(cr + 1);
  }
  const std::string clean = StripControls(raw);
  std::string_view line = Trim(clean);
  if ((line.starts_with('{') || line.starts_with('[')) && depth < 2) {
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      const std::optional<std::string> text = TextIn(j, 0);
      return text ? LastOf(*text, depth + 1) : "";
    }
  }
  for (std::string_view marker : kMarkers) {
    if (line.starts_with(marker)) {
      line = Trim(line.substr(marker.size()));
      break;
    }
  }
  if (!HasWordCharacter(line)) return "";
  return std::string(line);
}

}  // namespace

std::string LastMeaningfulLine(std::string_view recent_output, size_t max_chars) {
  if (max_chars == 0) return "";
  std::string line = LastOf(recent_output, 0);
  if (line.empty()) return "";
  // Invalid bytes become '?': the line goes into JSON and the store.
  return CutToChars(SanitizeText(line, line.size()), max_chars);
}

bool LastMeaningfulLineOfTail(std::string_view tail, std::string* line, size_t max_chars) {
  // Its first line may be cut: only the whole lines after it count, and
  // the walk from the end meets them as it would in the whole output.
  const size_t nl = tail.find('\n');
  if (nl == std::string_view::npos) return false;
  const std::string found = LastOf(tail.substr(nl + 1), 0);
  if (found.empty()) return false;
  *line = max_chars == 0 ? "" : CutToChars(SanitizeText(found, found.size()), max_chars);
  return true;
}

}  // namespace taskexec
