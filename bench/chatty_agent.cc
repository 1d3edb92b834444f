// The agent of live_sessions_bench: a session that stays up and prints a
// line every <interval_ms> (first after a pid-dependent offset, so many of
// them spread their lines over the interval) until it is stopped.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

int main(int argc, char** argv) {
  const long interval_ms = argc > 1 ? std::atol(argv[1]) : 5000;
  long wait_ms = interval_ms > 0 ? getpid() % interval_ms : 0;
  for (long line = 1;; ++line) {
    timespec ts{wait_ms / 1000, (wait_ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
    std::printf("working, line %ld\n", line);
    std::fflush(stdout);
    wait_ms = interval_ms;
  }
}
