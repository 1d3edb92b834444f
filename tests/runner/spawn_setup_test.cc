// SpawnSetup: the file actions and attributes posix_spawn gets, checked
// call by call, and what a child started with them sees.
#include "runner/spawn_setup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>

namespace taskexec {
namespace {

// Runs `script` with /bin/sh as `setup` places it (`out` its stdout's write
// end, closed here) and returns what it printed.
std::string RunScript(const SpawnSetup& setup, int out[2], const char* script) {
  char sh[] = "/bin/sh", c[] = "-c";
  std::string text_arg = script;
  char* argv[] = {sh, c, text_arg.data(), nullptr};
  char path[] = "PATH=/usr/bin:/bin";
  char* envp[] = {path, nullptr};
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, "/bin/sh", setup.actions(), setup.attributes(), argv, envp), 0);
  close(out[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  close(out[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return text;
}

TEST(SpawnSetup, ChildGetsItsDescriptorsDirectoryAndOwnGroup) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  SpawnSetup setup;
  ASSERT_TRUE(setup.Build(-1, out[1], out[1], "/").ok());
  // Prints its cwd, whether stdin is /dev/null, and whether it leads its group.
  const std::string text =
      RunScript(setup, out,
                "pwd; [ \"$(readlink /proc/self/fd/0)\" = /dev/null ] && echo devnull; "
                "set -- $(cat /proc/$$/stat); [ \"$5\" = \"$$\" ] && echo leader");
  EXPECT_EQ(text.substr(0, 2), "/\n") << text;
  EXPECT_NE(text.find("devnull\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leader\n"), std::string::npos) << text;
}

// The extras keep their places: a -1 among them is /dev/null at its number,
// and the one after it is where it belongs.
TEST(SpawnSetup, AnExtraOfMinusOneKeepsItsPlaceWithDevNull) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const int dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  SpawnSetup setup;
  ASSERT_TRUE(setup.Build(-1, out[1], out[1], "/", {-1, dir}).ok());
  const std::string text =
      RunScript(setup, out, "readlink /proc/self/fd/3; readlink /proc/self/fd/4");
  close(dir);
  EXPECT_EQ(text, "/dev/null\n/tmp\n");
}

TEST(SpawnSetup, SecondBuildIsRefused) {
  SpawnSetup setup;
  ASSERT_TRUE(setup.Build(-1, 1, 2, "/").ok());
  Status s = setup.Build(-1, 1, 2, "/");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("twice"), std::string::npos);
}

TEST(SpawnSetup, ErrnoTextNamesTheError) {
  EXPECT_EQ(ErrnoText(ENOENT), "ENOENT (No such file or directory)");
  EXPECT_EQ(ErrnoText(E2BIG), "E2BIG (Argument list too long)");
}

}  // namespace
}  // namespace taskexec
