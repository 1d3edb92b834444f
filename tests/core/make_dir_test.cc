// MakeDir: one mkdir where the parent exists, its parents where they are
// missing, OK for a folder already there, an error naming the path for
// anything else in the way.
#include "core/make_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace taskexec {
namespace {

namespace fs = std::filesystem;

class MakeDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/make_dir_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root_;
};

TEST_F(MakeDirTest, MakesAFolderInOneThatExists) {
  const std::string dir = root_ + "/attempt";
  ASSERT_TRUE(MakeDir(dir).ok());
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST_F(MakeDirTest, MakesTheMissingParentsToo) {
  const std::string dir = root_ + "/a/b/c";
  ASSERT_TRUE(MakeDir(dir).ok());
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST_F(MakeDirTest, AFolderThatIsThereAlreadyIsFine) {
  const std::string dir = root_ + "/workspace";
  ASSERT_TRUE(MakeDir(dir).ok());
  std::ofstream(dir + "/kept.txt") << "from an earlier attempt";
  ASSERT_TRUE(MakeDir(dir).ok());
  EXPECT_TRUE(fs::exists(dir + "/kept.txt"));
}

TEST_F(MakeDirTest, AFileInTheWayIsAnErrorNamingThePath) {
  const std::string path = root_ + "/taken";
  std::ofstream(path) << "x";
  Status s = MakeDir(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
  s = MakeDir(path + "/below");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + "/below"), std::string::npos) << s.ToString();
}

TEST_F(MakeDirTest, OpenMakingFolderMakesAMissingFolderOnce) {
  const std::string path = root_ + "/logs/exec-1.log";
  int fd = -1;
  ASSERT_TRUE(OpenMakingFolder(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644, "log", &fd).ok());
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_TRUE(fs::is_regular_file(path));
  // A folder in the way of the file: an error naming what and where.
  fs::create_directories(root_ + "/logs/exec-2.log");
  Status s = OpenMakingFolder(root_ + "/logs/exec-2.log", O_WRONLY | O_CREAT | O_CLOEXEC, 0644,
                              "log", &fd);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot open log " + root_ + "/logs/exec-2.log"), std::string::npos)
      << s.ToString();
  // A file in the way of the folder: MakeDir's error.
  std::ofstream(root_ + "/taken") << "x";
  s = OpenMakingFolder(root_ + "/taken/x.log", O_WRONLY | O_CREAT | O_CLOEXEC, 0644, "log", &fd);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(root_ + "/taken"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace taskexec
