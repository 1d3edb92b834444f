#include "bolt/driver.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "bolt/errors.h"
#include "core/clock.h"

namespace taskexec::bolt {

Status Driver::Create(const DriverConfig& config, std::unique_ptr<Driver>* out) {
  std::unique_ptr<Driver> d(new Driver(config));
  if (Status s = ParseUri(config.uri, &d->uri_); !s.ok()) return s;
  if (d->uri_.tls == TlsMode::kNone && !config.ca_file.empty()) {
    return Status::InvalidArgument("a CA file needs a +s URI scheme (bolt+s://, neo4j+s://)");
  }
  ConnectionConfig& c = d->conn_config_;
  c.transport.tls = d->uri_.tls;
  c.transport.ca_file = config.ca_file;
  c.transport.connect_timeout_ms = config.connect_timeout_ms;
  c.transport.io_timeout_ms = config.io_timeout_ms;
  c.user_agent = config.user_agent;
  c.auth = config.auth;
  c.max_minor_5 = config.max_minor_5;
  if (d->uri_.routing) {
    Map ctx;
    ctx.Set("address", d->uri_.address.ToString());
    for (const auto& [k, v] : d->uri_.query) ctx.Set(k, v);
    c.routing_context = Value(std::move(ctx));
  }
  Driver* raw = d.get();
  d->pool_ = std::make_unique<ConnectionPool>(
      [raw](const Address& a, std::unique_ptr<Connection>* conn) {
        return Connection::Open(a.host, a.port, raw->conn_config_, conn);
      },
      config.max_pool_size, config.acquire_timeout_ms);
  *out = std::move(d);
  return Status::OK();
}

Driver::~Driver() { Close(); }

void Driver::Close() {
  if (pool_) pool_->Close();
}

int64_t Driver::Now() const { return config_.now_ms ? config_.now_ms() : MonotonicMs(); }

std::vector<std::string> Driver::bookmarks() const {
  MutexLock lock(&mu_);
  return bookmarks_;
}

RoutingTable Driver::routing_table() const {
  MutexLock lock(&mu_);
  return table_;
}

Map Driver::TxExtra(AccessMode mode) const {
  bolt::TxExtra e;
  e.bookmarks = bookmarks();
  e.read_mode = mode == AccessMode::kRead;
  e.db = config_.database;
  return e.ToMap();
}

void Driver::SetBookmark(const Map& summary) {
  const Value* b = summary.Find("bookmark");
  if (b == nullptr || !b->is_string() || b->as_string().empty()) return;
  MutexLock lock(&mu_);
  bookmarks_ = {b->as_string()};
}

Status Driver::RefreshRoutingTable(bool write) {
  MutexLock refresh(&refresh_mu_);
  std::vector<Address> candidates;
  {
    MutexLock lock(&mu_);
    // When the table expires, every thread in Acquire queues here; the first
    // one refreshes it, and the others find it fresh and send no ROUTE.
    if (table_.IsFresh(write, Now())) return Status::OK();
    candidates = table_.routers;
  }
  // The URI's address is the seed router, tried last once a table exists.
  if (std::find(candidates.begin(), candidates.end(), uri_.address) == candidates.end()) {
    candidates.push_back(uri_.address);
  }
  Status last = Status::Unavailable("no router to ask");
  for (const Address& router : candidates) {
    PooledConnection conn;
    last = pool_->Acquire(router, &conn);
    if (last.ok()) {
      Map meta;
      last = conn->Request(
          Route(conn_config_.routing_context.as_map(), bookmarks(), config_.database), &meta);
      if (last.ok()) {
        RoutingTable t;
        last = RoutingTable::FromRouteResponse(meta, Now(), &t);
        if (last.ok()) {
          MutexLock lock(&mu_);
          table_ = std::move(t);
          return Status::OK();
        }
      }
    }
    MutexLock lock(&mu_);
    table_.Forget(router);
  }
  return Status::Unavailable("could not refresh the routing table from any router: " +
                             last.message());
}

Status Driver::Acquire(AccessMode mode, PooledConnection* out) {
  if (!uri_.routing) return pool_->Acquire(uri_.address, out);
  const bool write = mode == AccessMode::kWrite;
  Status last;
  // Each failed server is forgotten, so this ends after a few rounds.
  for (int round = 0; round < 8; ++round) {
    bool fresh;
    {
      MutexLock lock(&mu_);
      fresh = table_.IsFresh(write, Now());
    }
    if (!fresh) {
      if (Status s = RefreshRoutingTable(write); !s.ok()) return s;
    }
    Address target;
    {
      MutexLock lock(&mu_);
      const auto& servers = write ? table_.writers : table_.readers;
      if (servers.empty()) {
        last = Status::Unavailable(std::string("the routing table has no ") +
                                   (write ? "writer" : "reader"));
        table_.expires_at_ms = 0;  // force a refresh next round
        continue;
      }
      target = servers[rr_++ % servers.size()];
    }
    last = pool_->Acquire(target, out);
    if (last.ok()) return last;
    OnFailure(target.ToString(), last, true);
  }
  return last;
}

void Driver::OnFailure(const std::string& address, const Status& s, bool connection_broken) {
  if (!uri_.routing) {
    if (connection_broken) pool_->Purge(address);
    return;
  }
  Address a;
  if (!ParseAddress(address, &a).ok()) return;
  if (connection_broken) {
    {
      MutexLock lock(&mu_);
      table_.Forget(a);
    }
    pool_->Purge(address);
  } else if (IsNotWriter(s)) {
    MutexLock lock(&mu_);
    table_.ForgetWriter(a);
  }
}

Status Driver::VerifyConnectivity(ServerInfo* info) {
  PooledConnection conn;
  if (Status s = Acquire(AccessMode::kWrite, &conn); !s.ok()) return s;
  info->address = conn.address();
  info->agent = conn->server_agent();
  info->version = conn->version();
  return Status::OK();
}

Status Driver::Run(const std::string& query, const Map& params, AccessMode mode, QueryResult* out) {
  PooledConnection conn;
  if (Status s = Acquire(mode, &conn); !s.ok()) return s;
  Status s = conn->Run(query, params, TxExtra(mode), config_.fetch_size, out);
  if (s.ok()) {
    SetBookmark(out->summary);
  } else {
    OnFailure(conn.address(), s, conn->broken());
  }
  return s;
}

Status Driver::BeginTransaction(AccessMode mode, std::unique_ptr<Transaction>* out) {
  PooledConnection conn;
  if (Status s = Acquire(mode, &conn); !s.ok()) return s;
  if (Status s = conn->Request(Begin(TxExtra(mode)), nullptr); !s.ok()) {
    OnFailure(conn.address(), s, conn->broken());
    return s;
  }
  out->reset(new Transaction(this, std::move(conn)));
  return Status::OK();
}

Status Driver::ExecuteWrite(const std::function<Status(Transaction&)>& work) {
  return Execute(AccessMode::kWrite, work);
}

Status Driver::ExecuteRead(const std::function<Status(Transaction&)>& work) {
  return Execute(AccessMode::kRead, work);
}

Status Driver::Execute(AccessMode mode, const std::function<Status(Transaction&)>& work) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t start = MonotonicMs();
  int64_t slept = 0;
  double delay = config_.initial_retry_delay_ms;
  for (;;) {
    std::unique_ptr<Transaction> tx;
    Status s = BeginTransaction(mode, &tx);
    if (s.ok()) {
      s = work(*tx);
      if (s.ok()) {
        s = tx->Commit();
      } else {
        (void)tx->Rollback();
      }
      if (!s.ok()) OnFailure(tx->server(), s, tx->conn_->broken());
    }
    if (s.ok() || !IsRetryable(s)) return s;
    // Elapsed time counts injected sleeps too, so tests with a fake sleep
    // still end.
    if (std::max(MonotonicMs() - start, slept) >= config_.max_retry_time_ms) return s;
    std::uniform_real_distribution<double> jitter(1.0 - config_.retry_jitter,
                                                  1.0 + config_.retry_jitter);
    int64_t wait = static_cast<int64_t>(delay * jitter(rng));
    if (config_.sleep_ms) {
      config_.sleep_ms(wait);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    }
    slept += wait;
    delay *= config_.retry_multiplier;
  }
}

Transaction::~Transaction() {
  if (open_) (void)Rollback();
}

Status Transaction::Run(const std::string& query, const Map& params, QueryResult* out) {
  if (!open_) return Status::Internal("Bolt: transaction is closed");
  Status s = conn_->Run(query, params, Map{}, driver_->config_.fetch_size, out);
  // After a FAILURE the server has rolled the transaction back.
  if (!s.ok()) open_ = false;
  return s;
}

Status Transaction::Commit() {
  if (!open_) return Status::Internal("Bolt: transaction is closed");
  open_ = false;
  Map meta;
  Status s = conn_->Request(bolt::Commit(), &meta);
  if (s.ok()) driver_->SetBookmark(meta);
  return s;
}

Status Transaction::Rollback() {
  if (!open_) return Status::OK();
  open_ = false;
  if (conn_->broken()) return Status::OK();
  return conn_->Request(bolt::Rollback(), nullptr);
}

}  // namespace taskexec::bolt
