#include "runner/exit_record.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "runner/json_file.h"

namespace taskexec {

namespace {

bool DecodeBase64(const std::string& in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  std::string bytes(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  bytes.resize(static_cast<size_t>(n) - pad);
  *out = std::move(bytes);
  return true;
}

}  // namespace

Status ReadExitRecord(const std::string& path, ExitRecord* out) {
  nlohmann::json j;
  if (Status s = ReadJsonObjectFile(path, "exit record", &j); !s.ok()) return s;
  auto bad = [&path](const std::string& why) {
    return Status::Corruption("exit record " + path + ": " + why);
  };
  if (!j.contains("version") || j["version"] != 1) return bad("unknown version");
  ExitRecord r;
  auto integer = [&j](const char* key, int64_t* v) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    *v = it->get<int64_t>();
    return true;
  };
  int64_t v = 0;
  if (integer("exit_code", &v)) r.process.exit_code = static_cast<int>(v);
  if (integer("signal", &v)) r.process.term_signal = static_cast<int>(v);
  if (!r.process.exit_code && !r.process.term_signal) return bad("neither exit_code nor signal");
  if (integer("stop_signal", &v)) r.stop_signal = static_cast<int>(v);
  if (integer("duration_ms", &v)) r.process.duration_ms = v;
  if (integer("last_output_ms", &v)) r.process.last_output_ms = v;
  if (integer("stdout_bytes", &v)) r.process.stdout_bytes = v;
  if (auto it = j.find("log_failed"); it != j.end() && it->is_boolean()) r.log_failed = *it;
  for (auto [key, field] : {std::pair{"stdout_tail", &r.process.stdout_tail},
                            std::pair{"stderr_tail", &r.process.stderr_tail},
                            std::pair{"recent_output", &r.process.recent_output}}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || !DecodeBase64(it->get<std::string>(), field)) {
      return bad(std::string(key) + " is not base64");
    }
  }
  *out = std::move(r);
  return Status::OK();
}

std::string AttemptShimBeside(const std::string& program) {
  const std::string shim =
      (std::filesystem::path(program).parent_path() / "taskexec-attempt").string();
  return access(shim.c_str(), X_OK) == 0 ? shim : std::string();
}

}  // namespace taskexec
