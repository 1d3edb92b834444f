#include "runner/process_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <limits>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/make_dir.h"
#include "core/write_all.h"
#include "runner/attempt_cgroup.h"
#include "runner/attempt_zygote.h"
#include "runner/cpu_priority.h"
#include "runner/output_frames.h"
#include "runner/spawn_setup.h"

extern char** environ;

namespace taskexec {

namespace {

// epoll tags: (handle << 2) | kind. Handles start at 1, so tag 0 is the wake fd.
constexpr uint64_t kWakeTag = 0;
constexpr int kStdout = 0;
constexpr int kStderr = 1;
constexpr int kPidfd = 2;

// How long to keep reading after the child exited while some other process
// (a backgrounded grandchild) still holds its output pipes open.
constexpr int64_t kLingerMs = 1000;
// Poll interval for the (unexpected) case pidfd_open is unavailable.
constexpr int64_t kPollMs = 50;
// A child on a framed channel (the per-attempt supervisor) has no pidfd while
// it runs: its channel's end says it is exiting. When it is not a zombie yet
// at that moment (a quarter of the time under load: the kernel closes a
// process's files before it notifies its parent), a pidfd opened then says
// when it is; without one its exit is looked for this often.
constexpr int64_t kExitingPollMs = 1;

uint64_t Tag(uint64_t handle, int kind) { return (handle << 2) | static_cast<uint64_t>(kind); }

// Closes the descriptor on scope exit unless released.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int* out() { return &fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return Status::IOError("fcntl(O_NONBLOCK): " + ErrnoText(errno));
  }
  return Status::OK();
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

void AppendTail(std::string* tail, const char* data, size_t n, size_t limit) {
  if (limit == 0) return;
  tail->append(data, n);
  // Trim in batches so appends stay amortised O(1).
  if (tail->size() > 2 * limit) tail->erase(0, tail->size() - limit);
}

void TrimTail(std::string* tail, size_t limit) {
  if (tail->size() > limit) tail->erase(0, tail->size() - limit);
}

bool IsExecutableFile(const std::string& path, int* err) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    *err = errno;
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *err = EACCES;
    return false;
  }
  if (access(path.c_str(), X_OK) != 0) {
    *err = errno;
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> MergeEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  std::unordered_map<std::string, size_t> index;
  auto put = [&](std::string_view entry) {
    size_t eq = entry.find('=');
    std::string key(entry.substr(0, eq));
    auto it = index.find(key);
    if (it != index.end()) {
      env[it->second] = std::string(entry);
    } else {
      index.emplace(key, env.size());
      env.emplace_back(entry);
    }
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) put(*e);
  for (const auto& e : extra) put(e);
  return env;
}

Status ResolveProgram(const std::string& program, const std::vector<std::string>& env,
                      std::string* resolved) {
  if (program.empty()) return Status::InvalidArgument("the command's program (argv[0]) is empty");
  int err = 0;
  if (program.find('/') != std::string::npos) {
    std::error_code ec;
    std::string path = std::filesystem::absolute(program, ec).string();
    if (ec) path = program;
    if (!IsExecutableFile(path, &err)) {
      std::string msg = "agent program '" + program + "' cannot be run: " + ErrnoText(err);
      return err == ENOENT ? Status::NotFound(msg) : Status::InvalidArgument(msg);
    }
    *resolved = path;
    return Status::OK();
  }
  std::string path_var;
  bool have_path = false;
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) {
      path_var = e.substr(5);
      have_path = true;
    }
  }
  if (!have_path) path_var = "/usr/local/bin:/usr/bin:/bin";
  int first_err = 0;
  size_t start = 0;
  while (start <= path_var.size()) {
    size_t colon = path_var.find(':', start);
    std::string dir =
        path_var.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (IsExecutableFile(candidate, &err)) {
      std::error_code ec;
      std::string abs = std::filesystem::absolute(candidate, ec).string();
      *resolved = ec ? candidate : abs;
      return Status::OK();
    }
    if (err != ENOENT && err != ENOTDIR && first_err == 0) first_err = err;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (first_err != 0) {
    return Status::InvalidArgument("agent program '" + program +
                                   "' found in PATH but cannot be run: " + ErrnoText(first_err));
  }
  return Status::NotFound("agent program '" + program + "' not found in PATH (" + path_var + ")");
}

