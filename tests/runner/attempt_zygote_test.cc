// The attempt zygote (runner/attempt_zygote.h, runner/zygote_server.h):
// the supervisors it makes are this process's children, look like the
// attempt to the watchdog and the orphan sweep, and the process supervisor
// goes on by exec when the zygote is gone or a request does not fit.
#include "runner/attempt_zygote.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "process_test_util.h"
#include "runner/exit_record.h"
#include "runner/orphans.h"
#include "runner/process_supervisor.h"
#include "runner/zygote_protocol.h"
#include "runner_test_util.h"

namespace taskexec {
namespace {

using testing::AttemptShim;
using testing::ReadFile;
using testing::RunToEnd;
using testing::ShimmedSpec;
using testing::TempDir;
using testing::WaitUntil;

// Descriptors a test owns and closes.
struct Fds {
  std::vector<int> open;
  ~Fds() {
    for (int fd : open) close(fd);
  }
  int Keep(int fd) {
    open.push_back(fd);
    return fd;
  }
  // Closes it now, not again at the end.
  void Close(int fd) {
    open.erase(std::remove(open.begin(), open.end(), fd), open.end());
    close(fd);
  }
};

#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "the zygote is not used under TSan"
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "the zygote is not used under TSan"
#endif
#endif
#ifndef SKIP_UNDER_TSAN
#define SKIP_UNDER_TSAN() (void)0
#endif

TEST(ZygoteProtocol, ARequestSurvivesItsEncodingAndABadOneIsRefused) {
  zygote::Request in;
  in.flags = zygote::kHasScope;
  in.cwd = "/work dir";
  in.marker = "TASKEXEC_EXECUTION_ID=exec-1";
  in.argv = {"taskexec-attempt", "rec", "0", "0", "0", "/bin/sh", "-c", ""};
  in.env = {"A=1", "EMPTY="};
  const std::string wire = zygote::Encode(in);
  EXPECT_EQ(zygote::EncodedSize(in.cwd, in.marker, in.argv, in.env), wire.size());
  zygote::Request out;
  std::string why;
  ASSERT_TRUE(zygote::Decode(wire.data(), wire.size(), &out, &why)) << why;
  EXPECT_EQ(out.flags, in.flags);
  EXPECT_EQ(out.cwd, in.cwd);
  EXPECT_EQ(out.marker, in.marker);
  EXPECT_EQ(out.argv, in.argv);
  EXPECT_EQ(out.env, in.env);
  EXPECT_EQ(zygote::FdCount(out.flags), 5u);

  EXPECT_FALSE(zygote::Decode(wire.data(), wire.size() - 1, &out, &why));  // truncated
  EXPECT_FALSE(why.empty());
  std::string extra = wire + "x";
  EXPECT_FALSE(zygote::Decode(extra.data(), extra.size(), &out, &why));
  std::string bad_magic = wire;
  bad_magic[0] ^= 1;
  EXPECT_FALSE(zygote::Decode(bad_magic.data(), bad_magic.size(), &out, &why));
  EXPECT_FALSE(zygote::Decode(wire.data(), 3, &out, &why));
}

// A zygote started for the test, a folder and the descriptors it owns.
class ZygoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNDER_TSAN();
    std::string why;
    zygote_ = AttemptZygote::Start(AttemptShim(), &why);
    ASSERT_NE(zygote_, nullptr) << why;
    std::filesystem::create_directories(dir_.Sub("work"));
  }
  // A pipe the test owns both ends of: [0] to read, [1] to write.
  std::array<int, 2> Pipe() {
    int ends[2] = {-1, -1};
    EXPECT_EQ(pipe2(ends, O_CLOEXEC), 0);
    return {fds_.Keep(ends[0]), fds_.Keep(ends[1])};
  }
  // The attempt's log, opened for appending as the service opens it.
  int Log(const std::string& path) {
    return fds_.Keep(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  }

  TempDir dir_;
  Fds fds_;
  std::unique_ptr<AttemptZygote> zygote_;
};

TEST_F(ZygoteTest, ItsSupervisorIsOurChildAndCarriesTheAttemptsMarker) {
  const std::array<int, 2> out = Pipe(), err = Pipe(), go = Pipe();
  const std::string log = dir_.Sub("attempt.log");
  const int log_fd = Log(log);
  ASSERT_GE(log_fd, 0);

  AttemptZygote::Request r;
  const std::string record = dir_.Sub("exit.json");
  r.argv = {AttemptShim(), record,    "0",  "0",
            "0",           "/bin/sh", "-c", "echo \"$FOO in $(pwd)\"; exit 3"};
  r.env = {"FOO=bar", "PATH=/usr/bin:/bin", "TASKEXEC_EXECUTION_ID=exec-z1"};
  r.cwd = dir_.Sub("work");
  r.marker = "TASKEXEC_EXECUTION_ID=exec-z1";
  r.stdout_fd = out[1];
  r.stderr_fd = err[1];
  r.log_fd = log_fd;
  r.go_fd = go[0];
  ASSERT_TRUE(AttemptZygote::Fits(r));
  pid_t pid = 0;
  int error = 0;
  ASSERT_EQ(zygote_->Spawn(r, &pid, &error), AttemptZygote::Outcome::kStarted) << error;
  ASSERT_GT(pid, 0);
  // Waiting for its go: already found by the attempt's marker, its own
  // group's leader, and ours to wait for.
  EXPECT_TRUE(WaitUntil([&] { return ProcessRunsExecution(pid, "exec-z1"); }))
      << ReadFile("/proc/" + std::to_string(pid) + "/environ");
  EXPECT_FALSE(ProcessRunsExecution(pid, "exec-z"));
  EXPECT_TRUE(WaitUntil([&] { return getpgid(pid) == pid; }));
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  EXPECT_NE(stat.find(") S " + std::to_string(getpid()) + " "), std::string::npos) << stat;
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(ReadFile(log), "bar in " + dir_.Sub("work") + "\n");
  ExitRecord rec;
  ASSERT_TRUE(ReadExitRecord(record, &rec).ok());
  EXPECT_EQ(rec.process.exit_code, 3);
}

// A descriptor the supervisor is to hold (the workspace lock) is its 6,
// also without a cgroup scope: its 5 is then closed, never something the
// zygote had there that could pass for a scope, and the agent gets neither.
TEST_F(ZygoteTest, AHeldDescriptorIsTheSupervisorsSixWithoutAScope) {
  const std::array<int, 2> out = Pipe(), go = Pipe();
  const int log_fd = Log(dir_.Sub("attempt.log"));
  const int held = fds_.Keep(open(dir_.Sub("work").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_GE(held, 0);

  AttemptZygote::Request r;
  r.argv = {AttemptShim(), dir_.Sub("exit.json"), "0", "0", "0", "/bin/sh", "-c", "ls /proc/$$/fd"};
  r.env = {"PATH=/usr/bin:/bin"};
  r.cwd = dir_.Sub("work");
  r.marker = "TASKEXEC_EXECUTION_ID=exec-z2";
  r.stdout_fd = r.stderr_fd = out[1];
  r.log_fd = log_fd;
  r.go_fd = go[0];
  r.held_fd = held;
  pid_t pid = 0;
  int error = 0;
  ASSERT_EQ(zygote_->Spawn(r, &pid, &error), AttemptZygote::Outcome::kStarted) << error;
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd/";
  std::error_code ec;
  EXPECT_TRUE(WaitUntil([&] {
    return std::filesystem::read_symlink(fd_dir + "6", ec) ==
           std::filesystem::path(dir_.Sub("work"));
  }));
  EXPECT_FALSE(std::filesystem::exists(fd_dir + "5", ec));
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  fds_.Close(out[1]);
  std::string channel;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) channel.append(buf, n);
  const testing::Unframed got = testing::Unframe(channel);
  EXPECT_EQ(got.err, "");  // not taken for a scope the agent runs outside of
  // The agent (the shell) has its 0, 1 and 2, not the scope's place nor the held one.
  EXPECT_EQ(got.out.substr(0, 6), "0\n1\n2\n") << got.out;
  EXPECT_EQ(("\n" + got.out).find("\n5\n"), std::string::npos) << got.out;
  EXPECT_EQ(("\n" + got.out).find("\n6\n"), std::string::npos) << got.out;
}

TEST(AttemptZygote, OneThatDiedIsNotSentTo) {
  SKIP_UNDER_TSAN();
  std::string why;
  std::unique_ptr<AttemptZygote> zygote = AttemptZygote::Start(AttemptShim(), &why);
  ASSERT_NE(zygote, nullptr) << why;
  ASSERT_EQ(kill(zygote->pid(), SIGKILL), 0);
  // Its end of the socket closes when it is gone.
  ASSERT_TRUE(WaitUntil([&] {
    return ReadFile("/proc/" + std::to_string(zygote->pid()) + "/stat").find(" Z ") !=
           std::string::npos;
  }));
  AttemptZygote::Request r;
  r.argv = {AttemptShim()};
  r.stdout_fd = r.stderr_fd = r.log_fd = r.go_fd = STDERR_FILENO;
  pid_t pid = 0;
  int error = 0;
  EXPECT_EQ(zygote->Spawn(r, &pid, &error), AttemptZygote::Outcome::kNotSent);
  EXPECT_EQ(zygote->Spawn(r, &pid, &error), AttemptZygote::Outcome::kNotSent);
}

// In a forked child: clone3 refused with ENOSYS (as Docker's seccomp profile
// refuses it), then a supervisor made and run to its end. The exit code
// says how far it got.
[[noreturn]] void RunWithoutClone3(const std::string& dir) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    _exit(10);
  }
  if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) _exit(11);
  std::string why;
  std::unique_ptr<AttemptZygote> zygote = AttemptZygote::Start(AttemptShim(), &why);
  if (zygote == nullptr) _exit(12);
  int out[2], go[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) _exit(13);
  const int log_fd =
      open((dir + "/z.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  AttemptZygote::Request r;
  r.argv = {AttemptShim(), dir + "/z.exit", "0", "0", "0", "/bin/sh", "-c", "exit 6"};
  r.env = {"PATH=/usr/bin:/bin"};
  r.cwd = dir;
  r.stdout_fd = r.stderr_fd = out[1];
  r.log_fd = log_fd;
  r.go_fd = go[0];
  pid_t pid = 0;
  int error = 0;
  if (zygote->Spawn(r, &pid, &error) != AttemptZygote::Outcome::kStarted) _exit(14);
  if (write(go[1], "g", 1) != 1) _exit(15);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) _exit(16);
  _exit(WIFEXITED(status) && WEXITSTATUS(status) == 6 ? 0 : 17);
}

