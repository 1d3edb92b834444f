#include "core/write_all.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/make_dir.h"

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

namespace {

constexpr int kWholeFileFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

// Writes `data` to the open `fd` of `path` and closes it.
Status WriteAndClose(int fd, const std::string& path, std::string_view data) {
  const bool written = WriteAll(fd, data.data(), data.size());
  const int err = written ? 0 : errno;
  if (close(fd) != 0 && written) {
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  if (!written) return Status::IOError("cannot write " + path + ": " + std::strerror(err));
  return Status::OK();
}

}  // namespace

Status WriteWholeFile(const std::string& path, std::string_view data) {
  const int fd = open(path.c_str(), kWholeFileFlags, 0644);
  if (fd < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  return WriteAndClose(fd, path, data);
}

Status WriteWholeFileMakingFolder(const std::string& path, std::string_view data) {
  int fd = -1;
  if (Status s = OpenMakingFolder(path, kWholeFileFlags, 0644, "file", &fd); !s.ok()) return s;
  return WriteAndClose(fd, path, data);
}

}  // namespace taskexec
