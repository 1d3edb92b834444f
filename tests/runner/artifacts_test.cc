#include "runner/artifacts.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "runner_test_util.h"

namespace taskexec {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(Artifacts, Sha256KnownValues) {
  TempDir dir;
  std::string hex;
  int64_t size = -1;
  WriteFile(dir.Sub("abc"), "abc");
  ASSERT_TRUE(Sha256File(dir.Sub("abc"), &hex, &size).ok());
  EXPECT_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
  EXPECT_EQ(size, 3);
  WriteFile(dir.Sub("empty"), "");
  ASSERT_TRUE(Sha256File(dir.Sub("empty"), &hex, &size).ok());
  EXPECT_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(size, 0);
  EXPECT_FALSE(Sha256File(dir.Sub("missing"), &hex, &size).ok());
}

TEST(Artifacts, WalksTheDirectorySkipsLinksAndAddsListedPaths) {
  TempDir dir;
  std::string art = dir.Sub("artifacts");
  std::filesystem::create_directories(art + "/sub");
  WriteFile(art + "/report.txt", "hello artifact\n");
  WriteFile(art + "/sub/data.bin", std::string("\x00\x01\x02", 3));
  WriteFile(dir.Sub("outside.txt"), "secret");
  std::filesystem::create_symlink(dir.Sub("outside.txt"), art + "/link");
  std::filesystem::create_directory_symlink(dir.path(), art + "/loop");
  WriteFile(dir.Sub("extra.txt"), "extra\n");

  ArtifactSource src;
  src.artifacts_dir = art;
  src.cwd = dir.path();
  src.listed_paths = {"extra.txt", "missing.txt", art + "/report.txt", "artifacts"};
  src.task_id = "task-1";
  src.execution_id = "exec-1";
  src.now = 1234;
  ArtifactCollection c = CollectArtifacts(src);

  ASSERT_EQ(c.artifacts.size(), 3u);
  EXPECT_EQ(c.artifacts[0].name, "report.txt");
  EXPECT_EQ(c.artifacts[0].sha256,
            "51bc0fc1f19104fa6e89ce50be9aa1f57c3346c1ca51ab49f5f00e14ce8f8076");
  EXPECT_EQ(c.artifacts[0].size, 15);
  EXPECT_EQ(c.artifacts[1].name, "sub/data.bin");
  EXPECT_EQ(c.artifacts[1].sha256,
            "ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc");
  EXPECT_EQ(c.artifacts[2].name, "extra.txt");
  EXPECT_EQ(c.artifacts[2].path, std::filesystem::canonical(dir.Sub("extra.txt")).string());
  EXPECT_EQ(c.artifacts[2].sha256,
            "65110ea3b8b62b0c09742c368bf1527f0978b06dff7a1371ef7b4c98e244d91a");
  for (const auto& a : c.artifacts) {
    EXPECT_EQ(a.task_id, "task-1");
    EXPECT_EQ(a.execution_id, "exec-1");
    EXPECT_EQ(a.created_at, 1234);
    EXPECT_EQ(a.id.rfind("art-", 0), 0u) << a.id;
    EXPECT_EQ(a.type, "file");
  }
  // missing.txt and the directory listed as a file are warnings, not failures.
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_NE(c.warnings[0].find("missing.txt"), std::string::npos);
  EXPECT_NE(c.warnings[1].find("not a regular file"), std::string::npos);
}

TEST(Artifacts, MissingDirectoryAndLimit) {
  TempDir dir;
  ArtifactSource src;
  src.artifacts_dir = dir.Sub("nope");
  EXPECT_TRUE(CollectArtifacts(src).artifacts.empty());

  std::filesystem::create_directories(dir.Sub("a"));
  for (int i = 0; i < 5; ++i) WriteFile(dir.Sub("a/f" + std::to_string(i)), std::to_string(i));
  src.artifacts_dir = dir.Sub("a");
  src.max_files = 3;
  ArtifactCollection c = CollectArtifacts(src);
  EXPECT_EQ(c.artifacts.size(), 3u);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("2 more"), std::string::npos);
}

}  // namespace
}  // namespace taskexec
