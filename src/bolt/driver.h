// Driver: the entry point of the Bolt client. It owns the connection pool,
// routing tables (neo4j:// URIs) and the causal bookmarks, and offers:
//   - auto-commit queries (Run),
//   - explicit transactions (BeginTransaction -> Transaction),
//   - managed transactions (ExecuteWrite/ExecuteRead) that retry retryable
//     failures (see bolt/errors.h) in a new transaction, with exponential
//     backoff and jitter, for up to max_retry_time_ms.
// Writes go to writers and reads (mode "r") to readers; a server whose
// connection fails is forgotten from the routing table, one that says it is
// not the leader is forgotten as a writer.
//
// Bookmarks: every committed transaction's bookmark replaces the driver's
// set, and the set is sent with every BEGIN/auto-commit RUN, so each
// transaction sees the writes of the ones before it, on any cluster member.
//
// Thread-safety: a Driver is safe to use from any thread. A Transaction
// belongs to the thread that began it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bolt/connection.h"
#include "bolt/pool.h"
#include "bolt/routing.h"
#include "bolt/uri.h"
#include "core/mutex.h"

namespace taskexec::bolt {

struct DriverConfig {
  std::string uri;  // bolt[+s|+ssc]://host:port or neo4j[+s|+ssc]://host:port
  AuthToken auth;
  std::string database;  // empty = the server's default database
  std::string user_agent = "taskexec/0.1";
  std::string ca_file;  // for +s; empty = system trust store
  int connect_timeout_ms = 5000;
  int io_timeout_ms = 60000;
  int max_pool_size = 16;  // per server
  int acquire_timeout_ms = 60000;
  int64_t fetch_size = 1000;
  int max_retry_time_ms = 30000;
  int initial_retry_delay_ms = 1000;
  double retry_multiplier = 2.0;
  double retry_jitter = 0.2;  // +-20%
  int max_minor_5 = 7;
  // Injection points for tests: how to wait between retries, and the
  // monotonic clock used for routing table TTLs.
  std::function<void(int64_t ms)> sleep_ms;
  std::function<int64_t()> now_ms;
};

enum class AccessMode { kWrite, kRead };

struct ServerInfo {
  std::string address;
  std::string agent;  // "Neo4j/5.26.0"
  Version version;
};

class Driver;

class Transaction {
 public:
  ~Transaction();  // rolls back if still open
  Status Run(const std::string& query, const Map& params, QueryResult* out);
  Status Commit();
  Status Rollback();
  const std::string& server() const { return conn_.address(); }

 private:
  friend class Driver;
  Transaction(Driver* driver, PooledConnection conn) : driver_(driver), conn_(std::move(conn)) {}
  Driver* driver_;
  PooledConnection conn_;
  bool open_ = true;
};

class Driver {
 public:
  static Status Create(const DriverConfig& config, std::unique_ptr<Driver>* out);
  ~Driver();

  // Connects to a server (a writer when routing) and reports who it is.
  Status VerifyConnectivity(ServerInfo* info);

  // One auto-commit query (not retried: it may have taken effect).
  Status Run(const std::string& query, const Map& params, AccessMode mode, QueryResult* out);

  Status BeginTransaction(AccessMode mode, std::unique_ptr<Transaction>* out);

  // Runs `work` in a transaction and commits it, retrying retryable
  // failures in a fresh transaction. `work` may run several times, so it
  // must have no side effects outside the transaction besides its outputs,
  // which it should reset at its start.
  Status ExecuteWrite(const std::function<Status(Transaction&)>& work);
  Status ExecuteRead(const std::function<Status(Transaction&)>& work);

  std::vector<std::string> bookmarks() const;
  // The routing table in use for the configured database (empty when direct).
  RoutingTable routing_table() const;
  ConnectionPool& pool() { return *pool_; }
  void Close();

 private:
  friend class Transaction;
  explicit Driver(DriverConfig config) : config_(std::move(config)) {}
  Status Execute(AccessMode mode, const std::function<Status(Transaction&)>& work);
  Status Acquire(AccessMode mode, PooledConnection* out);
  // Asks the routers for a new table, unless another thread refreshed it
  // meanwhile so that it is fresh for `write` (then OK without a ROUTE).
  Status RefreshRoutingTable(bool write);
  void OnFailure(const std::string& address, const Status& s, bool connection_broken);
  Map TxExtra(AccessMode mode) const;
  void SetBookmark(const Map& summary);
  int64_t Now() const;

  DriverConfig config_;
  BoltUri uri_;
  ConnectionConfig conn_config_;
  std::unique_ptr<ConnectionPool> pool_;
  mutable Mutex mu_;
  RoutingTable table_ GUARDED_BY(mu_);
  size_t rr_ GUARDED_BY(mu_) = 0;  // round-robin cursor
  std::vector<std::string> bookmarks_ GUARDED_BY(mu_);
  Mutex refresh_mu_;  // one routing refresh at a time
};

}  // namespace taskexec::bolt
