#include "core/writable_dir.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace taskexec {

namespace fs = std::filesystem;

Status CheckWritableDir(const std::string& key, const std::string& path) {
  if (path.empty()) return Status::InvalidArgument(key + ": empty");
  fs::path existing = path;
  std::error_code ec;
  while (!fs::exists(existing, ec)) {
    if (existing == existing.parent_path() || existing.parent_path().empty()) {
      existing = ".";
      break;
    }
    existing = existing.parent_path();
  }
  if (!fs::is_directory(existing, ec)) {
    return Status::IOError(key + ": " + path + " cannot be a directory: " + existing.string() +
                           " is a file");
  }
  std::string probe = (existing / ".taskexec-write-check-XXXXXX").string();
  std::vector<char> name(probe.begin(), probe.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) {
    const int err = errno;
    return Status::IOError(key + ": cannot write in " + existing.string() +
                           (existing.string() == path ? "" : " (to make " + path + ")") + ": " +
                           std::strerror(err));
  }
  // A page of data, not just a name: a full file system still has inodes
  // for empty files but no room for what an attempt writes.
  const std::string page(4096, '\n');
  const ssize_t wrote = write(fd, page.data(), page.size());
  const int err = errno;
  close(fd);
  unlink(name.data());
  if (wrote != static_cast<ssize_t>(page.size())) {
    return Status::IOError(key + ": cannot write in " + existing.string() + ": " +
                           (wrote < 0 ? std::strerror(err) : "short write"));
  }
  return Status::OK();
}

}  // namespace taskexec
