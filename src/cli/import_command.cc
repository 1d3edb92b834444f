// task import FILE: adds the tasks of a JSON-lines or CSV file
// (cli/task_import.h), a batch per store transaction. Bad records are
// reported with their line and skipped; the others are kept.
#include <algorithm>
#include <fstream>
#include <memory>

#include "api/json_codec.h"
#include "cli/commands.h"
#include "cli/task_import.h"

namespace taskexec {
namespace {

struct ImportOptions {
  std::string path;
  std::string format = "auto";
  int batch = 5000;
};

struct Refusal {
  int line;
  std::string error;
};

// Sends one batch; records what was refused.
Status Flush(TaskService& service, std::vector<NewTask>* tasks, std::vector<int>* lines,
             int64_t* imported, std::vector<Refusal>* refused) {
  if (tasks->empty()) return Status::OK();
  std::vector<Status> results;
  Status s = service.AddTasks(*tasks, &results);
  if (!s.ok()) return s;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) {
      ++*imported;
    } else {
      refused->push_back({(*lines)[i], results[i].message()});
    }
  }
  tasks->clear();
  lines->clear();
  return Status::OK();
}

int RunImport(CliContext& ctx, const ImportOptions& o) {
  ImportFormat format;
  if (Status s = ParseImportFormat(o.format, o.path, &format); !s.ok()) return ctx.Fail(s);
  std::ifstream file;
  if (o.path != "-") {
    file.open(o.path, std::ios::binary);
    if (!file) return ctx.Fail(Status::IOError("cannot read \"" + o.path + "\""));
  }
  std::istream& in = o.path == "-" ? ctx.in() : file;
  std::unique_ptr<TaskService> service;
  if (Status s = ctx.OpenService(&service); !s.ok()) return ctx.Fail(s);

  ImportReader reader(in, format);
  std::vector<NewTask> batch;
  std::vector<int> lines;
  std::vector<Refusal> refused;
  int64_t imported = 0;
  ImportRecord record;
  while (reader.Next(&record)) {
    if (!record.error.ok()) {
      refused.push_back({record.line, record.error.message()});
      continue;
    }
    record.task.source = "import";
    batch.push_back(std::move(record.task));
    lines.push_back(record.line);
    if (static_cast<int>(batch.size()) >= o.batch) {
      if (Status s = Flush(*service, &batch, &lines, &imported, &refused); !s.ok()) {
        ctx.err() << "taskexec: " << imported << " tasks were imported before the store failed\n";
        return ctx.Fail(s);
      }
    }
  }
  if (!reader.header_error().ok()) return ctx.Fail(reader.header_error());
  if (Status s = Flush(*service, &batch, &lines, &imported, &refused); !s.ok()) {
    ctx.err() << "taskexec: " << imported << " tasks were imported before the store failed\n";
    return ctx.Fail(s);
  }
  std::stable_sort(refused.begin(), refused.end(),
                   [](const Refusal& a, const Refusal& b) { return a.line < b.line; });
  const std::string name = o.path == "-" ? "<stdin>" : o.path;
  if (ctx.options.json) {
    nlohmann::json j = {{"imported", imported}, {"refused", nlohmann::json::array()}};
    for (const Refusal& r : refused) j["refused"].push_back({{"line", r.line}, {"error", r.error}});
    ctx.PrintJson(j);
  } else {
    for (const Refusal& r : refused) ctx.err() << name << ":" << r.line << ": " << r.error << '\n';
    ctx.out() << "imported " << imported << " tasks";
    if (!refused.empty()) ctx.out() << "; refused " << refused.size() << " (listed above)";
    ctx.out() << '\n';
  }
  return refused.empty() ? 0 : 1;
}

}  // namespace

void AddTaskImportCommand(CLI::App& task, CliContext& ctx) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* import = task.add_subcommand(
      "import", "Add the tasks of a JSON-lines or CSV file; bad lines are reported and skipped");
  import->add_option("file", o->path, "The file ('-' = stdin)")->required();
  import->add_option("--format", o->format, "auto (by the file name) | jsonl | csv")
      ->capture_default_str();
  import->add_option("--batch", o->batch, "Tasks per store transaction")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  import->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunImport(ctx, *o);
};
}  // namespace taskexec
);
}

}  // namespace taskexec