struct ProcessSupervisor::Child {
  uint64_t handle = 0;
  pid_t pid = 0;
  int pidfd = -1;
  // Through the per-attempt supervisor, out_fd is its channel: stdout and
  // stderr as frames (output_frames.h), and err_fd and pidfd stay -1.
  std::optional<FrameReader> frames;
  int64_t channel_closed_ms = 0;  // when the channel ended (framed only)
  int out_fd = -1;
  int err_fd = -1;
  int log_fd = -1;
  bool log_failed = false;
  std::string stdout_path;  // the copy's file, made when stdout outgrows the tail
  bool stdout_copy_made = false;
  bool stdout_copy_failed = false;
  size_t tail_bytes = 0;
  int64_t start_ms = 0;
  int64_t deadline_ms = 0;        // 0 = no timeout
  int64_t stall_ms = 0;           // 0 = no stall limit
  int64_t last_output_at_ms = 0;  // the start until the first output
  int64_t kill_grace_ms = 0;
  bool term_sent = false;
  int64_t kill_at_ms = 0;
  bool killed_hard = false;
  bool exited = false;  // exit status known; the zombie is kept until Finalize
  int64_t linger_until_ms = 0;
  int64_t timer_at = -1;  // its entry in timers_; -1 = none
  std::string cgroup;     // the attempt's cgroup v2 scope; empty without one
  ProcessResult result;
  ExitCallback on_exit;
};

namespace {

// Which containment attempts get, said once per process.
void LogContainment(const AttemptCgroups* cgroups, const std::string& why) {
  static std::once_flag once;
  std::call_once(once, [&] {
    if (cgroups != nullptr) {
      spdlog::info("attempts run in cgroup v2 scopes under {}", cgroups->root());
    } else {
      spdlog::info("attempts are held by their process group only (no cgroup v2 scope: {})", why);
    }
  });
}

}  // namespace

ProcessSupervisor::ProcessSupervisor() {
  std::string why;
  cgroups_ = AttemptCgroups::Detect(&why);
  LogContainment(cgroups_.get(), why);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    // No thread then: Start() reports Internal instead of a loop spinning.
    spdlog::critical("process supervisor: epoll/eventfd unavailable: {}", ErrnoText(errno));
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
    epoll_fd_ = wake_fd_ = -1;
    return;
  }
  thread_ = std::thread([this] { Loop(); });
  loop_thread_id_ = thread_.get_id();
}

