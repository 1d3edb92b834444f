// ChangeListener: the PostgreSQL store's push of task changes. A trigger on
// `tasks` (schema version 2) sends NOTIFY on the channel "taskexec_<schema>"
// at the end of every statement that changed a task, in any session on any
// host, with the writing backend's pid; PostgreSQL delivers it when the
// transaction commits. The listener holds one connection of its own that
// LISTENs there and counts everything that arrives (PgStore::ChangeCounter);
// it calls the subscribers for the changes others made: `is_own` says which
// backends are the store's own connections, whose writes its caller made.
//
// A connection that breaks is opened again with back-off (100 ms doubling
// to 5 s); notifications sent meanwhile are lost, so a reconnect counts as a
// change and calls the subscribers, and while it is down ChangeCounter
// reports Unavailable (callers then look at the store themselves).
//
// Thread-safety: safe from any thread. Subscribers are called on the
// listener's thread, one at a time, never while the caller of Subscribe or
// of a subscription's destructor waits for it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/mutex.h"
#include "core/status.h"
#include "store/postgres/pg_db.h"
#include "store/task_store.h"

namespace taskexec::pg {

class ChangeListener {
 public:
  ChangeListener(ConnectParams params, std::function<bool(int backend_pid)> is_own);
  ~ChangeListener();  // stops the thread
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  // Starts listening (once; later calls do nothing). The first connection
  // is made before it returns, so a change committed after Start is seen.
  Status Start() EXCLUDES(mu_);

  // Changes heard so far (any number; compare with an earlier value).
  // Unavailable while the listener is not connected.
  Status Counter(int64_t* out) const;

  std::unique_ptr<ChangeSubscription> Subscribe(std::function<void()> on_change) EXCLUDES(mu_);

 private:
  class Subscription;
  void Run();
  // Connects and LISTENs; the connection or an error.
  Status Connect(std::unique_ptr<Connection>* out);
  // Waits for notifications on `conn` until it breaks or Stop; true when
  // it broke.
  bool Listen(Connection& conn);
  void Notify() EXCLUDES(call_mu_, mu_);
  void Unsubscribe(int64_t id) EXCLUDES(call_mu_, mu_);

  const ConnectParams params_;
  const std::function<bool(int)> is_own_;
  int wake_fd_ = -1;  // an eventfd that ends the wait in Listen (Stop)
  std::atomic<int64_t> counter_{0};
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  // Held while subscribers are called, so Unsubscribe can wait for a call
  // under way; taken before mu_.
  Mutex call_mu_ ACQUIRED_BEFORE(mu_);
  Mutex mu_;
  std::map<int64_t, std::function<void()>> subscribers_ GUARDED_BY(mu_);
  int64_t next_id_ GUARDED_BY(mu_) = 0;
  bool started_ GUARDED_BY(mu_) = false;
  std::unique_ptr<Connection> first_ GUARDED_BY(mu_);  // Start's connection, for Run
  std::thread thread_;
};

}  // namespace taskexec::pg
