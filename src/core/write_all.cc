#include "core/write_all.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskexec {

bool WriteAll(int fd, const char* data, size_t n) {
  size_t off = 0;
  while (off < n) {
    const ssize_t w = write(fd, data + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return false;
    }
    off += static_cast<size_t>(w);
  }
  return true;
}

Status WriteWholeFile(const std::string& path, std::string_view data) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  const bool written = WriteAll(fd, data.data(), data.size());
  const int err = written ? 0 : errno;
  if (close(fd) != 0 && written) {
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  if (!written) return Status::IOError("cannot write " + path + ": " + std::strerror(err));
  return Status::OK();
}

}  // namespace taskexec
