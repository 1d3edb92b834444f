// taskexec-attempt: the per-attempt supervisor. The service starts it in
// place of the agent; it starts the agent as its own child and outlives the
// service, so an agent that ends while its service is dead or frozen still
// has its end and its output recorded (runner/exit_record.h says what a
// recovering service does with them).
//
//   taskexec-attempt RECORD TAIL_BYTES START_BY NICE PROGRAM [ARG...]
//   taskexec-attempt --zygote   (runner/zygote_server.h: makes each
//                                supervisor as a copy of itself)
//
// Descriptors from the service: 0 the agent's stdin (passed on as is), 1 the
// service's channel (a pipe that carries the agent's stdout and stderr as
// frames, runner/output_frames.h; 2 is the same channel, and
// nothing here writes to it unframed), 3 the attempt's log (append), 4 a
// pipe that carries one 'g' once the service has registered this process:
// the agent starts only then, and not at all when the pipe ends without it
// (the service died in between), and 5, when open, the attempt's cgroup v2
// scope (a directory): the agent is born inside it (runner/cgroup_spawn.h),
// so it and everything it starts can be killed as one, and 6, when open, a
// descriptor this process holds until it exits and the agent does not get
// (the workspace lock: held as long as the agent may work there, even
// when the service is gone). START_BY (CLOCK_MONOTONIC
// ms; 0 = none) is when the service's lease fence passes: a 'g' that comes
// later (the service was frozen in between) starts nothing, and this
// process ends by SIGTERM, as the fence would have stopped the agent.
// NICE (0..19) lowers this process's CPU priority by that much before the
// agent starts, so the agent and all it starts run below the service
// (agent.nice, runner/cpu_priority.h).
//
// The agent (PROGRAM, an absolute path, with this process's environment,
// working directory, stdin and process group) writes into two pipes of ours.
// Every byte is appended to the log and passed on to the service, framed
// with the stream it came from; a service that does not read (frozen) has
// it buffered here, one that is gone (EPIPE) has it dropped, and either way
// the log gets it at once. What this process has to say itself goes to the
// service as stderr frames. When the agent has exited and its pipes are drained (or a
// straggler holding them has had 2 s), RECORD is written (to RECORD.tmp,
// then renamed): the exit status, whether this process got SIGTERM, SIGINT
// or SIGHUP before the agent ended (someone stopped the attempt; a stop
// after the agent's own end does not count), and the tails the service
// parses the outcome from. Then what is buffered for the service is passed
// on, and this process exits as the agent did (its code, or its signal), so
// the service sees the agent's own status.
//
// No library beyond libc and the C++ runtime, linked statically where the
// build allows, so starting it costs one small exec.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runner/cgroup_spawn.h"
#include "runner/cpu_priority.h"
#include "runner/output_frames.h"
#include "runner/zygote_server.h"

extern char** environ;