ProcessSupervisor::~ProcessSupervisor() {
  Shutdown(2000);
  {
    MutexLock lock(&zygote_mu_);
    zygote_.reset();
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ProcessSupervisor::Wake() {
  uint64_t one = 1;
  ssize_t rc = write(wake_fd_, &one, sizeof one);
  (void)rc;  // a full counter still wakes the loop
}

namespace {

Status CheckSpec(const ProcessSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("empty argv");
  struct stat st {};
  if (spec.cwd.empty() || stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("working directory '" + spec.cwd + "' does not exist");
  }
  if (spec.log_path.empty()) return Status::InvalidArgument("no log path");
  return Status::OK();
}

// The descriptors of one child: the log, its output pipes and, with stdin
// data, its stdin. All close-on-exec; posix_spawn's dup2 clears the flag
// on the child's 0/1/2 only, so concurrent spawns elsewhere never inherit
// them.
struct ChildIo {
  UniqueFd log;
  UniqueFd out_r, out_w;
  UniqueFd err_r, err_w;
  UniqueFd in_child;  // -1 without stdin data
};

// What a pipe takes without F_SETPIPE_SZ (Linux's default capacity).
constexpr size_t kPipeBytes = 64 * 1024;

// The child's stdin holding all of `data`, so that nothing of it stays
// open here while the child runs: a pipe already written and closed (what
// a shell gives `echo ... | agent`), or, when `data` is larger than a pipe
// takes (or the kernel gave this one less: pipe-user-pages-soft), an
// unnamed in-memory file (memfd) read from its start. Either way the child
// reads `data`, then EOF, and one that never reads cannot block nor
// SIGPIPE this process.
Status OpenStdin(const std::string& data, UniqueFd* child_end) {
  int fds[2];
  if (data.size() <= kPipeBytes && pipe2(fds, O_CLOEXEC) == 0) {
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    if (fcntl(write_end.get(), F_SETFL, O_NONBLOCK) == 0 &&
        write(write_end.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size())) {
      *child_end->out() = read_end.Release();
      return Status::OK();
    }
  }
  UniqueFd file(memfd_create("taskexec-stdin", MFD_CLOEXEC));
  if (file.get() < 0) return Status::IOError("memfd_create: " + ErrnoText(errno));
  if (!WriteAll(file.get(), data.data(), data.size()) || lseek(file.get(), 0, SEEK_SET) != 0) {
    return Status::IOError("writing the child's stdin: " + ErrnoText(errno));
  }
  *child_end->out() = file.Release();
  return Status::OK();
}

Status OpenLog(const std::string& log_path, UniqueFd* log) {
  // Its folder is made when missing (the first log, or one removed meanwhile).
  return OpenMakingFolder(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644, "log",
                          log->out());
}

Status OpenPipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IOError("pipe: " + ErrnoText(errno));
  *read_end->out() = fds[0];
  *write_end->out() = fds[1];
  return SetNonBlocking(fds[0]);
}

// `framed`: the child is the per-attempt supervisor, whose stdout and stderr
// are one channel (out_w for both, output_frames.h).
Status OpenChildIo(const ProcessSpec& spec, bool framed, ChildIo* io) {
  if (Status s = OpenLog(spec.log_path, &io->log); !s.ok()) return s;
  if (Status s = OpenPipe(&io->out_r, &io->out_w); !s.ok()) return s;
  if (!framed) {
    if (Status s = OpenPipe(&io->err_r, &io->err_w); !s.ok()) return s;
  }
  if (spec.stdin_data.empty()) return Status::OK();
  return OpenStdin(spec.stdin_data, &io->in_child);
}

// posix_spawn's error as the Status the runner classifies: a program that
// cannot run is the caller's mistake (InvalidArgument / NotFound), anything
// else is a resource problem worth a retry (IOError).
Status SpawnFailure(int rc, const std::string& program) {
  std::string msg = "cannot start '" + program + "': " + ErrnoText(rc);
  if (rc == E2BIG) {
    return Status::InvalidArgument(msg +
                                   "; the argument list and environment exceed the kernel's limit");
  }
  if (rc == ENOENT) return Status::NotFound(msg);
  if (rc == EACCES || rc == ENOEXEC) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Sanitizer runtimes keep state a copy made by a bare clone3 would share
// unsafely with the zygote (TSan's): there the supervisors are exec'd.
#if defined(__SANITIZE_THREAD__)
constexpr bool kZygoteAllowed = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kZygoteAllowed = false;
#else
constexpr bool kZygoteAllowed = true;
#endif
#else
constexpr bool kZygoteAllowed = true;
#endif

// After the zygote could not start or was lost, the supervisors are exec'd
// for this long before another is tried.
constexpr int64_t kZygoteRetryMs = 5000;

// `sig` to the group `leader` leads. A supervisor made by the zygote leads
// its group only once it has run its first instructions: until then it is
// signalled by its pid.
void SignalGroup(pid_t leader, int sig) {
  if (kill(-leader, sig) == 0) return;
  if (errno == ESRCH && kill(leader, sig) == 0) return;
  if (errno != ESRCH) spdlog::warn("kill(-{}, {}): {}", leader, sig, ErrnoText(errno));
}

// The entry of `env` that marks the attempt's processes (runner/orphans.h).
std::string ExecutionMarker(const std::vector<std::string>& env) {
  static constexpr std::string_view kPrefix = "TASKEXEC_EXECUTION_ID=";
  for (const std::string& e : env) {
    if (e.compare(0, kPrefix.size(), kPrefix) == 0) return e;
  }
  return "";
}

}  // namespace

Status ProcessSupervisor::Start(const ProcessSpec& spec, ExitCallback on_exit, uint64_t* handle,
                                int64_t* pid_out) {
  if (!on_exit) return Status::InvalidArgument("no exit callback");
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Status::Internal("process supervisor has no epoll");
  if (Status s = CheckSpec(spec); !s.ok()) return s;
  std::string exe;
  if (Status s = ResolveProgram(spec.argv[0], spec.env, &exe); !s.ok()) return s;
  // Through the shim: its stdout and stderr are one channel that carries
  // the child's two streams as frames; it gets the log as 3, as 4 the pipe
  // that lets it start the child once this process has registered it, as
  // 5 the attempt's cgroup scope, where it starts the child, and as 6 what
  // it holds for the child's run (spec.held_fd).
  const bool shimmed = !spec.shim.empty();
  ChildIo io;
  if (Status s = OpenChildIo(spec, shimmed, &io); !s.ok()) return s;
  const int child_err = shimmed ? io.out_w.get() : io.err_w.get();
  UniqueFd go_r, go_w;
  std::vector<std::string> args = spec.argv;
  if (shimmed) {
    if (Status s = OpenPipe(&go_r, &go_w); !s.ok()) return s;
    args.erase(args.begin());
    args.insert(args.begin(), {spec.shim, spec.exit_record, std::to_string(spec.tail_bytes),
                               std::to_string(spec.start_by_ms), std::to_string(spec.nice), exe});
    exe = spec.shim;
  }
  // The attempt's cgroup scope. The shim starts the agent inside it (the
  // shim's own memory is small, so its clone into the scope is cheap); a
  // child of this process is moved in after its start instead, as the
  // service's clone would copy its whole address space.
  std::string cgroup;
  UniqueFd cgroup_dir;
  if (cgroups_ != nullptr) {
    if (Status s = cgroups_->CreateScope(&cgroup, cgroup_dir.out()); !s.ok()) {
      spdlog::warn("an attempt runs without a cgroup scope: {}", s.ToString());
    }
  }
  std::vector<int> extra_fds;
  if (shimmed) {
    extra_fds = {io.log.get(), go_r.get(), cgroup_dir.get()};
    if (spec.held_fd >= 0) {
      extra_fds.push_back(spec.held_fd);
    } else if (cgroup_dir.get() < 0) {
      extra_fds.pop_back();
    }
  }
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      if (!cgroup.empty()) RemoveCgroup(cgroup, 0);
      return Status::Unavailable("process supervisor is shutting down");
    }
  }
  // The spawn holds no lock of the loop's: the loop goes on reaping and
  // reading while a supervisor is made or an exec is under way. The child
  // is not the loop's to watch until Register; until then it stays a
  // zombie if it ends.
  pid_t pid = 0;
  bool zygote_lost = false;
  bool copied = false;
  if (shimmed) {
    AttemptZygote::Request r;
    r.argv = args;
    r.env = spec.env;
    r.cwd = spec.cwd;
    r.marker = ExecutionMarker(spec.env);
    r.stdin_fd = io.in_child.get();
    r.stdout_fd = io.out_w.get();
    r.stderr_fd = child_err;
    r.log_fd = io.log.get();
    r.go_fd = go_r.get();
    r.scope_fd = cgroup_dir.get();
    r.held_fd = spec.held_fd;
    copied = StartThroughZygote(spec.shim, r, &pid, &zygote_lost);
  }
  if (zygote_lost) {
    // A copy may exist with this go pipe: it ends unstarted when the pipe
    // closes, and the start fails like any spawn that could not be made.
    if (!cgroup.empty()) RemoveCgroup(cgroup, 0);
    return Status::IOError("cannot start '" + spec.argv[0] +
                           "': the attempt zygote was lost while starting it");
  }
  int rc = 0;
  if (!copied) {
    SpawnSetup setup;
    if (Status s = setup.Build(io.in_child.get(), io.out_w.get(), child_err, spec.cwd, extra_fds);
        !s.ok()) {
      if (!cgroup.empty()) RemoveCgroup(cgroup, 0);
      return s;
    }
    std::vector<char*> argv = CStrings(args);
    std::vector<char*> envp = CStrings(spec.env);
    rc = posix_spawn(&pid, exe.c_str(), setup.actions(), setup.attributes(), argv.data(),
                     envp.data());
  }
  if (rc != 0) {
    if (!cgroup.empty()) RemoveCgroup(cgroup, 0);
    return SpawnFailure(rc, spec.argv[0]);
  }
  MutexLock lock(&mu_);
  if (stopping_) {
    // The loop may be gone: nobody would reap it. (A supervisor never got
    // its go, so it started nothing.)
    SignalGroup(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (!cgroup.empty()) RemoveCgroup(cgroup, 0);
    return Status::Unavailable("process supervisor is shutting down");
  }
  if (!shimmed && spec.nice > 0) {
    // Just after its start (posix_spawn cannot set it): it may have run a
    // moment at this process's priority.
    if (const int err = SetNice(pid, NiceBelowOwn(spec.nice)); err != 0) {
      spdlog::warn("pid {} runs at the service's CPU priority: {}", pid, ErrnoText(err));
    }
  }
  if (!cgroup.empty() && !shimmed) {
    // Before the child can have started much: what it starts is born inside.
    if (Status s = AttemptCgroups::MoveInto(cgroup, pid); !s.ok()) {
      spdlog::warn("pid {} runs without a cgroup scope: {}", pid, s.ToString());
      RemoveCgroup(cgroup, 0);
      cgroup.clear();
    }
  }
  // The log is the supervisor's to write.
  if (shimmed) io.log.Reset();
  // The child holds its own copies now.
  io.out_w.Reset();
  io.err_w.Reset();
  io.in_child.Reset();
  uint64_t h = Register(spec, pid, std::move(on_exit),
                        ChildFds{io.log.Release(), io.out_r.Release(), io.err_r.Release()});
  children_.at(h)->cgroup = std::move(cgroup);
  // Registered: the supervisor starts the child now.
  if (shimmed && write(go_w.get(), "g", 1) != 1) {
    spdlog::warn("pid {}: cannot tell the attempt supervisor to start: {}", pid, ErrnoText(errno));
  }
  if (handle != nullptr) *handle = h;
  if (pid_out != nullptr) *pid_out = pid;
  Wake();  // recompute the loop's timeout
  return Status::OK();
}

bool ProcessSupervisor::StartThroughZygote(const std::string& shim,
                                           const AttemptZygote::Request& request, pid_t* pid,
                                           bool* lost) {
  if (!kZygoteAllowed) return false;
  if (!AttemptZygote::Fits(request)) return false;  // a huge prompt in argv: exec'd
  MutexLock lock(&zygote_mu_);
  const int64_t now = MonotonicMs();
  if (zygote_ != nullptr && zygote_shim_ != shim) zygote_.reset();
  if (zygote_ == nullptr) {
    if (now < zygote_retry_at_ms_) return false;
    std::string why;
    zygote_ = AttemptZygote::Start(shim, &why);
    if (zygote_ == nullptr) {
      spdlog::warn("attempt supervisors are exec'd one by one: no zygote ({})", why);
      zygote_retry_at_ms_ = now + kZygoteRetryMs;
      return false;
    }
    zygote_shim_ = shim;
  }
  int error = 0;
  const AttemptZygote::Outcome outcome = zygote_->Spawn(request, pid, &error);
  if (outcome == AttemptZygote::Outcome::kStarted) return true;
  if (outcome == AttemptZygote::Outcome::kRefused) {
    // Nothing made; exec'd instead. A copy the kernel will not make (a
    // seccomp profile, a sandbox) will not be made next time either.
    if (error == EPERM || error == ENOSYS || error == EINVAL) {
      spdlog::warn("the attempt zygote cannot copy itself ({}); attempt supervisors are exec'd",
                   ErrnoText(error));
      zygote_.reset();
      zygote_retry_at_ms_ = std::numeric_limits<int64_t>::max();
    }
    return false;
  }
  spdlog::warn("the attempt zygote (pid {}) is gone ({}); attempt supervisors are exec'd for {} s",
               zygote_->pid(), ErrnoText(error), kZygoteRetryMs / 1000);
  zygote_.reset();
  zygote_retry_at_ms_ = now + kZygoteRetryMs;
  *lost = outcome == AttemptZygote::Outcome::kLostInFlight;
  return false;
}

uint64_t ProcessSupervisor::Register(const ProcessSpec& spec, int64_t pid, ExitCallback on_exit,
                                     const ChildFds& fds) {
  auto child = std::make_unique<Child>();
  Child& c = *child;
  c.handle = next_handle_++;
  c.pid = static_cast<pid_t>(pid);
  if (!spec.shim.empty()) {
    c.frames.emplace();
  } else {
    c.pidfd = PidfdOpen(c.pid);
    if (c.pidfd < 0) spdlog::warn("pidfd_open({}) failed ({}); polling", pid, ErrnoText(errno));
  }
  c.out_fd = fds.out;
  c.err_fd = fds.err;
  c.log_fd = fds.log;
  c.stdout_path = spec.stdout_path;
  c.tail_bytes = spec.tail_bytes;
  c.start_ms = MonotonicMs();
  c.deadline_ms = spec.timeout_ms > 0 ? c.start_ms + spec.timeout_ms : 0;
  c.stall_ms = std::max<int64_t>(spec.stall_ms, 0);
  c.last_output_at_ms = c.start_ms;
  c.kill_grace_ms = std::max<int64_t>(spec.kill_grace_ms, 0);
  c.result.pid = pid;
  c.on_exit = std::move(on_exit);

  auto add = [&](int fd, int kind, uint32_t events) {
    if (fd < 0) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = Tag(c.handle, kind);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      spdlog::error("epoll_ctl add for pid {}: {}", pid, ErrnoText(errno));
    }
  };
  add(c.out_fd, kStdout, EPOLLIN);
  add(c.err_fd, kStderr, EPOLLIN);
  add(c.pidfd, kPidfd, EPOLLIN);
  children_.emplace(c.handle, std::move(child));
  Schedule(c, c.start_ms);
  return c.handle;
}

