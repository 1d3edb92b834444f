// The agent of the chaos benchmark (chaos_bench.cc). It judges for itself
// what the service must guarantee:
//  - it holds an exclusive lock on its task's file while it works; when
//    another attempt of the task holds it, two attempts are alive at once,
//    which it writes to <dir>/overlaps and fails;
//  - as its last act it writes "<task> <execution>" to <dir>/finished: a
//    task named there twice had its finished work done twice.
// It works for 20-200 ms. Usage: chaos_agent <dir> (task and execution ids
// from TASKEXEC_TASK_ID and TASKEXEC_EXECUTION_ID).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

namespace {

void Append(const std::string& path, const std::string& line) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  // One write of a short line to an O_APPEND file: never interleaved.
  if (write(fd, line.data(), line.size()) < 0) std::perror("chaos_agent: write");
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  const char* task = std::getenv("TASKEXEC_TASK_ID");
  const char* execution = std::getenv("TASKEXEC_EXECUTION_ID");
  if (argc != 2 || task == nullptr || execution == nullptr) {
    std::fprintf(stderr, "usage: chaos_agent <dir>, run by taskexec\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string me = std::string(task) + " " + execution + "\n";
  const int lock = open((dir + "/locks/" + task).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
    Append(dir + "/overlaps", me);
    std::printf("TASK_FAILED: another attempt of %s holds its lock\n", task);
    return 1;
  }
  std::mt19937 rng(std::random_device{}());
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 200)(rng)));
  Append(dir + "/finished", me);
  std::printf("TASK_COMPLETE: %s\n", task);
  return 0;
}
