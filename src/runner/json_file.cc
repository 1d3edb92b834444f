#include "runner/json_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskexec {

Status ReadJsonObjectFile(const std::string& path, const std::string& what, nlohmann::json* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no " + what + " " + path);
    return Status::IOError("cannot read " + what + " " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      close(fd);
      if (err != 0) {
        return Status::IOError("cannot read " + what + " " + path + ": " + std::strerror(err));
      }
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption(what + " " + path + " does not parse");
  *out = std::move(j);
  return Status::OK();
}

}  // namespace taskexec
