#include "runner/stdout_copy.h"

#include <fstream>

namespace taskexec {

std::string StdoutForParsing(const ProcessResult& process, const std::string& copy_path,
                             size_t max_bytes, std::string* warning) {
  const auto total = static_cast<size_t>(std::max<int64_t>(process.stdout_bytes, 0));
  if (total <= process.stdout_tail.size() || copy_path.empty()) return process.stdout_tail;
  std::ifstream in(copy_path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : -1;
  if (size < 0 || static_cast<size_t>(size) < total) {
    *warning = "stdout (" + std::to_string(total) +
               " bytes) is larger than the in-memory tail and " + copy_path +
               " does not hold all of it; the result was read from the last " +
               std::to_string(process.stdout_tail.size()) + " bytes";
    return process.stdout_tail;
  }
  const size_t take = std::min(total, max_bytes);
  if (take < total) {
    *warning = "stdout is " + std::to_string(total) + " bytes; the result was read from the last " +
               std::to_string(take);
  }
  std::string out(take, '\0');
  in.seekg(static_cast<std::streamoff>(total - take));
  in.read(out.data(), static_cast<std::streamsize>(take));
  if (static_cast<size_t>(in.gcount()) != take) {
    *warning = "cannot read " + copy_path + "; the result was read from the in-memory tail";
    return process.stdout_tail;
  }
  return out;
}

}  // namespace taskexec
