// CountFolder: keeps the PostgreSQL store's task_counts short. Writers only
// append deltas to it (schema version 3, pg_schema.cc), so it grows by a row
// or two per task change; this folds each group's rows into one, so that
// GetStats and CountTasks read about one row per (status, agent) plus the
// changes of the last interval, however big the board and however long the
// service has run.
//
// The fold is one statement at READ COMMITTED: it deletes the rows of the
// groups that have more than one (or sum to zero) and inserts, per group,
// the sum of exactly the rows it deleted. A row another fold deleted first
// is skipped, so concurrent folds (every service on every host runs one)
// neither lose nor double a delta, and a writer appending meanwhile is
// neither blocked nor made to retry. It commits with synchronous_commit off:
// a fold lost to a crash leaves the deltas it would have summed, which read
// the same.
//
// The thread starts with the first write (Wrote) and folds at most once per
// interval, and only after writes of this process: the other processes'
// deltas are folded by their own folders or along with ours.
//
// Thread-safety: all methods are safe from any thread; the destructor joins
// the thread.
#pragma once

#include <cstdint>
#include <thread>

#include "core/mutex.h"
#include "core/status.h"
#include "store/postgres/pg_db.h"

namespace taskexec::pg {

class CountFolder {
 public:
  CountFolder(ConnectionPool& pool, int64_t interval_ms);
  ~CountFolder();
  CountFolder(const CountFolder&) = delete;
  CountFolder& operator=(const CountFolder&) = delete;

  // A write committed: a fold is due within the interval.
  void Wrote() EXCLUDES(mu_);

  // Folds now, on the calling thread; *rows_folded (may be null) gets the
  // number of delta rows summed away.
  Status FoldNow(int64_t* rows_folded = nullptr);

 private:
  void Loop() EXCLUDES(mu_);

  ConnectionPool& pool_;
  const int64_t interval_ms_;
  Mutex mu_;
  CondVar cv_;
  bool due_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // started by the first Wrote
};

}  // namespace taskexec::pg
