// Reading tasks for `taskexec task import`: JSON lines or CSV, one task per
// record, each read with the HTTP API's rules (api/json_codec.h,
// ParseNewTask), so a record is accepted exactly when POST /api/v1/tasks
// would accept it.
//
//  - JSON lines: one object per line; blank lines are skipped.
//  - CSV (RFC 4180): a header row naming ParseNewTask's fields (title, id,
//    description, type, assigned_to, notion_url, priority, max_retries,
//    context, context_json); fields may be quoted ("" for a quote, line
//    breaks inside quotes allowed). An empty cell leaves the field unset;
//    max_retries is an integer and context a JSON object.
//
// A bad record is reported with the line it starts on and does not stop the
// reader; a bad CSV header stops it (Status from header_error()).
//
// Thread-safety: one reader per thread.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "core/domain.h"
#include "core/status.h"

namespace taskexec {

enum class ImportFormat { kJsonLines, kCsv };

// "jsonl" / "csv", or "auto": by the file name (".csv" is CSV, anything
// else JSON lines).
Status ParseImportFormat(const std::string& name, const std::string& path, ImportFormat* out);

struct ImportRecord {
  int line = 0;  // where the record starts (1-based)
  NewTask task;
  Status error;  // not OK: the record is refused for this reason
};

class ImportReader {
 public:
  ImportReader(std::istream& in, ImportFormat format);

  // The next record; false at the end of the input (or after a bad header).
  bool Next(ImportRecord* out);
  // Not OK when the CSV header is missing or names an unknown field.
  const Status& header_error() const { return header_error_; }

 private:
  bool NextJsonLine(ImportRecord* out);
  bool NextCsvRecord(ImportRecord* out);
  // Reads one CSV record's cells; false at end of input. `line` = its first line.
  bool ReadCsvCells(std::vector<std::string>* cells, int* line, Status* error);

  std::istream& in_;
  ImportFormat format_;
  int line_ = 0;  // lines consumed so far
  bool header_read_ = false;
  std::vector<std::string> columns_;
  Status header_error_;
};

}  // namespace taskexec
