// The agent used to measure dispatch latency: prints the wall-clock time (ns)
// at which it started, then exits 0.
#include <cstdio>
#include <ctime>

int main() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::printf("%lld\n", static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec);
  return 0;
}
