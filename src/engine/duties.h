// Duties: the engine loop's periodic work as one table of named duties with
// their periods (renew leases, carry out cancels, poll the store, sweep for
// expired leases), run by the loop while it runs and by the shutdown drain,
// so every timer lives in one place and the loop sleeps exactly until the
// next one is due.
//
// Thread-safety: used by the engine thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace taskexec {

class Duties {
 public:
  // Returns true when its work may have made tasks runnable (dispatch).
  using Work = std::function<bool()>;

  // `first_at` (monotonic ms) is when it is first due.
  void Add(std::string name, int64_t period_ms, int64_t first_at, Work work);

  // Runs, in the order added, every duty due at `now` and the one named
  // `also` (due or not; "" = none), each rescheduled a period after `now`.
  // True when any asked for a dispatch.
  bool RunDue(int64_t now, const std::string& also = "");
  // Runs the named duty if it is due.
  bool RunIfDue(const std::string& name, int64_t now);
  // The earliest time a duty is due (INT64_MAX without duties).
  int64_t NextDue() const;

 private:
  struct Duty {
    std::string name;
    int64_t period_ms;
    int64_t next_at;
    Work work;
  };
  bool Run(Duty& d, int64_t now);
  std::vector<Duty> duties_;
};

}  // namespace taskexec