namespace {

using taskexec::AppendFrame;
using taskexec::kStderrFrame;
using taskexec::kStdoutFrame;

constexpr int kChannelFd = 1;
constexpr int kLogFd = 3;
constexpr int kGoFd = 4;
constexpr int kScopeFd = 5;
constexpr int kHeldFd = 6;
constexpr int64_t kLingerMs = 2000;  // as ProcessSupervisor: a straggler cannot hold the end back
constexpr size_t kRecentBytes = 8 * 1024;          // runner: kRecentOutputBytes
constexpr size_t kMaxBuffered = 32 * 1024 * 1024;  // both streams, for a service that does not read

volatile sig_atomic_t g_stop_signal = 0;  // the first stop signal
volatile sig_atomic_t g_stops = 0;        // how many came

void OnStop(int sig) {
  if (g_stop_signal == 0) g_stop_signal = sig;
  g_stops = g_stops + 1;
}

int64_t NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Keeps the last `limit` bytes appended, trimming in batches.
void AppendTail(std::string* tail, const char* data, size_t n, size_t limit) {
  tail->append(data, n);
  if (tail->size() > 2 * limit + 4096) tail->erase(0, tail->size() - limit);
}

void TrimTail(std::string* tail, size_t limit) {
  if (tail->size() > limit) tail->erase(0, tail->size() - limit);
}

std::string Base64(const std::string& in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// One of the agent's two streams on its way to the log and the service.
struct Stream {
  int from = -1;  // our read end of the agent's pipe; -1 at EOF
  uint8_t frame = kStdoutFrame;
  std::string tail;
  int64_t bytes = 0;
};

// The service's end of both streams.
struct Channel {
  int fd = kChannelFd;  // -1 once the service is gone
  std::string pending;  // frames not yet taken by the service
};

// Passes on what the channel takes now, without waiting (once it is
// non-blocking; before, it waits).
void Forward(Channel* c) {
  while (c->fd >= 0 && !c->pending.empty()) {
    const ssize_t w = write(c->fd, c->pending.data(), c->pending.size());
    if (w > 0) {
      c->pending.erase(0, static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    c->fd = -1;  // EPIPE: the service is gone; the log has it all
    c->pending.clear();
  }
}

// What this process itself tells the service, on stderr.
void Say(Channel* c, const std::string& line) {
  AppendFrame(&c->pending, kStderrFrame, line.data(), line.size());
  Forward(c);
}

struct Attempt {
  Stream out, err;
  Channel channel;
  std::string recent;
  size_t tail_bytes = 64 * 1024;
  int64_t started = 0;
  int64_t last_output = -1;  // ms after the start
  bool log_failed = false;
  int stop_signal = 0;  // the first stop signal that came before the agent's end
};

void ReadFrom(Attempt* a, Stream* s) {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(s->from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close(s->from);
      s->from = -1;
      return;
    }
    const size_t len = static_cast<size_t>(n);
    if (!a->log_failed && !WriteAll(kLogFd, buf, len)) a->log_failed = true;
    s->bytes += n;
    AppendTail(&s->tail, buf, len, a->tail_bytes);
    AppendTail(&a->recent, buf, len, kRecentBytes);
    a->last_output = NowMs() - a->started;
    // Past kMaxBuffered waiting for a service that does not read, output
    // is not passed on; the log and the tails have it.
    if (a->channel.fd >= 0 && a->channel.pending.size() + len <= kMaxBuffered) {
      AppendFrame(&a->channel.pending, s->frame, buf, len);
    }
    Forward(&a->channel);
  }
}

bool WriteRecord(const std::string& path, const Attempt& a, int status, int64_t duration_ms) {
  std::string json = "{\"version\":1";
  if (WIFEXITED(status)) {
    json += ",\"exit_code\":" + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    json += ",\"signal\":" + std::to_string(WTERMSIG(status));
  }
  json += ",\"stop_signal\":" + std::to_string(a.stop_signal);
  json += ",\"duration_ms\":" + std::to_string(duration_ms);
  json += ",\"last_output_ms\":" + std::to_string(a.last_output);
  json += ",\"stdout_bytes\":" + std::to_string(a.out.bytes);
  json += ",\"log_failed\":";
  json += a.log_failed ? "true" : "false";
  std::string out_tail = a.out.tail, err_tail = a.err.tail, recent = a.recent;
  TrimTail(&out_tail, a.tail_bytes);
  TrimTail(&err_tail, a.tail_bytes);
  TrimTail(&recent, kRecentBytes);
  json += ",\"stdout_tail\":\"" + Base64(out_tail) + "\"";
  json += ",\"stderr_tail\":\"" + Base64(err_tail) + "\"";
  json += ",\"recent_output\":\"" + Base64(recent) + "\"}\n";
  // Written in place: a record cut short (this process killed while it
  // writes) ends before its closing brace, so it does not parse and its
  // reader takes it for none, as it would take a temporary name never
  // renamed; a rename per attempt is a directory update in the journal.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool written = WriteAll(fd, json.data(), json.size());
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return false;
  }
  return true;
}

bool MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  return fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0;
}

[[noreturn]] void ExitAs(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, nullptr);
    raise(sig);
    _exit(128 + sig);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
}

