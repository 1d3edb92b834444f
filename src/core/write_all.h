// Writing a whole buffer: to a descriptor (short writes and EINTR retried),
// or as the whole content of a file.
//
// Thread-safety: stateless; touches only the descriptor or file given.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace taskexec {

// Writes all `n` bytes of `data` to `fd`; false with errno set on failure.
bool WriteAll(int fd, const char* data, size_t n);

// `path` made (or emptied) and written with `data` (mode 0644,
// close-on-exec while open); IOError naming the path and the reason.
Status WriteWholeFile(const std::string& path, std::string_view data);
// The same, making the file's folder when it is missing (OpenMakingFolder).
Status WriteWholeFileMakingFolder(const std::string& path, std::string_view data);

}  // namespace taskexec
