// SpawnInCgroup: a child born in its cgroup scope, with what posix_spawn
// with a SpawnSetup gives it (descriptors, directory, group, signals), and
// the errors of a child that could not exec.
#include "runner/cgroup_spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "runner/attempt_cgroup.h"

namespace taskexec {
namespace {

// A scope of a fresh AttemptCgroups, or a skip saying why there is none.
struct Scope {
  std::unique_ptr<AttemptCgroups> cgroups;
  std::string path;
  int fd = -1;
  ~Scope() {
    if (fd >= 0) close(fd);
    if (!path.empty()) RemoveCgroup(path, 1000);
  }
};

// A fresh scope in *scope; false (the test skips, saying why) where this
// process may not make one.
bool MakeScope(Scope* scope, std::string* why) {
  scope->cgroups = AttemptCgroups::Detect(why);
  if (scope->cgroups == nullptr) return false;
  Status s = scope->cgroups->CreateScope(&scope->path, &scope->fd);
  *why = s.ToString();
  return s.ok();
}

// A child writing to this process's stdout and stderr, in /.
ChildPlan ToOurOutput() {
  ChildPlan plan;
  plan.stdout_fd = 1;
  plan.stderr_fd = 2;
  plan.cwd = "/";
  return plan;
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, n);
  return text;
}

TEST(SpawnInCgroup, TheChildIsBornInItsScopeWithWhatPosixSpawnWouldGiveIt) {
  Scope scope;
  if (std::string why; !MakeScope(&scope, &why)) GTEST_SKIP() << "no cgroup v2 scope here: " << why;

  int out[2], extra[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(extra, O_CLOEXEC), 0);
  ASSERT_EQ(write(extra[1], "x\n", 2), 2);
  // A descriptor the child must not get.
  const int stray = open("/dev/null", O_RDONLY);  // not close-on-exec
  ASSERT_GE(stray, 0);
  // Ignored here; the child must start with the default.
  signal(SIGUSR1, SIG_IGN);
  ChildPlan plan;
  plan.stdout_fd = out[1];
  plan.stderr_fd = out[1];
  plan.cwd = "/";
  plan.extra_fds = {extra[0]};
  char sh[] = "/bin/sh", c[] = "-c";
  char script[] =
      "pwd; [ \"$(readlink /proc/self/fd/0)\" = /dev/null ] && echo devnull; "
      "read -r x <&3 && echo \"extra $x\"; "
      "set -- $(cat /proc/$$/stat); [ \"$5\" = \"$$\" ] && echo leader; "
      "grep -q '^SigIgn:.*0000000000000000$' /proc/$$/status && echo no-ignored; "
      // Read by the shell itself: a grep would read it while the shell
      // blocks every signal around its fork.
      "while read -r k v; do [ \"$k\" = SigBlk: ] && [ \"$v\" = 0000000000000000 ] && "
      "echo no-blocked; done < /proc/$$/status; "
      // A simple command, not a pipeline: while it sets up a pipeline the
      // shell holds the pipe's ends itself, and ls would list them.
      "ls /proc/$$/fd; echo end-of-fds; cat /proc/$$/cgroup";
  char* argv[] = {sh, c, script, nullptr};
  char path[] = "PATH=/usr/bin:/bin";
  char* envp[] = {path, nullptr};
  pid_t pid = 0;
  bool refused = false;
  const int rc = SpawnInCgroup(plan, "/bin/sh", argv, envp, scope.fd, &pid, &refused);
  signal(SIGUSR1, SIG_DFL);
  close(stray);
  ASSERT_EQ(rc, 0) << (refused ? "clone3 refused: " : "") << std::strerror(rc);
  close(out[1]);
  close(extra[1]);
  const std::string text = ReadAll(out[0]);
  close(out[0]);
  close(extra[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_EQ(text.substr(0, 2), "/\n") << text;
  for (const char* line : {"devnull\n", "extra x\n", "leader\n", "no-ignored\n", "no-blocked\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in " << text;
  }
  // 0-2 and the extra as 3, nothing else (not the stray descriptor).
  EXPECT_NE(text.find("\nno-blocked\n0\n1\n2\n3\nend-of-fds\n"), std::string::npos) << text;
  const std::string leaf = scope.path.substr(scope.path.rfind('/'));
  EXPECT_NE(text.find("0::"), std::string::npos) << text;
  EXPECT_NE(text.find(leaf + "\n"), std::string::npos) << leaf << " in " << text;
}

TEST(SpawnInCgroup, AProgramThatCannotRunIsItsErrnoAndTheChildIsReaped) {
  Scope scope;
  if (std::string why; !MakeScope(&scope, &why)) GTEST_SKIP() << "no cgroup v2 scope here: " << why;
  ChildPlan plan = ToOurOutput();
  char missing[] = "/nonexistent/program";
  char* argv[] = {missing, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = 0;
  bool refused = false;
  EXPECT_EQ(SpawnInCgroup(plan, missing, argv, envp, scope.fd, &pid, &refused), ENOENT);
  EXPECT_FALSE(refused);
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);  // nothing left to reap
  EXPECT_EQ(errno, ECHILD);

  plan.cwd = "/nonexistent-directory";
  char sh[] = "/bin/sh";
  char* argv2[] = {sh, nullptr};
  EXPECT_EQ(SpawnInCgroup(plan, "/bin/sh", argv2, envp, scope.fd, &pid, &refused), ENOENT);
}

TEST(SpawnInCgroup, ACgroupItCannotUseIsARefusedClone) {
  const ChildPlan plan = ToOurOutput();
  char sh[] = "/bin/true";
  char* argv[] = {sh, nullptr};
  char* envp[] = {nullptr};
  const int not_a_cgroup = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(not_a_cgroup, 0);
  pid_t pid = 0;
  bool refused = false;
  EXPECT_NE(SpawnInCgroup(plan, "/bin/true", argv, envp, not_a_cgroup, &pid, &refused), 0);
  EXPECT_TRUE(refused);
  close(not_a_cgroup);
}

}  // namespace
}  // namespace taskexec
