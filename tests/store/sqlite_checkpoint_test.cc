// The write-ahead log is checkpointed by WalCheckpointer's thread, not by the
// commits that grow it, and stays bounded while writes go on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "store/sqlite/sqlite_db.h"

namespace taskexec::sqlite {
namespace {

namespace fs = std::filesystem;

struct TempDb {
  fs::path dir = fs::temp_directory_path() / ("ckpt_test_" + std::to_string(getpid()));
  TempDb() { fs::create_directories(dir); }
  ~TempDb() { fs::remove_all(dir); }
  std::string path() const { return (dir / "t.db").string(); }
};

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// About `pages` pages of new rows in one transaction.
Status WritePages(ConnectionPool& pool, int pages) {
  return WriteTxn(pool, [&](Connection& c) {
    for (int i = 0; i < pages; ++i) {
      if (Status s = c.Exec("INSERT INTO blobs(data) VALUES (zeroblob(3500))"); !s.ok()) return s;
    }
    return Status::OK();
  });
}

TEST(WalCheckpointer, ALogPastTheThresholdIsCheckpointedByItsThreadAndReused) {
  TempDb db;
  ConnectionPool pool(db.path(), 5000, 4);
  ASSERT_TRUE(WriteTxn(pool, [](Connection& c) {
                return c.Exec("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB)");
              }).ok());
  EXPECT_EQ(pool.checkpointer().checkpoints(), 0);
  // Below the threshold: nothing to do.
  ASSERT_TRUE(WritePages(pool, 100).ok());
  EXPECT_EQ(pool.checkpointer().checkpoints(), 0);

  ASSERT_TRUE(WritePages(pool, WalCheckpointer::kCheckpointPages + 200).ok());
  ASSERT_TRUE(WaitUntil([&] { return pool.checkpointer().checkpoints() >= 1; }));
  const auto wal = db.path() + "-wal";
  const auto first_size = fs::file_size(wal);
  // Each round past the threshold is checkpointed and the next writer
  // starts the log over: it does not grow round after round.
  for (int round = 2; round <= 6; ++round) {
    ASSERT_TRUE(WritePages(pool, WalCheckpointer::kCheckpointPages + 200).ok());
    ASSERT_TRUE(WaitUntil([&] { return pool.checkpointer().checkpoints() >= round; })) << round;
  }
  EXPECT_LE(fs::file_size(wal), 2 * first_size);
}

}  // namespace
}  // namespace taskexec::sqlite
