// WriteWholeFile: a file made or emptied and written whole; an error names
// the path. WriteAll: every byte through a pipe smaller than the buffer.
#include "core/write_all.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "store/temp_dir.h"

namespace taskexec {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(WriteWholeFile, MakesOrEmptiesTheFileAndNamesThePathOnError) {
  const store_test::TempDir temp;
  const std::string& dir = temp.path();
  const std::string path = dir + "/prompt.md";
  ASSERT_TRUE(WriteWholeFile(path, "a longer first text").ok());
  ASSERT_TRUE(WriteWholeFile(path, "second").ok());
  EXPECT_EQ(Slurp(path), "second");
  Status s = WriteWholeFile(dir + "/missing/prompt.md", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir + "/missing/prompt.md"), std::string::npos) << s.ToString();
}

TEST(WriteWholeFile, MakingFolderMakesAMissingFolder) {
  const store_test::TempDir temp;
  const std::string path = temp.File("logs/exec-1.prompt.md");
  ASSERT_TRUE(WriteWholeFileMakingFolder(path, "the prompt").ok());
  EXPECT_EQ(Slurp(path), "the prompt");
  ASSERT_TRUE(WriteWholeFileMakingFolder(path, "again").ok());
  EXPECT_EQ(Slurp(path), "again");
}

TEST(WriteAll, WritesEveryByteThroughAPipeSmallerThanTheBuffer) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string data(1 << 20, 'x');  // a pipe holds 64 KiB
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  });
  EXPECT_TRUE(WriteAll(fds[1], data.data(), data.size()));
  close(fds[1]);
  reader.join();
  close(fds[0]);
  EXPECT_EQ(got, data);
}

}  // namespace
}  // namespace taskexec