TEST(AttemptZygote, WhereClone3IsRefusedItCopiesItselfWithClone) {
  SKIP_UNDER_TSAN();
  TempDir dir;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) RunWithoutClone3(dir.path());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no seccomp here, 11: clone3 not refused, 12: no "
                                       "zygote, 14: no copy, 16/17: the copy did not run";
}

TEST(AttemptZygote, ARequestLargerThanAMessageDoesNotFit) {
  AttemptZygote::Request r;
  r.argv = {AttemptShim(), std::string(zygote::kMaxRequestBytes, 'p')};
  EXPECT_FALSE(AttemptZygote::Fits(r));
  r.argv = {AttemptShim()};
  r.marker = "TASKEXEC_EXECUTION_ID=" + std::string(zygote::kMarkerRoom, 'i');
  EXPECT_FALSE(AttemptZygote::Fits(r));
}

// The zygotes among this process's children.
std::vector<pid_t> Zygotes() {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadFile(entry.path().string() + "/stat");
    const size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close_paren + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid != getpid() || state == 'Z') continue;
    const std::string cmdline = ReadFile(entry.path().string() + "/cmdline");
    if (cmdline.find("--zygote") != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

TEST(AttemptZygote, TheSupervisorGoesOnByExecWhenItsZygoteIsGone) {
  SKIP_UNDER_TSAN();
  TempDir dir;
  ProcessSupervisor sup;
  ProcessResult r = RunToEnd(sup, ShimmedSpec(dir, "echo one"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_tail, "one\n");
  const std::vector<pid_t> zygotes = Zygotes();
  ASSERT_EQ(zygotes.size(), 1u);
  ASSERT_EQ(kill(zygotes[0], SIGKILL), 0);
  // Gone, its socket closed (a zygote that dies while it holds a request
  // fails that start instead: a copy may exist).
  ASSERT_TRUE(WaitUntil([&] {
    return ReadFile("/proc/" + std::to_string(zygotes[0]) + "/stat").find(" Z ") !=
           std::string::npos;
  }));
  // Started by exec now (the zygote's loss is found by this start).
  r = RunToEnd(sup, ShimmedSpec(dir, "echo two; exit 4"));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.stdout_tail, "two\n");
  // A prompt too large for one message goes by exec too.
  ProcessSpec large = ShimmedSpec(dir, "echo three");
  for (int i = 0; i < 2; ++i) large.argv.push_back(std::string(zygote::kMaxRequestBytes / 2, 'p'));
  r = RunToEnd(sup, large);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_tail, "three\n");
}

}  // namespace
}  // namespace taskexec