Status ProcessSupervisor::Cancel(uint64_t handle) {
  MutexLock lock(&mu_);
  auto it = children_.find(handle);
  if (it == children_.end())
    return Status::NotFound("no running process with handle " + std::to_string(handle));
  Child& c = *it->second;
  // A child that already exited on its own keeps its own outcome.
  if (!c.exited) {
    const int64_t now = MonotonicMs();
    BeginKill(c, StopReason::kCancel, c.kill_grace_ms, now);
    Schedule(c, now);
  }
  Wake();
  return Status::OK();
}

void ProcessSupervisor::Shutdown(int64_t grace_ms) {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    int64_t now = MonotonicMs();
    for (auto& [h, c] : children_) {
      if (c->exited) {
        c->linger_until_ms = std::min(c->linger_until_ms, now);
      } else {
        BeginKill(*c, StopReason::kCancel, grace_ms, now);
      }
      Schedule(*c, now);
    }
  }
  if (wake_fd_ >= 0) Wake();
  if (std::this_thread::get_id() == loop_thread_id_) return;
  MutexLock join_lock(&join_mu_);
  if (thread_.joinable()) thread_.join();
}

Status ProcessSupervisor::LastOutput(uint64_t handle, int64_t* ms_after_start) const {
  MutexLock lock(&mu_);
  auto it = children_.find(handle);
  if (it == children_.end())
    return Status::NotFound("no running process with handle " + std::to_string(handle));
  *ms_after_start = it->second->result.last_output_ms;
  return Status::OK();
}

