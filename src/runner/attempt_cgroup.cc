#include "runner/attempt_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

namespace taskexec {
namespace {

namespace fs = std::filesystem;

std::string ErrnoText(int err) { return std::strerror(err); }

// The first cgroup2 mount point in /proc/self/mountinfo ("" if none). The
// mount point is field 5; the filesystem type follows the " - " separator.
std::string Cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream tail(line.substr(sep + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream head(line.substr(0, sep));
    std::string field, mount;
    for (int i = 0; i < 5 && head >> field; ++i) mount = field;
    return mount;
  }
  return "";
}

// This process's cgroup v2 path ("0::<path>" in /proc/self/cgroup).
std::string OwnCgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

bool WriteFile(const std::string& path, const std::string& text, int* err) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  const ssize_t n = write(fd, text.data(), text.size());
  *err = n < 0 ? errno : 0;
  close(fd);
  return n == static_cast<ssize_t>(text.size());
}

bool ProcessExists(int64_t pid) { return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

// Roots of taskexec processes that are gone: their empty scopes, then the
// root, are removed (scopes that still hold processes are left to the orphan
// handling, which knows which attempt they belong to).
void RemoveStaleRoots(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("taskexec-", 0) != 0 || !entry.is_directory(ec)) continue;
    char* end = nullptr;
    const long long pid = std::strtoll(name.c_str() + 9, &end, 10);
    if (end == name.c_str() + 9 || (*end != '\0' && *end != '-') || pid <= 0 ||
        ProcessExists(pid)) {
      continue;
    }
    for (const auto& scope : fs::directory_iterator(entry.path(), ec)) {
      if (scope.is_directory(ec)) rmdir(scope.path().c_str());
    }
    rmdir(entry.path().c_str());
  }
}

// Each process's parent, from /proc/<pid>/stat ("pid (comm) state ppid ...";
// comm may hold spaces and parentheses, so read after the last ')').
std::vector<std::pair<pid_t, pid_t>> ParentLinks() {
  std::vector<std::pair<pid_t, pid_t>> links;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long long ppid = 0;
    if (rest >> state >> ppid) links.emplace_back(std::stoi(name), static_cast<pid_t>(ppid));
  }
  return links;
}

// Whether this kernel lists each thread's children in
// /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN, on in the usual
// distribution kernels).
bool HaveChildrenFiles() {
  static const bool have =
      access(("/proc/self/task/" + std::to_string(getpid()) + "/children").c_str(), R_OK) == 0;
  return have;
}

// (pid, parent) of the children of `parents`: from their children files,
// which costs what the family has, else from a scan of every process, which
// costs what the machine runs (thousands of sessions, at every spawn).
std::vector<std::pair<pid_t, pid_t>> ChildLinks(const std::vector<pid_t>& parents) {
  if (!HaveChildrenFiles()) return ParentLinks();
  std::vector<std::pair<pid_t, pid_t>> links;
  for (pid_t parent : parents) {
    std::error_code ec;
    for (const auto& thread :
         fs::directory_iterator("/proc/" + std::to_string(parent) + "/task", ec)) {
      std::ifstream in(thread.path() / "children");
      for (long long child = 0; in >> child;) links.emplace_back(static_cast<pid_t>(child), parent);
    }
  }
  return links;
}

// Moves the descendants `leader` forked before it was moved into `scope`
// (they were born outside). Rounds repeat until one finds nothing new: a
// process moved in one round forks inside from then on, and what it forked
// just before is its child, found in the next.
void MoveEarlyDescendants(const std::string& scope, pid_t leader) {
  std::vector<pid_t> moved = {leader};
  for (int round = 0; round < 5; ++round) {
    const auto links = ChildLinks(moved);
    std::vector<pid_t> found;
    for (size_t i = 0; i < moved.size(); ++i) {
      for (const auto& [pid, ppid] : links) {
        if (ppid != moved[i]) continue;
        if (std::find(moved.begin(), moved.end(), pid) != moved.end()) continue;
        int err = 0;
        if (WriteFile(scope + "/cgroup.procs", std::to_string(pid), &err)) found.push_back(pid);
        moved.push_back(pid);
      }
    }
    if (found.empty()) return;
  }
}

}  // namespace

