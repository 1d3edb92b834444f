#include "runner/attempt_zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runner/spawn_setup.h"
#include "runner/zygote_protocol.h"

namespace taskexec {

namespace {

// How long a request may go unanswered: the zygote answers in about a
// millisecond; one that takes this long is stopped or wedged.
constexpr int kAnswerTimeoutMs = 10000;

zygote::Request Message(const AttemptZygote::Request& r) {
  zygote::Request m;
  m.flags = (r.stdin_fd >= 0 ? zygote::kHasStdin : 0) | (r.scope_fd >= 0 ? zygote::kHasScope : 0) |
            (r.held_fd >= 0 ? zygote::kHasHeld : 0);
  m.cwd = r.cwd;
  m.marker = r.marker;
  m.argv = r.argv;
  m.env = r.env;
  return m;
}

}  // namespace

std::unique_ptr<AttemptZygote> AttemptZygote::Start(const std::string& shim, std::string* why) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *why = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) {
    *why = std::string("/dev/null: ") + std::strerror(errno);
    close(sv[0]);
    close(sv[1]);
    return nullptr;
  }
  // Its socket as 3; its errors go where this process's go.
  SpawnSetup setup;
  Status s = setup.Build(-1, null_fd, STDERR_FILENO, "/", {sv[1]});
  std::vector<std::string> argv_text = {shim, "--zygote"};
  std::vector<std::string> env_text = {zygote::RoomEntry()};
  std::vector<char*> argv = zygote::Pointers(argv_text);
  std::vector<char*> envp = zygote::Pointers(env_text);
  pid_t pid = 0;
  int rc = s.ok() ? posix_spawn(&pid, shim.c_str(), setup.actions(), setup.attributes(),
                                argv.data(), envp.data())
                  : 0;
  close(null_fd);
  close(sv[1]);
  if (!s.ok() || rc != 0) {
    *why = !s.ok() ? s.ToString() : "cannot start " + shim + ": " + std::strerror(rc);
    close(sv[0]);
    return nullptr;
  }
  return std::unique_ptr<AttemptZygote>(new AttemptZygote(pid, sv[0]));
}

AttemptZygote::~AttemptZygote() {
  {
    MutexLock lock(&mu_);
    if (socket_fd_ >= 0) close(socket_fd_);
    socket_fd_ = -1;
  }
  // The closed socket ends it; a stopped or wedged one is ended here.
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

bool AttemptZygote::Fits(const Request& request) {
  return request.marker.size() < zygote::kMarkerRoom &&
         zygote::EncodedSize(request.cwd, request.marker, request.argv, request.env) <=
             zygote::kMaxRequestBytes;
}

AttemptZygote::Outcome AttemptZygote::Spawn(const Request& request, pid_t* pid, int* error) {
  const std::string payload = zygote::Encode(Message(request));
  std::vector<int> fds;
  if (request.stdin_fd >= 0) fds.push_back(request.stdin_fd);
  for (int fd : {request.stdout_fd, request.stderr_fd, request.log_fd, request.go_fd}) {
    fds.push_back(fd);
  }
  if (request.scope_fd >= 0) fds.push_back(request.scope_fd);
  if (request.held_fd >= 0) fds.push_back(request.held_fd);

  MutexLock lock(&mu_);
  if (socket_fd_ < 0) return Outcome::kNotSent;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * zygote::kMaxFds)] = {};
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  ssize_t sent;
  do {
    sent = sendmsg(socket_fd_, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    *error = errno;
    // A SEQPACKET message is queued whole or not at all: the zygote never
    // saw this one.
    if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) {
      close(socket_fd_);
      socket_fd_ = -1;
      return Outcome::kNotSent;
    }
    return Outcome::kRefused;
  }
  zygote::Reply reply{0, 0};
  pollfd in{socket_fd_, POLLIN, 0};
  int ready;
  do {
    ready = poll(&in, 1, kAnswerTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  ssize_t got = -1;
  if (ready > 0) {
    do {
      got = recv(socket_fd_, &reply, sizeof reply, 0);
    } while (got < 0 && errno == EINTR);
  }
  if (got != static_cast<ssize_t>(sizeof reply)) {
    *error = ready == 0 ? ETIMEDOUT : got == 0 ? ECONNRESET : errno;
    close(socket_fd_);
    socket_fd_ = -1;
    return Outcome::kLostInFlight;
  }
  if (reply.pid > 0) {
    *pid = reply.pid;
    return Outcome::kStarted;
  }
  *error = reply.error != 0 ? reply.error : EIO;
  return Outcome::kRefused;
}

}  // namespace taskexec
