#include "runner/outcome_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error_type.h"
#include "core/json_read.h"
#include "core/task_status.h"
#include "core/write_all.h"
#include "runner/json_file.h"

namespace taskexec {

using nlohmann::json;

namespace {

json UsageJson(const AgentUsage& u) {
  json j = {{"input_tokens", u.input_tokens},
            {"output_tokens", u.output_tokens},
            {"cache_read_tokens", u.cache_read_tokens},
            {"cache_write_tokens", u.cache_write_tokens},
            {"model", u.model},
            {"num_turns", u.num_turns}};
  if (u.cost_usd) j["cost_usd"] = *u.cost_usd;
  return j;
}

AgentUsage UsageFrom(const json& j) {
  AgentUsage u;
  if (!j.is_object()) return u;
  u.input_tokens = JsonInt(j, "input_tokens");
  u.output_tokens = JsonInt(j, "output_tokens");
  u.cache_read_tokens = JsonInt(j, "cache_read_tokens");
  u.cache_write_tokens = JsonInt(j, "cache_write_tokens");
  u.model = JsonString(j, "model");
  u.num_turns = static_cast<int>(JsonInt(j, "num_turns"));
  auto cost = j.find("cost_usd");
  if (cost != j.end() && cost->is_number()) u.cost_usd = cost->get<double>();
  return u;
}

std::optional<int> OptionalInt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return static_cast<int>(it->get<int64_t>());
}

Status WriteAllTo(int fd, const std::string& data) {
  if (!WriteAll(fd, data.data(), data.size())) return Status::IOError(std::strerror(errno));
  return Status::OK();
}

}  // namespace

Status WriteOutcomeFile(const std::string& path, const AgentResult& r) {
  json artifacts = json::array();
  for (const Artifact& a : r.artifacts) {
    artifacts.push_back({{"id", a.id},
                         {"name", a.name},
                         {"path", a.path},
                         {"type", a.type},
                         {"size", a.size},
                         {"sha256", a.sha256},
                         {"created_at", a.created_at}});
  }
  json j = {{"status", std::string(ToString(r.status))},
            {"error_type", std::string(ToString(r.error_type))},
            {"retryable", r.retryable},
            {"error", r.error},
            {"summary", r.summary},
            {"session_id", r.session_id},
            {"question", r.question},
            {"usage", UsageJson(r.usage)},
            {"artifacts", std::move(artifacts)},
            {"warnings", r.warnings},
            {"pid", r.pid},
            {"last_output_at", r.last_output_at},
            {"last_output_line", r.last_output_line},
            {"usage_limit_reset_at", r.usage_limit_reset_at}};
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  if (r.term_signal) j["term_signal"] = *r.term_signal;
  // Invalid UTF-8 from an agent's output is replaced, not a throw.
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);

  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  // No fsync: the file is for a service that dies (the kernel keeps what
  // it wrote), as the store's own writes are; an fsync per attempt would
  // cost more than the attempt's bookkeeping.
  Status s = WriteAllTo(fd, text);
  close(fd);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) s = Status::IOError(std::strerror(errno));
  if (!s.ok()) {
    unlink(tmp.c_str());
    return Status::IOError("cannot write " + path + ": " + s.message());
  }
  return Status::OK();
}

Status ReadOutcomeFile(const std::string& path, AgentResult* out) {
  json j;
  if (Status s = ReadJsonObjectFile(path, "outcome file", &j); !s.ok()) return s;
  const std::optional<ExecutionStatus> status = ParseExecutionStatus(JsonString(j, "status"));
  const std::optional<ErrorType> type = ParseErrorType(JsonString(j, "error_type"));
  if (!status || !type) {
    return Status::Corruption("outcome file " + path + " names no known status and error type");
  }
  AgentResult r;
  r.status = *status;
  r.error_type = *type;
  r.retryable = JsonBool(j, "retryable");
  r.error = JsonString(j, "error");
  r.summary = JsonString(j, "summary");
  r.session_id = JsonString(j, "session_id");
  r.question = JsonString(j, "question");
  if (auto u = j.find("usage"); u != j.end()) r.usage = UsageFrom(*u);
  if (auto a = j.find("artifacts"); a != j.end() && a->is_array()) {
    for (const json& one : *a) {
      if (!one.is_object()) continue;
      Artifact art;
      art.id = JsonString(one, "id");
      art.name = JsonString(one, "name");
      art.path = JsonString(one, "path");
      art.type = JsonString(one, "type");
      art.size = JsonInt(one, "size");
      art.sha256 = JsonString(one, "sha256");
      art.created_at = JsonInt(one, "created_at");
      r.artifacts.push_back(std::move(art));
    }
  }
  if (auto w = j.find("warnings"); w != j.end() && w->is_array()) {
    for (const json& one : *w)
      if (one.is_string()) r.warnings.push_back(one.get<std::string>());
  }
  r.pid = JsonInt(j, "pid");
  r.last_output_at = JsonInt(j, "last_output_at");
  r.last_output_line = JsonString(j, "last_output_line");
  r.usage_limit_reset_at = JsonInt(j, "usage_limit_reset_at");
  r.exit_code = OptionalInt(j, "exit_code");
  r.term_signal = OptionalInt(j, "term_signal");
  *out = std::move(r);
  return Status::OK();
}

}  // namespace taskexec
