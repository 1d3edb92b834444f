#include "core/make_dir.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace taskexec {

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0777) == 0) return Status::OK();
  const int err = errno;
  std::error_code ec;
  if (err == EEXIST) {
    if (std::filesystem::is_directory(path, ec)) return Status::OK();
    return Status::IOError("cannot create " + path + ": it exists and is not a folder");
  }
  if (err != ENOENT) return Status::IOError("cannot create " + path + ": " + std::strerror(err));
  // A parent is missing: the rare case (a work dir removed by hand).
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IOError("cannot create " + path + ": " + ec.message());
  return Status::OK();
}

Status OpenMakingFolder(const std::string& path, int flags, unsigned mode, const char* what,
                        int* fd) {
  *fd = open(path.c_str(), flags, mode);
  if (*fd < 0 && errno == ENOENT) {
    const std::string folder = std::filesystem::path(path).parent_path().string();
    if (!folder.empty()) {
      if (Status s = MakeDir(folder); !s.ok()) return s;
    }
    *fd = open(path.c_str(), flags, mode);
  }
  if (*fd < 0)
    return Status::IOError(std::string("cannot open ") + what + " " + path + ": " +
                           std::strerror(errno));
  return Status::OK();
}

}  // namespace taskexec
