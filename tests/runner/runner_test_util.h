// Helpers shared by the runner tests: temp dirs, file reading, waiting for
// callbacks with generous timeouts, and process checks via /proc.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace taskexec::testing {

inline std::string SourceDir() {
  if (const char* dir = std::getenv("TASKEXEC_SOURCE_DIR")) return dir;
  return TASKEXEC_TEST_SOURCE_DIR;  // set by tests/runner/CMakeLists.txt
}

// The per-attempt supervisor the build made (runner/exit_record.h).
inline std::string AttemptShim() {
  if (const char* dir = std::getenv("TASKEXEC_BINARY_DIR")) {
    return std::string(dir) + "/taskexec-attempt";
  }
  return TASKEXEC_TEST_ATTEMPT_SHIM;  // set by tests/runner/CMakeLists.txt
}

inline std::string FakeAgent() { return SourceDir() + "/tests/fakes/fake_agent.sh"; }

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "runner-test-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

// Holds the one value a callback delivers; Wait blocks until it arrives.
template <typename T>
class Waiter {
 public:
  void Set(const T& value) {
    std::lock_guard<std::mutex> lock(mu_);
    value_ = value;
    cv_.notify_all();
  }
  // Generous default: the machine may be loaded.
  std::optional<T> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return value_.has_value(); });
    return value_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;
};

// True when `pid` no longer runs (absent, or a zombie nobody reaped yet).
inline bool ProcessGone(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  if (!f) return true;
  std::string line;
  std::getline(f, line);
  size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z';
}

// Polls `pred` until true or `timeout` passes.
template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

inline size_t ThreadCount() {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)e;
    ++n;
  }
  return n;
}

}  // namespace taskexec::testing
