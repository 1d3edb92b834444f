#include "store/postgres/pg_count_folder.h"

#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

namespace taskexec::pg {
namespace {

// The groups with more than one row, or whose rows sum to nothing, are
// replaced by the sum of the rows this statement deleted (RETURNING), not of
// the rows it saw: under READ COMMITTED a row deleted by a concurrent fold
// is skipped, and so is not summed twice.
constexpr const char* kFold = R"sql(
BEGIN ISOLATION LEVEL READ COMMITTED;
SET LOCAL synchronous_commit = off;
WITH folded AS (
  DELETE FROM task_counts WHERE (status, agent) IN (
    SELECT status, agent FROM task_counts GROUP BY 1, 2 HAVING COUNT(*) > 1 OR SUM(n) = 0)
  RETURNING status, agent, n),
summed AS (
  INSERT INTO task_counts(status, agent, n)
    SELECT status, agent, SUM(n) FROM folded GROUP BY 1, 2 HAVING SUM(n) <> 0)
SELECT COUNT(*) FROM folded;
)sql";

}  // namespace

CountFolder::CountFolder(ConnectionPool& pool, int64_t interval_ms)
    : pool_(pool), interval_ms_(interval_ms) {}

CountFolder::~CountFolder() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void CountFolder::Wrote() {
  MutexLock lock(&mu_);
  if (stopping_ || due_) return;
  due_ = true;
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Loop(); });
  }
  cv_.Signal();
}

Status CountFolder::FoldNow(int64_t* rows_folded) {
  return pool_.With([&](Connection& c) -> Status {
    std::string folded;
    // The pool rolls back a transaction left open by a failure.
    Status s = c.ExecValue(kFold, &folded);
    if (s.ok()) s = c.Exec("COMMIT");
    if (!s.ok()) return s;
    if (rows_folded != nullptr) *rows_folded = std::atoll(folded.c_str());
    return Status::OK();
  });
}

void CountFolder::Loop() {
  MutexLock lock(&mu_);
  for (;;) {
    cv_.Wait(&mu_, [this] {
      mu_.AssertHeld();
      return due_ || stopping_;
    });
    // Let the interval's writes gather, then fold them together.
    cv_.WaitFor(&mu_, interval_ms_, [this] {
      mu_.AssertHeld();
      return stopping_;
    });
    if (stopping_) return;
    due_ = false;
    lock.Unlock();
    Status s = FoldNow();
    // Unavailable (the server restarts, a read-only standby): the next
    // write asks again; readers sum the unfolded rows meanwhile.
    if (!s.ok()) spdlog::warn("postgres: folding task counts: {}", s.ToString());
    lock.Lock();
  }
}

}  // namespace taskexec::pg