Status ProcessSupervisor::RecentOutput(uint64_t handle, std::string* out, size_t max_bytes) const {
  MutexLock lock(&mu_);
  auto it = children_.find(handle);
  if (it == children_.end())
    return Status::NotFound("no running process with handle " + std::to_string(handle));
  const std::string& recent = it->second->result.recent_output;
  const size_t keep = std::min(max_bytes, kRecentOutputBytes);
  out->assign(recent.size() > keep ? std::string_view(recent).substr(recent.size() - keep)
                                   : std::string_view(recent));
  return Status::OK();
}

size_t ProcessSupervisor::running() const {
  MutexLock lock(&mu_);
  return children_.size();
}

int64_t ProcessSupervisor::StallAt(const Child& c) {
  return c.stall_ms > 0 ? c.last_output_at_ms + c.stall_ms : 0;
}

void ProcessSupervisor::BeginKill(Child& c, StopReason why, int64_t grace_ms, int64_t now) {
  grace_ms = std::max<int64_t>(grace_ms, 0);
  if (c.term_sent) {
    // Already stopping (e.g. timed out, then cancelled): only hurry up.
    c.kill_at_ms = std::min(c.kill_at_ms, now + grace_ms);
    return;
  }
  switch (why) {
    case StopReason::kTimeout:
      c.result.timed_out = true;
      break;
    case StopReason::kStall:
      c.result.stalled = true;
      break;
    case StopReason::kCancel:
      c.result.cancelled = true;
      break;
  }
  c.term_sent = true;
  c.kill_at_ms = now + grace_ms;
  // The leader is not reaped before Finalize, so its pid (= the group id)
  // cannot have been reused.
  SignalGroup(c.pid, SIGTERM);
}

