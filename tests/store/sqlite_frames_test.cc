// The store's VFS (store/sqlite/frame_writing_vfs.h) writes each log frame
// in one write. What must hold: the log it leaves is SQLite's, frame for
// frame. A copy of the database and its log taken while the store is open
// (as a crash leaves them: nothing checkpointed, no shared-memory index) is
// opened by a plain SQLite, whose recovery reads every frame and checks its
// checksum, stopping at the first bad one: every committed task is there.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/raw_sqlite.h"
#include "store/sqlite/frame_writing_vfs.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_conformance.h"
#include "store/temp_dir.h"

namespace taskexec::store_test {
namespace {

namespace fs = std::filesystem;

TEST(FrameWritingVfs, ALogCopiedMidRunRecoversEveryCommit) {
  ASSERT_NE(sqlite::FrameWritingVfs(), nullptr);
  TempDir dir;
  const std::string path = dir.File("frames.db");
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(path, StoreConfig{}, &store).ok());
  const long long joined_before = sqlite::FrameWritingVfsJoinedWrites();
  constexpr int kTasks = 300;
  for (int i = 0; i < kTasks; ++i) {
    NewTask n;
    n.title = "frame " + std::to_string(i);
    n.description = std::string(static_cast<size_t>(i) * 37 % 3000, 'x');  // pages of all fills
    Task out;
    ASSERT_TRUE(store->AddTask(n, kT0 + i, &out).ok());
    if (i % 3 == 0) {
      TaskPatch patch;
      patch.title = "renamed " + std::to_string(i);
      ASSERT_TRUE(store->UpdateTask(out.id, patch, out.version, kT0 + i, &out).ok());
    }
  }
  // Every commit wrote frames, each a header joined to its page.
  EXPECT_GE(sqlite::FrameWritingVfsJoinedWrites() - joined_before, kTasks);
  ASSERT_GT(fs::file_size(path + "-wal"), 0u) << "nothing left in the log to recover";

  // The files as a crash would leave them, the store still open.
  const std::string copy = dir.File("copy.db");
  fs::copy_file(path, copy);
  fs::copy_file(path + "-wal", copy + "-wal");
  EXPECT_EQ(RawCount(copy, "SELECT COUNT(*) FROM tasks"), kTasks);
  EXPECT_EQ(RawCount(copy, "SELECT COUNT(*) FROM tasks WHERE title LIKE 'renamed %'"), kTasks / 3);
  EXPECT_EQ(RawCount(copy,
                     "SELECT COUNT(*) FROM pragma_integrity_check "
                     "WHERE integrity_check <> 'ok'"),
            0);
}

}  // namespace
}  // namespace taskexec::store_test
