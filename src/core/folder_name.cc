#include "core/folder_name.h"

#include <cstdlib>

namespace taskexec {

std::string WorkspaceFolderName(const std::string& task_id) {
  std::string out;
  for (size_t i = 0; i < task_id.size(); ++i) {
    const char c = task_id[i];
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else if (c == '\0') {
      out += "%00";
    } else if (c == '.' && i == 0) {
      out += "%2E";
    } else {
      out += c;
    }
  }
  return out;
}

std::string TaskIdOfFolder(const std::string& folder) {
  std::string out;
  for (size_t i = 0; i < folder.size(); ++i) {
    if (folder[i] == '%' && i + 2 < folder.size()) {
      const std::string hex = folder.substr(i + 1, 2);
      char* end = nullptr;
      const long v = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += folder[i];
  }
  return out;
}

}  // namespace taskexec