void ProcessSupervisor::CloseFd(int* fd) {
  if (*fd < 0) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, *fd, nullptr);
  close(*fd);
  *fd = -1;
}

int ProcessSupervisor::NextTimeoutMs(int64_t now) const {
  if (timers_.empty()) return -1;
  int64_t delta = std::max<int64_t>(timers_.begin()->first - now, 0);
  return static_cast<int>(std::min<int64_t>(delta, 60000));
}

int64_t ProcessSupervisor::DueAt(const Child& c, int64_t now) {
  if (c.exited) return (c.out_fd < 0 && c.err_fd < 0) ? now : c.linger_until_ms;
  int64_t next = std::numeric_limits<int64_t>::max();
  if (c.frames.has_value()) {
    if (c.out_fd < 0 && c.pidfd < 0) {
      next = now + (now - c.channel_closed_ms < 100 ? kExitingPollMs : kPollMs);
    }
  } else if (c.pidfd < 0) {
    next = now + kPollMs;
  }
  if (!c.term_sent) {
    if (c.deadline_ms > 0) next = std::min(next, c.deadline_ms);
    if (StallAt(c) > 0) next = std::min(next, StallAt(c));
  } else if (!c.killed_hard) {
    next = std::min(next, c.kill_at_ms);
  }
  return next;
}

void ProcessSupervisor::Disarm(Child& c) {
  if (c.timer_at < 0) return;
  timers_.erase({c.timer_at, c.handle});
  c.timer_at = -1;
}

void ProcessSupervisor::Schedule(Child& c, int64_t now) {
  const int64_t due = DueAt(c, now);
  if (c.timer_at >= 0 && c.timer_at <= due) return;  // fires early enough
  Disarm(c);
  if (due == std::numeric_limits<int64_t>::max()) return;
  timers_.emplace(due, c.handle);
  c.timer_at = due;
}

void ProcessSupervisor::Settle(uint64_t handle, int64_t now,
                               std::vector<std::pair<ExitCallback, ProcessResult>>* finished) {
  auto it = children_.find(handle);
  if (it == children_.end()) return;
  Child& c = *it->second;
  CheckTimers(c, now);
  if (!Finished(c, now)) {
    Schedule(c, now);
    return;
  }
  Disarm(c);
  Finalize(c);
  finished->emplace_back(std::move(c.on_exit), std::move(c.result));
  children_.erase(it);
}

void ProcessSupervisor::CopyStdout(Child& c, const char* data, size_t n) {
  const auto before = static_cast<size_t>(c.result.stdout_bytes);
  c.result.stdout_bytes += static_cast<int64_t>(n);
  // While stdout fits the tail, the tail is all of it and the copy stays
  // empty: most attempts never write their output twice.
  if (c.stdout_path.empty() || c.stdout_copy_failed || before + n <= c.tail_bytes) return;
  // Made only now, and opened for each write: most attempts never need it,
  // and a descriptor per running attempt is what thousands of sessions
  // cannot spare.
  const int flags = O_WRONLY | O_CLOEXEC | (c.stdout_copy_made ? O_APPEND : O_CREAT | O_TRUNC);
  UniqueFd copy(open(c.stdout_path.c_str(), flags, 0600));
  if (copy.get() < 0) {
    spdlog::error("cannot open stdout copy {} for pid {}: {}", c.stdout_path, c.pid,
                  ErrnoText(errno));
    c.stdout_copy_failed = true;
    return;
  }
  // On crossing, the tail still holds every byte so far (AppendTail trims
  // only past twice the limit).
  bool ok = c.stdout_copy_made ||
            WriteAll(copy.get(), c.result.stdout_tail.data(), c.result.stdout_tail.size());
  c.stdout_copy_made = true;
  ok = ok && WriteAll(copy.get(), data, n);
  if (!ok) {
    spdlog::error("writing stdout copy for pid {}: {}", c.pid, ErrnoText(errno));
    c.stdout_copy_failed = true;
  }
}