std::unique_ptr<AttemptCgroups> AttemptCgroups::Detect(std::string* why) {
  const std::string mount = Cgroup2Mount();
  if (mount.empty()) {
    *why = "no cgroup2 file system is mounted";
    return nullptr;
  }
  const std::string own = OwnCgroup();
  if (own.empty()) {
    *why = "/proc/self/cgroup names no cgroup v2 cgroup";
    return nullptr;
  }
  const std::string parent = own == "/" ? mount : mount + own;
  if (access((parent + "/cgroup.procs").c_str(), R_OK) != 0) {
    *why = parent + " is not this process's cgroup v2 directory";
    return nullptr;
  }
  RemoveStaleRoots(parent);
  // One root per AttemptCgroups: a process may run several supervisors.
  static std::atomic<int> next{0};
  const std::string root =
      parent + "/taskexec-" + std::to_string(getpid()) + "-" + std::to_string(next++);
  if (mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
    *why = "cannot create " + root + ": " + ErrnoText(errno);
    return nullptr;
  }
  // Moving a process needs write access to cgroup.procs here and in the
  // common ancestor; check with a scope of our own before relying on it.
  int err = 0;
  if (access((root + "/cgroup.procs").c_str(), W_OK) != 0 ||
      access((parent + "/cgroup.procs").c_str(), W_OK) != 0) {
    err = errno;
    rmdir(root.c_str());
    *why = "no write access to " + parent + "/cgroup.procs: " + ErrnoText(err);
    return nullptr;
  }
  return std::unique_ptr<AttemptCgroups>(new AttemptCgroups(root));
}

AttemptCgroups::~AttemptCgroups() {
  std::error_code ec;
  for (const auto& scope : fs::directory_iterator(root_, ec)) {
    if (scope.is_directory(ec)) rmdir(scope.path().c_str());
  }
  rmdir(root_.c_str());
}

Status AttemptCgroups::CreateScope(std::string* path, int* dir_fd) {
  while (true) {
    std::string kept;
    {
      MutexLock lock(&mu_);
      if (kept_.empty()) break;
      kept = std::move(kept_.back());
      kept_.pop_back();
    }
    const int fd = open(kept.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      *path = std::move(kept);
      *dir_fd = fd;
      return Status::OK();
    }
    rmdir(kept.c_str());  // removed meanwhile (by hand): make another
  }
  const std::string scope = root_ + "/attempt-" + std::to_string(next_scope_++);
  if (mkdir(scope.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IOError("cannot create the attempt's cgroup " + scope + ": " + ErrnoText(errno));
  }
  const int fd = open(scope.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    rmdir(scope.c_str());
    return Status::IOError("cannot open the attempt's cgroup " + scope + ": " + ErrnoText(err));
  }
  *path = scope;
  *dir_fd = fd;
  return Status::OK();
}

bool AttemptCgroups::Recycle(const std::string& path) {
  if (!CgroupIsEmpty(path)) return RemoveCgroup(path, 0);  // gone, or busy: false
  {
    MutexLock lock(&mu_);
    if (kept_.size() < kKeptScopes) {
      kept_.push_back(path);
      return true;
    }
  }
  return RemoveCgroup(path, 0);
}

bool CgroupIsEmpty(const std::string& path) {
  const int fd = open((path + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // One "key value" line each; "populated 1" while a process runs there or
  // in a scope below.
  const char* line = std::strstr(buf, "populated ");
  return line != nullptr && (line == buf || line[-1] == '\n') && line[10] == '0';
}

Status AttemptCgroups::MoveInto(const std::string& path, int64_t pid) {
  int err = 0;
  if (!WriteFile(path + "/cgroup.procs", std::to_string(pid), &err)) {
    return Status::IOError("cannot move pid " + std::to_string(pid) + " into " + path + ": " +
                           ErrnoText(err));
  }
  MoveEarlyDescendants(path, static_cast<pid_t>(pid));
  return Status::OK();
}

int KillScopesOf(int64_t pid) {
  const std::string mount = Cgroup2Mount();
  const std::string own = OwnCgroup();
  if (mount.empty() || own.empty()) return 0;
  const std::string parent = own == "/" ? mount : mount + own;
  const std::string prefix = "taskexec-" + std::to_string(pid) + "-";
  int killed = 0;
  std::error_code ec;
  for (const auto& root : fs::directory_iterator(parent, ec)) {
    if (root.path().filename().string().rfind(prefix, 0) != 0) continue;
    for (const auto& scope : fs::directory_iterator(root.path(), ec)) {
      if (!scope.is_directory(ec)) continue;
      killed += KillCgroup(scope.path().string());
      RemoveCgroup(scope.path().string(), /*wait_ms=*/200);
    }
    rmdir(root.path().c_str());
  }
  return killed;
}

std::string CgroupProcs(const std::string& path) {
  std::ifstream in(path + "/cgroup.procs");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int KillCgroup(const std::string& path) {
  std::vector<pid_t> pids;
  std::istringstream procs(CgroupProcs(path));
  for (long long pid = 0; procs >> pid;) pids.push_back(static_cast<pid_t>(pid));
  int err = 0;
  if (!WriteFile(path + "/cgroup.kill", "1", &err)) {
    // Kernels before 5.14 have no cgroup.kill: signal each member (a member
    // forking meanwhile is caught by the next kill of the attempt).
    for (pid_t pid : pids) kill(pid, SIGKILL);
  }
  return static_cast<int>(pids.size());
}

bool RemoveCgroup(const std::string& path, int64_t wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    if (rmdir(path.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) return false;
    // The kernel empties a killed cgroup asynchronously, within milliseconds.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace taskexec
