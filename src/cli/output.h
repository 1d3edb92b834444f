// Human-readable output helpers for the CLI: aligned tables and cell text.
//
// Thread-safety: a Table is a plain value; the functions are pure.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/clock.h"

namespace taskexec {

// Columns padded to the widest cell (counted in UTF-8 code points), two
// spaces apart; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row);
  // Prints the header and rows, columns two spaces apart. With max_width > 0
  // the widest columns are narrowed (never below their header or 6
  // characters) and their cells cut with "…" until a line fits.
  void Print(std::ostream& out, size_t max_width = 0) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// One table cell: control characters (newlines, tabs, escape sequences from
// agent output) become spaces, and text longer than `max_chars` code points
// is cut with "…" (0 = no limit).
std::string Cell(const std::string& text, size_t max_chars = 0);
// ISO-8601 time, or "-" when unset.
std::string TimeCell(TimeMs t);
// Number of UTF-8 code points (continuation bytes are not counted).
size_t DisplayWidth(const std::string& text);

}  // namespace taskexec
