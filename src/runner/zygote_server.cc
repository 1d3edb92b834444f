#include "runner/zygote_server.h"

#include <fcntl.h>
#include <linux/sched.h>  // struct clone_args
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "runner/zygote_protocol.h"

extern char** environ;

namespace taskexec {
namespace {

// Above 0..5 and the zygote's own socket: where the received descriptors
// wait while the copy puts them in place.
constexpr int kParking = 16;

// The zygote's environment entry that /proc/<pid>/environ of each copy
// shows: overwritten there with the attempt's marker.
struct MarkerRoom {
  char* at = nullptr;
  size_t size = 0;  // with the terminating NUL
};

MarkerRoom FindRoom() {
  MarkerRoom room;
  const size_t prefix = std::strlen(zygote::kRoomVariable);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, zygote::kRoomVariable, prefix) == 0) {
      room.at = *e;
      room.size = std::strlen(*e) + 1;
    }
  }
  return room;
}

void WriteLine(const std::string& line) {
  const std::string text = "taskexec-attempt: " + line + "\n";
  ssize_t rc = write(2, text.data(), text.size());
  (void)rc;
}

bool SendReply(int socket_fd, int32_t pid, int32_t error) {
  const zygote::Reply reply{pid, error};
  return send(socket_fd, &reply, sizeof reply, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof reply);
}

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

// In the copy: it cannot become the supervisor. The service sees it end
// with 125, as it would see the supervisor fail, with the reason on the
// attempt's stderr.
[[noreturn]] void GiveUp(const std::string& what) {
  WriteLine(what + ": " + std::strerror(errno));
  _exit(125);
}

// In the copy: becomes the attempt's supervisor. Never returns.
[[noreturn]] void BecomeSupervisor(int socket_fd, const zygote::Request& request,
                                   const std::vector<int>& fds, const MarkerRoom& room,
                                   std::vector<char*>& argv, std::vector<char*>& envp,
                                   AttemptMain attempt_main) {
  close(socket_fd);
  // The service signals the attempt by its group; until this is done, by
  // its pid (ProcessSupervisor::BeginKill).
  setpgid(0, 0);
  // The zygote ignores SIGPIPE; the supervisor sets its own dispositions.
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // Received in order: [stdin], stdout, stderr, log, go, [scope], [held].
  // Parked above every target first, so placing one never closes another.
  std::vector<int> targets = {0, 1, 2, 3, 4};
  std::vector<int> parked;
  if ((request.flags & zygote::kHasStdin) == 0) {
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) GiveUp("cannot open /dev/null");
    parked.push_back(fcntl(null_fd, F_DUPFD_CLOEXEC, kParking));
  }
  if ((request.flags & zygote::kHasScope) != 0) targets.push_back(5);
  if ((request.flags & zygote::kHasHeld) != 0) targets.push_back(6);
  for (int fd : fds) parked.push_back(fcntl(fd, F_DUPFD_CLOEXEC, kParking));
  for (size_t i = 0; i < parked.size(); ++i) {
    if (parked[i] < 0 || dup2(parked[i], targets[i]) != targets[i]) {
      GiveUp("cannot place the attempt's descriptors");
    }
  }
  // Nothing but the targets: a 5 left open without a scope (a descriptor
  // the zygote happened to have there) would be taken for one.
  const int first_unused = targets.back() + 1;
  syscall(SYS_close_range, static_cast<unsigned>(first_unused), ~0U, 0);
  for (int fd = 0; fd < first_unused; ++fd) {
    if (std::find(targets.begin(), targets.end(), fd) == targets.end()) close(fd);
  }
  if (chdir(request.cwd.c_str()) != 0) GiveUp("cannot enter " + request.cwd);
  if (room.at != nullptr) {
    std::memset(room.at, 0, room.size);
    std::memcpy(room.at, request.marker.data(), std::min(request.marker.size(), room.size - 1));
  }
  environ = envp.data();
  _exit(attempt_main(static_cast<int>(argv.size() - 1), argv.data()));
}

// One request: its copy made, or the reason it was not. False when the
// service is gone.
bool Serve(int socket_fd, const char* data, size_t size, const std::vector<int>& fds,
           const MarkerRoom& room, AttemptMain attempt_main) {
  zygote::Request request;
  std::string why;
  if (!zygote::Decode(data, size, &request, &why) || fds.size() != zygote::FdCount(request.flags)) {
    if (why.empty()) why = "wrong number of descriptors";
    WriteLine("a bad request from the service: " + why);
    CloseAll(fds);
    return SendReply(socket_fd, 0, EINVAL);
  }
  std::vector<char*> argv = zygote::Pointers(request.argv);
  std::vector<char*> envp = zygote::Pointers(request.env);
  clone_args args;
  std::memset(&args, 0, sizeof args);
  // The copy's parent is the service; it is signalled as the zygote's own
  // end would be (SIGCHLD). The answer does not wait for the copy: what it
  // does before the supervisor's main cannot fail but for a lack of
  // descriptors or a working directory removed since the service checked it.
  args.flags = CLONE_PARENT;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  // Kernels before 5.3, and seccomp profiles that refuse clone3 so that
  // callers fall back (Docker's): the same copy through clone.
  if (pid < 0 && errno == ENOSYS)
    pid = syscall(SYS_clone, CLONE_PARENT, nullptr, nullptr, nullptr, 0);
  if (pid == 0) BecomeSupervisor(socket_fd, request, fds, room, argv, envp, attempt_main);
  const int err = errno;
  CloseAll(fds);
  return pid > 0 ? SendReply(socket_fd, static_cast<int32_t>(pid), 0)
                 : SendReply(socket_fd, 0, err);
}

}  // namespace

int RunZygote(int socket_fd, AttemptMain attempt_main) {
  signal(SIGPIPE, SIG_IGN);
  // A terminal's signals are for the service, which ends this by closing
  // the socket.
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  const MarkerRoom room = FindRoom();
  std::vector<char> buffer(zygote::kMaxRequestBytes);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * zygote::kMaxFds)];
  for (;;) {
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? 0 : 1;  // the service closed the socket, or died
    std::vector<int> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds.push_back(fd);
      }
    }
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
      WriteLine("a request larger than the zygote takes");
      CloseAll(fds);
      if (!SendReply(socket_fd, 0, EMSGSIZE)) return 1;
      continue;
    }
    if (!Serve(socket_fd, buffer.data(), static_cast<size_t>(n), fds, room, attempt_main)) {
      return 1;
    }
  }
}

}  // namespace taskexec
