#include "runner/cpu_priority.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

namespace taskexec {

int NiceBelowOwn(int increment) {
  // getpriority may return -1 as a value: errno tells.
  errno = 0;
  int own = getpriority(PRIO_PROCESS, 0);
  if (own == -1 && errno != 0) own = 0;
  if (increment <= 0) return own;
  return std::min(19, own + increment);
}

int SetNice(pid_t pid, int nice) {
  return setpriority(PRIO_PROCESS, static_cast<id_t>(pid), nice) == 0 ? 0 : errno;
}

}  // namespace taskexec