// Waits until the service placed us, or says it never will.
bool WaitForGo() {
  // Blocking, whatever the service left set on the pipe.
  fcntl(kGoFd, F_SETFL, fcntl(kGoFd, F_GETFL) & ~O_NONBLOCK);
  char c = 0;
  for (;;) {
    const ssize_t n = read(kGoFd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    close(kGoFd);
    return n == 1 && c == 'g';
  }
}

bool IsDirectory(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

// Moves this process into the scope at kScopeFd, so that what it starts is
// born there; false (and errno) when the kernel refuses.
bool EnterScope() {
  const int procs = openat(kScopeFd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (procs < 0) return false;
  const bool moved = write(procs, "0", 1) == 1;  // "0": the writing process
  const int err = errno;
  close(procs);
  errno = err;
  return moved;
}

// Starts the agent with stdout and stderr on the given pipe ends, in this
// process's group, working directory and stdin; inside the scope at
// kScopeFd when there is one. Where the kernel cannot start a child inside
// a cgroup (CLONE_INTO_CGROUP is Linux >= 5.7), this process moves itself
// in first, so the agent is still born there; where that fails too, the
// agent runs outside it and stderr says so. Returns 0 or the errno value
// that stopped the start.
int StartAgent(char* const argv[], int out_w, int err_w, bool in_scope, Channel* channel,
               pid_t* pid) {
  if (in_scope) {
    taskexec::ChildPlan plan;
    plan.stdin_fd = 0;
    plan.stdout_fd = out_w;
    plan.stderr_fd = err_w;
    plan.cwd = ".";
    plan.own_process_group = false;
    bool refused = false;
    const int rc = taskexec::SpawnInCgroup(plan, argv[0], argv, environ, kScopeFd, pid, &refused);
    if (!refused) return rc;
    if (!EnterScope()) {
      Say(channel, std::string("taskexec-attempt: the agent runs outside its cgroup scope: ") +
                       std::strerror(errno) + "\n");
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_w, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w, 2);
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(pid, argv[0], &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

int Fail(Channel* channel, const char* what) {
  Say(channel, std::string("taskexec-attempt: ") + what + ": " + std::strerror(errno) + "\n");
  return 125;
}

// The supervisor of one attempt, as described at the top.
int RunAttempt(int argc, char** argv) {
  if (argc < 6) {
    Channel channel;
    Say(&channel, "usage: taskexec-attempt RECORD TAIL_BYTES START_BY NICE PROGRAM [ARG...]\n");
    return 125;
  }
  const std::string record = argv[1];
  Attempt a;
  a.tail_bytes = static_cast<size_t>(std::strtoull(argv[2], nullptr, 10));
  if (a.tail_bytes == 0) a.tail_bytes = 64 * 1024;

  // Ours only: the agent starts with every disposition at its default.
  struct sigaction stop {};
  stop.sa_handler = OnStop;
  sigemptyset(&stop.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  fcntl(kLogFd, F_SETFD, FD_CLOEXEC);
  const bool in_scope = IsDirectory(kScopeFd);
  if (in_scope) fcntl(kScopeFd, F_SETFD, FD_CLOEXEC);
  fcntl(kHeldFd, F_SETFD, FD_CLOEXEC);  // kept, not passed on (EBADF when not given)
  if (!WaitForGo()) return 125;
  // Stopped before it began (a cancel, the watchdog): nothing to start.
  if (g_stop_signal != 0) ExitAs(g_stop_signal);
  const int64_t start_by = std::strtoll(argv[3], nullptr, 10);
  if (start_by != 0 && NowMs() >= start_by) {
    Say(&a.channel, "taskexec-attempt: not started: the lease fence passed " +
                        std::to_string(NowMs() - start_by) +
                        " ms ago (the service was frozen before the start)\n");
    ExitAs(SIGTERM);  // a status as if killed by SIGTERM
  }

  // Below the service from here on, and so is the agent, its child.
  const int nice_increment = std::atoi(argv[4]);
  if (nice_increment > 0) {
    if (const int err = taskexec::SetNice(0, taskexec::NiceBelowOwn(nice_increment)); err != 0) {
      Say(&a.channel, std::string("taskexec-attempt: the agent runs at the service's priority: ") +
                          std::strerror(err) + "\n");
    }
  }
  int out[2], err[2];
  if (!MakePipe(out) || !MakePipe(err)) return Fail(&a.channel, "pipe");
  pid_t pid = 0;
  a.started = NowMs();
  const int rc = StartAgent(argv + 5, out[1], err[1], in_scope, &a.channel, &pid);
  if (rc != 0) {
    errno = rc;
    return Fail(&a.channel, argv[5]);
  }
  close(out[1]);
  close(err[1]);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  fcntl(kChannelFd, F_SETFL, fcntl(kChannelFd, F_GETFL) | O_NONBLOCK);
  a.out.from = out[0];
  a.err.from = err[0];
  a.err.frame = kStderrFrame;

  int status = 0;
  bool exited = false;
  int64_t exited_at = 0;
  while (!exited || a.out.from >= 0 || a.err.from >= 0) {
    if (exited && NowMs() - exited_at >= kLingerMs) break;
    pollfd fds[4];
    Stream* streams[4] = {};  // null: the channel
    nfds_t n = 0;
    for (Stream* s : {&a.out, &a.err}) {
      if (s->from >= 0) {
        streams[n] = s;
        fds[n++] = {s->from, POLLIN, 0};
      }
    }
    if (a.channel.fd >= 0 && !a.channel.pending.empty()) fds[n++] = {a.channel.fd, POLLOUT, 0};
    const nfds_t pid_slot = n;
    if (!exited && pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    const int timeout = exited       ? static_cast<int>(kLingerMs - (NowMs() - exited_at))
                        : pidfd >= 0 ? -1
                                     : 100;  // no pidfd: look for the exit now and then
    if (poll(fds, n, timeout) < 0 && errno != EINTR) return Fail(&a.channel, "poll");
    for (nfds_t i = 0; i < pid_slot; ++i) {
      if (fds[i].revents == 0) continue;
      if (streams[i] != nullptr) {
        ReadFrom(&a, streams[i]);
      } else {
        Forward(&a.channel);
      }
    }
    if (!exited) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        exited_at = NowMs();
        // A stop that comes after the agent's own end does not undo it.
        a.stop_signal = g_stop_signal;
      }
    }
  }
  for (Stream* s : {&a.out, &a.err}) {
    if (s->from >= 0) close(s->from);
    s->from = -1;
  }
  WriteRecord(record, a, status, exited_at - a.started);

  // The service gets the rest: it parses the same bytes. A frozen one is
  // waited for (a stop then ends this wait); a dead one closed the pipes.
  const sig_atomic_t stops_before = g_stops;
  while (g_stops == stops_before && a.channel.fd >= 0 && !a.channel.pending.empty()) {
    pollfd channel = {a.channel.fd, POLLOUT, 0};
    if (poll(&channel, 1, -1) < 0 && errno != EINTR) break;
    if (channel.revents != 0) Forward(&a.channel);
  }
  ExitAs(status);
}

}  // namespace

int main(int argc, char** argv) {
  // The zygote's socket is its descriptor 3.
  if (argc == 2 && std::strcmp(argv[1], "--zygote") == 0) return taskexec::RunZygote(3, RunAttempt);
  return RunAttempt(argc, argv);
}
