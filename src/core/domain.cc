#include "core/domain.h"

namespace taskexec {

int PriorityWeight(const std::string& p) {
  if (p == "critical") return 4;
  if (p == "high") return 3;
  if (p == "normal") return 2;
  if (p == "low") return 1;
  return 2;
}

bool IsKnownPriority(const std::string& p) {
  return p == "critical" || p == "high" || p == "normal" || p == "low";
}

}  // namespace taskexec
