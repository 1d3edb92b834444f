#include "store/sqlite/wal_checkpointer.h"

#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "store/sqlite/sqlite_db.h"

namespace taskexec::sqlite {

WalCheckpointer::WalCheckpointer(std::string path, int busy_timeout_ms)
    : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}

WalCheckpointer::~WalCheckpointer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::Watch(sqlite3* db) { sqlite3_wal_hook(db, &WalCheckpointer::OnCommit, this); }

int WalCheckpointer::checkpoints() const {
  MutexLock lock(&mu_);
  return checkpoints_;
}

int WalCheckpointer::OnCommit(void* self, sqlite3* db, const char* schema, int pages) {
  if (pages >= kInlinePages) {
    // Fallen behind: do what wal_autocheckpoint would have done.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kCheckpointPages) {
    static_cast<WalCheckpointer*>(self)->Notify();
  }
  return SQLITE_OK;
}

void WalCheckpointer::Notify() {
  MutexLock lock(&mu_);
  if (stopping_) return;
  due_ = true;
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Loop(); });
  }
  cv_.Signal();
}

void WalCheckpointer::Loop() {
  std::unique_ptr<Connection> conn;
  MutexLock lock(&mu_);
  for (;;) {
    cv_.Wait(&mu_, [this] {
      mu_.AssertHeld();
      return due_ || stopping_;
    });
    if (stopping_) return;
    due_ = false;
    lock.Unlock();
    Status s = conn != nullptr ? Status::OK() : Connection::Open(path_, busy_timeout_ms_, &conn);
    int rc = SQLITE_OK;
    if (s.ok()) {
      rc = sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                     nullptr);
      // SQLITE_BUSY: another process's checkpoint runs; the next commit past
      // the threshold asks again.
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) s = FromSqlite(rc, conn->db(), "wal checkpoint");
    }
    if (!s.ok()) spdlog::warn("sqlite: background checkpoint of {}: {}", path_, s.ToString());
    lock.Lock();
    if (s.ok() && rc == SQLITE_OK) ++checkpoints_;
  }
}

}  // namespace taskexec::sqlite
