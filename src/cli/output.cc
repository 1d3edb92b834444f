#include "cli/output.h"

#include <algorithm>

namespace taskexec {

size_t DisplayWidth(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string Cell(const std::string& text, size_t max_chars) {
  std::string out;
  out.reserve(text.size());
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char && max_chars > 0 && chars == max_chars) {
      // Cut, leaving room for the ellipsis.
      size_t cut = out.size();
      while (cut > 0 && (static_cast<unsigned char>(out[cut - 1]) & 0xC0) == 0x80) --cut;
      if (cut > 0) --cut;
      out.resize(cut);
      return out + "\xe2\x80\xa6";
    }
    if (starts_char) ++chars;
    out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  }
  return out;
}

std::string TimeCell(TimeMs t) { return t == 0 ? "-" : FormatIso8601(t); }

void Table::AddRow(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out, size_t max_width) const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  if (max_width > 0 && !width.empty()) {
    size_t line = 2 * (width.size() - 1);
    for (size_t w : width) line += w;
    auto floor = [&](size_t i) { return std::max<size_t>(DisplayWidth(header_[i]), 6); };
    while (line > max_width) {
      size_t widest = width.size();
      for (size_t i = 0; i < width.size(); ++i) {
        if (width[i] > floor(i) && (widest == width.size() || width[i] > width[widest])) widest = i;
      }
      if (widest == width.size()) break;  // nothing left to narrow
      --width[widest];
      --line;
    }
  }
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string cell = DisplayWidth(row[i]) > width[i] ? Cell(row[i], width[i]) : row[i];
      line += cell;
      if (i + 1 < row.size()) line += std::string(width[i] - DisplayWidth(cell) + 2, ' ');
    }
    // Empty trailing cells would leave trailing blanks.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

}  // namespace taskexec