void ProcessSupervisor::TakeOutput(Child& c, int kind, const char* data, size_t n, int64_t now) {
  c.last_output_at_ms = now;
  c.result.last_output_ms = now - c.start_ms;
  if (kind == kStdout) CopyStdout(c, data, n);  // before the tail moves
  AppendTail(kind == kStdout ? &c.result.stdout_tail : &c.result.stderr_tail, data, n,
             c.tail_bytes);
  // Both streams in one, as a terminal would show them.
  AppendTail(&c.result.recent_output, data, n, kRecentOutputBytes);
  if (c.log_fd >= 0 && !c.log_failed && !WriteAll(c.log_fd, data, n)) {
    spdlog::error("writing log for pid {}: {}", c.pid, ErrnoText(errno));
    c.log_failed = true;  // keep reading the pipe so the child does not block
  }
}

void ProcessSupervisor::ReadPipe(Child& c, int kind) {
  int* fd = kind == kStdout ? &c.out_fd : &c.err_fd;
  int64_t now = 0;
  const auto take = [&](uint8_t frame, const char* data, size_t n) {
    mu_.AssertHeld();  // called only from Feed and Finish below
    TakeOutput(c, frame == kStderrFrame ? kStderr : kStdout, data, n, now);
  };
  char buf[65536];
  // Bounded per call so one chatty child cannot starve the others.
  for (int i = 0; i < 16 && *fd >= 0; ++i) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) {
      now = MonotonicMs();
      if (c.frames.has_value()) {
        c.frames->Feed(buf, static_cast<size_t>(n), take);
      } else {
        TakeOutput(c, kind, buf, static_cast<size_t>(n), now);
      }
      // A pipe read short is empty for now: the next epoll event says when
      // there is more (or its end), without a read that finds nothing.
      if (static_cast<size_t>(n) < sizeof buf) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    CloseFd(fd);  // EOF or a read error
    if (c.frames.has_value()) {
      // The supervisor closes its channel only by exiting.
      now = MonotonicMs();
      c.frames->Finish(take);
      c.channel_closed_ms = now;
      ReapIfExited(c, c.channel_closed_ms);
      if (!c.exited) WatchExit(c);
    }
  }
}

void ProcessSupervisor::ReapIfExited(Child& c, int64_t now) {
  if (c.exited) return;
  siginfo_t info{};
  // WNOWAIT: learn the status but keep the zombie, which reserves the pid and
  // so the process group id until Finalize is done signalling it.
  int rc = waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT);
  if (rc != 0) {
    if (errno == EINTR) return;
    spdlog::error("waitid({}): {}", c.pid, ErrnoText(errno));
  } else if (info.si_pid != c.pid) {
    return;  // still running
  } else if (info.si_code == CLD_EXITED) {
    c.result.exit_code = info.si_status;
  } else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
    c.result.term_signal = info.si_status;
  } else {
    return;  // stopped/continued: not an exit
  }
  c.exited = true;
  c.result.duration_ms = now - c.start_ms;
  c.linger_until_ms = now + kLingerMs;
  CloseFd(&c.pidfd);  // a zombie's pidfd stays readable; stop watching it
}

void ProcessSupervisor::WatchExit(Child& c) {
  if (c.pidfd >= 0) return;
  c.pidfd = PidfdOpen(c.pid);
  if (c.pidfd < 0) return;  // polled every kExitingPollMs instead
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = Tag(c.handle, kPidfd);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.pidfd, &ev) != 0) {
    spdlog::error("epoll_ctl add for pid {}: {}", c.pid, ErrnoText(errno));
    close(c.pidfd);
    c.pidfd = -1;
    return;
  }
  // It may have become a zombie between the look above and the pidfd.
  ReapIfExited(c, MonotonicMs());
}

void ProcessSupervisor::HandleEvent(Child& c, int kind) {
  switch (kind) {
    case kStdout:
    case kStderr:
      ReadPipe(c, kind);
      break;
    case kPidfd:
      ReapIfExited(c, MonotonicMs());
      break;
    default:
      break;
  }
}

