#include "bolt/pool.h"

#include <chrono>

#include "core/clock.h"

namespace taskexec::bolt {

PooledConnection& PooledConnection::operator=(PooledConnection&& o) noexcept {
  if (this != &o) {
    Release();
    pool_ = o.pool_;
    address_ = std::move(o.address_);
    conn_ = std::move(o.conn_);
    o.pool_ = nullptr;
  }
  return *this;
}

void PooledConnection::Release() {
  if (conn_ && pool_ != nullptr) pool_->Return(address_, std::move(conn_));
  conn_.reset();
  pool_ = nullptr;
}

ConnectionPool::ConnectionPool(Opener opener, int max_per_server, int acquire_timeout_ms,
                               int liveness_check_ms)
    : opener_(std::move(opener)),
      max_per_server_(max_per_server < 1 ? 1 : max_per_server),
      acquire_timeout_ms_(acquire_timeout_ms),
      liveness_check_ms_(liveness_check_ms) {}

ConnectionPool::~ConnectionPool() { Close(); }

Status ConnectionPool::Acquire(const Address& address, PooledConnection* out) {
  const std::string key = address.ToString();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(acquire_timeout_ms_);
  MutexLock lock(&mu_);
  for (;;) {
    if (closed_) return Status::Unavailable("Bolt connection pool is closed");
    Server& server = servers_[key];
    while (!server.idle.empty()) {
      std::unique_ptr<Connection> c = std::move(server.idle.back());
      server.idle.pop_back();
      bool stale = MonotonicMs() - c->last_used_ms() > liveness_check_ms_;
      if (!c->broken() && stale) {
        // Check a long-idle connection outside the lock: the server may
        // have closed it meanwhile.
        lock.Unlock();
        bool alive = c->Reset().ok();
        lock.Lock();
        if (!alive) {
          --servers_[key].open;
          cv_.SignalAll();
          continue;
        }
      }
      if (c->broken()) {
        --servers_[key].open;
        continue;
      }
      *out = PooledConnection(this, key, std::move(c));
      return Status::OK();
    }
    if (server.open < max_per_server_) {
      ++server.open;
      lock.Unlock();
      std::unique_ptr<Connection> c;
      Status s = opener_(address, &c);
      lock.Lock();
      if (!s.ok()) {
        --servers_[key].open;
        cv_.SignalAll();
        return s;
      }
      *out = PooledConnection(this, key, std::move(c));
      return Status::OK();
    }
    if (!cv_.WaitUntil(&mu_, deadline)) {
      return Status::Unavailable("no Bolt connection to " + key + " became free within " +
                                 std::to_string(acquire_timeout_ms_) + " ms");
    }
  }
}

void ConnectionPool::Return(const std::string& address, std::unique_ptr<Connection> c) {
  MutexLock lock(&mu_);
  Server& server = servers_[address];
  if (c->broken() || closed_) {
    --server.open;
    if (!c->broken()) c->Close();
  } else {
    server.idle.push_back(std::move(c));
  }
  cv_.SignalAll();
}

void ConnectionPool::Purge(const std::string& address) {
  std::vector<std::unique_ptr<Connection>> drop;
  {
    MutexLock lock(&mu_);
    auto it = servers_.find(address);
    if (it == servers_.end()) return;
    drop.swap(it->second.idle);
    it->second.open -= static_cast<int>(drop.size());
    cv_.SignalAll();
  }
  // Destroyed outside the lock: closing sockets may take a moment.
}

void ConnectionPool::Close() {
  std::vector<std::unique_ptr<Connection>> drop;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    for (auto& [addr, server] : servers_) {
      for (auto& c : server.idle) drop.push_back(std::move(c));
      server.open -= static_cast<int>(server.idle.size());
      server.idle.clear();
    }
    cv_.SignalAll();
  }
  for (auto& c : drop) c->Close();
}

int ConnectionPool::idle_count(const std::string& address) const {
  MutexLock lock(&mu_);
  auto it = servers_.find(address);
  return it == servers_.end() ? 0 : static_cast<int>(it->second.idle.size());
}

int ConnectionPool::open_count(const std::string& address) const {
  MutexLock lock(&mu_);
  auto it = servers_.find(address);
  return it == servers_.end() ? 0 : it->second.open;
}

}  // namespace taskexec::bolt
