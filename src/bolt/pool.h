// ConnectionPool: reusable authenticated connections, per server address.
//
// At most max_per_server connections exist per address (idle + in use);
// Acquire waits up to acquire_timeout_ms for one to come back. A connection
// returned broken is dropped. Idle connections are checked with RESET before
// reuse only when idle for longer than liveness_check_ms (negative: always);
// a failed check discards the connection and opens a new one.
//
// Thread-safety: all methods are safe from any thread. A PooledConnection is
// used by one thread and returns itself to the pool when destroyed.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bolt/connection.h"
#include "bolt/uri.h"
#include "core/mutex.h"

namespace taskexec::bolt {

class ConnectionPool;

class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(ConnectionPool* pool, std::string address, std::unique_ptr<Connection> c)
      : pool_(pool), address_(std::move(address)), conn_(std::move(c)) {}
  PooledConnection(PooledConnection&& o) noexcept = default;
  PooledConnection& operator=(PooledConnection&& o) noexcept;
  ~PooledConnection() { Release(); }

  Connection* operator->() const { return conn_.get(); }
  Connection* get() const { return conn_.get(); }
  explicit operator bool() const { return conn_ != nullptr; }
  const std::string& address() const { return address_; }
  void Release();

 private:
  ConnectionPool* pool_ = nullptr;
  std::string address_;
  std::unique_ptr<Connection> conn_;
};

class ConnectionPool {
 public:
  // Opens a new connection to an address; the driver supplies it (it knows
  // the TLS and auth settings), tests may supply their own.
  using Opener = std::function<Status(const Address&, std::unique_ptr<Connection>*)>;

  ConnectionPool(Opener opener, int max_per_server, int acquire_timeout_ms,
                 int liveness_check_ms = 60000);
  ~ConnectionPool();

  Status Acquire(const Address& address, PooledConnection* out);
  // Drops the idle connections of a server (after it failed).
  void Purge(const std::string& address);
  // Closes every idle connection (GOODBYE); in-use ones close on return.
  void Close();

  int idle_count(const std::string& address) const;
  int open_count(const std::string& address) const;

 private:
  friend class PooledConnection;
  void Return(const std::string& address, std::unique_ptr<Connection> c);

  struct Server {
    std::vector<std::unique_ptr<Connection>> idle;
    int open = 0;  // idle + in use + being opened
  };
  Opener opener_;
  int max_per_server_;
  int acquire_timeout_ms_;
  int liveness_check_ms_;
  mutable Mutex mu_;
  CondVar cv_;
  std::map<std::string, Server> servers_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace taskexec::bolt
