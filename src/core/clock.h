// Clock: the one source of wall-clock time for the engine and the stores, so
// tests can drive time by hand. Times are milliseconds since the Unix epoch
// (UTC), the unit stored in SQLite and sent to Neo4j.
//
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace taskexec {

using TimeMs = int64_t;  // milliseconds since the Unix epoch, UTC

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override;
  static SystemClock* Default();
};

// A clock that only moves when told to. For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs NowMs() const override { return now_.load(); }
  void Advance(TimeMs delta) { now_.fetch_add(delta); }
  void Set(TimeMs t) { now_.store(t); }

 private:
  std::atomic<TimeMs> now_;
};

// Monotonic milliseconds, for timeouts and intervals (never stored).
int64_t MonotonicMs();

// "2026-11-25T10:42:01.123Z"; empty for 0.
std::string FormatIso8601(TimeMs t);
// Parses "YYYY-MM-DDTHH:MM[:SS[.fff]](Z|+hh:mm)". Returns false when malformed.
bool ParseIso8601(const std::string& text, TimeMs* out);
// A span for people: "45 s", "3 min 05 s", "2 h 03 min" (negative = 0 s).
std::string FormatElapsed(int64_t ms);

}  // namespace taskexec
