// WalCheckpointer: copies the write-ahead log's pages back into the database
// file on a thread of its own.
//
// SQLite's own policy (wal_autocheckpoint) checkpoints inside the commit that
// grows the log past 1,000 pages (by default), on the committing thread: with
// synchronous=NORMAL that checkpoint is the only fsync a write pays, two of
// them (log, then database), and the engine's thread waited for them every
// few dozen attempts. Here the commit only signals this thread, which runs a
// PASSIVE checkpoint (it never blocks readers or the writer) on a connection
// of its own. If the log still reaches kInlinePages (this thread starved, or
// a long reader pins the log), the committing thread checkpoints itself, as
// SQLite would.
//
// Thread-safety: Notify may be called from any thread (SQLite calls the hook
// on the committing one); the destructor joins the thread and must not run
// concurrently with Notify.
#pragma once

#include <sqlite3.h>

#include <string>
#include <thread>

#include "core/mutex.h"

namespace taskexec::sqlite {

class WalCheckpointer {
 public:
  // Eight times SQLite's default (32 MB of log with 4 KB pages): a task's
  // transactions rewrite the same few index pages, and a checkpoint copies
  // each page once however often the log holds it, so a longer log means
  // fewer pages copied and synced per task (docs/benchmarks.md: about a
  // tenth more /bin/true tasks per second on ext4 than at 1,000).
  static constexpr int kCheckpointPages = 8000;
  static constexpr int kInlinePages = 3 * kCheckpointPages;

  WalCheckpointer(std::string path, int busy_timeout_ms);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Makes every commit on `db` report the log's size to this checkpointer
  // (sqlite3_wal_hook; replaces wal_autocheckpoint on that connection).
  void Watch(sqlite3* db);

  // How many checkpoints this thread ran (for tests).
  int checkpoints() const;

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages);
  void Notify();
  void Loop();

  const std::string path_;
  const int busy_timeout_ms_;
  mutable Mutex mu_;
  CondVar cv_;
  bool due_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  int checkpoints_ GUARDED_BY(mu_) = 0;
  std::thread thread_;  // started by the first Notify
};

}  // namespace taskexec::sqlite