void ProcessSupervisor::CheckTimers(Child& c, int64_t now) {
  if (!c.exited && c.pidfd < 0 && (!c.frames.has_value() || c.out_fd < 0)) ReapIfExited(c, now);
  if (!c.exited && !c.term_sent && c.deadline_ms > 0 && now >= c.deadline_ms) {
    BeginKill(c, StopReason::kTimeout, c.kill_grace_ms, now);
  }
  if (!c.exited && !c.term_sent && StallAt(c) > 0 && now >= StallAt(c)) {
    BeginKill(c, StopReason::kStall, c.kill_grace_ms, now);
  }
  if (c.term_sent && !c.killed_hard && now >= c.kill_at_ms) {
    c.killed_hard = true;
    SignalGroup(c.pid, SIGKILL);
    // Also what left the group (its own session, a double fork).
    if (!c.cgroup.empty()) KillCgroup(c.cgroup);
  }
}

bool ProcessSupervisor::Finished(const Child& c, int64_t now) const {
  if (!c.exited) return false;
  return (c.out_fd < 0 && c.err_fd < 0) || now >= c.linger_until_ms;
}

void ProcessSupervisor::Finalize(Child& c) {
  if (c.out_fd >= 0) ReadPipe(c, kStdout);
  if (c.err_fd >= 0) ReadPipe(c, kStderr);
  CloseFd(&c.out_fd);
  CloseFd(&c.err_fd);
  CloseFd(&c.pidfd);
  // A group we were stopping may have members that outlived the leader.
  if (c.term_sent && !c.killed_hard) SignalGroup(c.pid, SIGKILL);
  int st = 0;
  while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR) {
  }
  // The attempt is over: whatever it left running in its scope ends with it.
  // A scope it left empty is kept for the next attempt; only one it did not
  // costs a read of its members and a kill.
  if (!c.cgroup.empty() && !cgroups_->Recycle(c.cgroup)) {
    const int left = KillCgroup(c.cgroup);
    if (left > 0) spdlog::info("pid {}: {} process(es) it left running were killed", c.pid, left);
    if (!RemoveCgroup(c.cgroup, /*wait_ms=*/50)) {
      spdlog::warn("cgroup {} still holds processes after a kill", c.cgroup);
    }
  }
  if (c.log_fd >= 0) close(c.log_fd);
  c.log_fd = -1;
  TrimTail(&c.result.stdout_tail, c.tail_bytes);
  TrimTail(&c.result.stderr_tail, c.tail_bytes);
  TrimTail(&c.result.recent_output, kRecentOutputBytes);
}

void ProcessSupervisor::Loop() {
  std::vector<epoll_event> events(64);
  while (true) {
    int timeout_ms;
    {
      MutexLock lock(&mu_);
      if (stopping_ && children_.empty()) break;
      timeout_ms = NextTimeoutMs(MonotonicMs());
    }
    int n = epoll_fd_ >= 0
                ? epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms)
                : 0;
    if (n < 0) {
      if (errno != EINTR) spdlog::error("epoll_wait: {}", ErrnoText(errno));
      n = 0;
    }
    std::vector<std::pair<ExitCallback, ProcessResult>> finished;
    {
      MutexLock lock(&mu_);
      std::vector<uint64_t> touched;
      for (int i = 0; i < n; ++i) {
        uint64_t tag = events[i].data.u64;
        if (tag == kWakeTag) {
          uint64_t count;
          ssize_t rc = read(wake_fd_, &count, sizeof count);
          (void)rc;
          continue;
        }
        auto it = children_.find(tag >> 2);
        if (it == children_.end()) continue;
        HandleEvent(*it->second, static_cast<int>(tag & 3));
        touched.push_back(tag >> 2);
      }
      const int64_t now = MonotonicMs();
      while (!timers_.empty() && timers_.begin()->first <= now) {
        const uint64_t handle = timers_.begin()->second;
        timers_.erase(timers_.begin());
        auto it = children_.find(handle);
        if (it != children_.end()) it->second->timer_at = -1;
        touched.push_back(handle);
      }
      std::sort(touched.begin(), touched.end());
      touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
      for (uint64_t handle : touched) Settle(handle, now, &finished);
    }
    for (auto& [callback, result] : finished) {
      try {
        callback(result);
      } catch (const std::exception& e) {
        spdlog::error("process exit callback for pid {} threw: {}", result.pid, e.what());
      } catch (...) {
        spdlog::error("process exit callback for pid {} threw", result.pid);
      }
    }
  }
}

Status RunToExit(ProcessSupervisor* supervisor, const ProcessSpec& spec, ProcessResult* out) {
  std::promise<ProcessResult> done;
  std::future<ProcessResult> result = done.get_future();
  Status started = supervisor->Start(
      spec, [&done](const ProcessResult& r) { done.set_value(r); }, nullptr, nullptr);
  if (!started.ok()) return started;
  *out = result.get();
  return Status::OK();
}

}  // namespace taskexec
