#include "cli/task_import.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "api/json_codec.h"

namespace taskexec {
namespace {

const std::vector<std::string> kCsvFields = {
    "title",      "id",       "description", "type",    "assigned_to",
    "notion_url", "priority", "max_retries", "context", "context_json"};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One CSV row as the JSON object ParseNewTask reads.
Status CsvRowToJson(const std::vector<std::string>& columns, const std::vector<std::string>& cells,
                    nlohmann::json* out) {
  if (cells.size() != columns.size()) {
    return Status::InvalidArgument("has " + std::to_string(cells.size()) +
                                   " fields; the header has " + std::to_string(columns.size()));
  }
  *out = nlohmann::json::object();
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& name = columns[i];
    const std::string& cell = cells[i];
    if (cell.empty()) continue;
    if (name == "max_retries") {
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), n);
      if (ec != std::errc() || ptr != cell.data() + cell.size()) {
        return Status::InvalidArgument("max_retries: \"" + cell + "\" is not an integer");
      }
      (*out)[name] = n;
    } else if (name == "context") {
      auto parsed = nlohmann::json::parse(cell, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) return Status::InvalidArgument("context: malformed JSON");
      (*out)[name] = std::move(parsed);
    } else {
      (*out)[name] = cell;
    }
  }
  return Status::OK();
}

}  // namespace

Status ParseImportFormat(const std::string& name, const std::string& path, ImportFormat* out) {
  if (name == "jsonl") {
    *out = ImportFormat::kJsonLines;
  } else if (name == "csv") {
    *out = ImportFormat::kCsv;
  } else if (name == "auto") {
    *out = EndsWith(path, ".csv") || EndsWith(path, ".CSV") ? ImportFormat::kCsv
                                                            : ImportFormat::kJsonLines;
  } else {
    return Status::InvalidArgument("--format: \"" + name + "\" is not one of auto, jsonl, csv");
  }
  return Status::OK();
}

ImportReader::ImportReader(std::istream& in, ImportFormat format) : in_(in), format_(format) {}

bool ImportReader::Next(ImportRecord* out) {
  *out = ImportRecord{};
  return format_ == ImportFormat::kCsv ? NextCsvRecord(out) : NextJsonLine(out);
}

bool ImportReader::NextJsonLine(ImportRecord* out) {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    out->line = line_;
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      out->error = Status::InvalidArgument("malformed JSON");
    } else if (!parsed.is_object()) {
      out->error = Status::InvalidArgument("not a JSON object");
    } else {
      out->error = ParseNewTask(parsed, &out->task);
    }
    return true;
  }
  return false;
}

bool ImportReader::ReadCsvCells(std::vector<std::string>* cells, int* line, Status* error) {
  cells->clear();
  *error = Status::OK();
  int c = in_.get();
  if (c == EOF) return false;
  *line = ++line_;
  std::string cell;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field started with a quote
  for (;; c = in_.get()) {
    if (c == EOF) {
      if (quoted) *error = Status::InvalidArgument("a quoted field is not closed");
      cells->push_back(std::move(cell));
      return true;
    }
    if (quoted) {
      if (c == '"') {
        if (in_.peek() == '"') {
          cell.push_back('"');
          in_.get();
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        cell.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == '"' && cell.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      cells->push_back(std::move(cell));
      cell.clear();
      was_quoted = false;
    } else if (c == '\r' && in_.peek() == '\n') {
      continue;  // CRLF: the \n ends the record
    } else if (c == '\n') {
      cells->push_back(std::move(cell));
      return true;
    } else {
      if (was_quoted && error->ok()) {
        *error = Status::InvalidArgument("text after a closing quote");
      }
      cell.push_back(static_cast<char>(c));
    }
  }
}

bool ImportReader::NextCsvRecord(ImportRecord* out) {
  std::vector<std::string> cells;
  Status error;
  int line = 0;
  if (!header_read_) {
    header_read_ = true;
    if (!ReadCsvCells(&cells, &line, &error)) {
      header_error_ = Status::InvalidArgument("the CSV file is empty; expected a header row");
      return false;
    }
    for (std::string& name : cells) {
      if (std::find(kCsvFields.begin(), kCsvFields.end(), name) == kCsvFields.end()) {
        header_error_ = Status::InvalidArgument("CSV header, line " + std::to_string(line) +
                                                ": unknown field \"" + name + "\"");
        return false;
      }
    }
    if (std::find(cells.begin(), cells.end(), "title") == cells.end()) {
      header_error_ = Status::InvalidArgument("CSV header, line " + std::to_string(line) +
                                              ": no \"title\" column");
      return false;
    }
    columns_ = std::move(cells);
  }
  for (;;) {
    if (!ReadCsvCells(&cells, &line, &error)) return false;
    if (cells.size() == 1 && cells[0].empty() && error.ok()) continue;  // blank line
    out->line = line;
    if (!error.ok()) {
      out->error = error;
      return true;
    }
    nlohmann::json j;
    out->error = CsvRowToJson(columns_, cells, &j);
    if (out->error.ok()) out->error = ParseNewTask(j, &out->task);
    return true;
  }
}

}  // namespace taskexec
