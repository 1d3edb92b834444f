#include "store/postgres/pg_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

namespace taskexec::pg {

namespace {

// How often an idle listening connection is checked with a query: a server
// host that vanished without closing the connection is noticed within this.
constexpr int kLivenessCheckMs = 30'000;
constexpr int64_t kFirstBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 5'000;

}  // namespace

class ChangeListener::Subscription final : public ChangeSubscription {
 public:
  Subscription(ChangeListener* listener, int64_t id) : listener_(listener), id_(id) {}
  ~Subscription() override { listener_->Unsubscribe(id_); }

 private:
  ChangeListener* listener_;
  int64_t id_;
};

ChangeListener::ChangeListener(ConnectParams params, std::function<bool(int)> is_own)
    : params_(std::move(params)),
      is_own_(std::move(is_own)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ChangeListener::~ChangeListener() {
  stopping_ = true;
  const uint64_t one = 1;
  if (wake_fd_ >= 0 && write(wake_fd_, &one, sizeof one) < 0) {
    // Only a full counter fails, and then a wake is pending anyway.
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status ChangeListener::Start() {
  MutexLock lock(&mu_);
  if (started_) return Status::OK();
  if (wake_fd_ < 0) return Status::IOError("eventfd failed: cannot listen for changes");
  started_ = true;
  std::unique_ptr<Connection> conn;
  Status s = Connect(&conn);
  if (s.ok()) {
    first_ = std::move(conn);
    connected_ = true;
  }
  // Listening goes on without a first connection: the thread retries.
  thread_ = std::thread([this] { Run(); });
  return s;
}

Status ChangeListener::Counter(int64_t* out) const {
  if (!connected_) return Status::Unavailable("not listening for changes (reconnecting)");
  *out = counter_.load();
  return Status::OK();
}

std::unique_ptr<ChangeSubscription> ChangeListener::Subscribe(std::function<void()> on_change) {
  MutexLock lock(&mu_);
  const int64_t id = next_id_++;
  subscribers_[id] = std::move(on_change);
  return std::make_unique<Subscription>(this, id);
}

void ChangeListener::Unsubscribe(int64_t id) {
  MutexLock calling(&call_mu_);  // a call under way ends first
  MutexLock lock(&mu_);
  subscribers_.erase(id);
}

void ChangeListener::Notify() {
  MutexLock calling(&call_mu_);
  std::vector<std::function<void()>> calls;
  {
    MutexLock lock(&mu_);
    for (const auto& [id, fn] : subscribers_) calls.push_back(fn);
  }
  for (const auto& fn : calls) fn();
}

Status ChangeListener::Connect(std::unique_ptr<Connection>* out) {
  std::unique_ptr<Connection> conn;
  Status s = Connection::Open(params_, &conn);
  if (!s.ok()) return s;
  // The channel of the schema the tables are in: the first of the
  // search_path, as for the store's own connections.
  std::string schema;
  s = conn->ExecValue("SELECT current_schema()", &schema);
  if (!s.ok()) return s;
  const std::string channel = "taskexec_" + schema;
  char* quoted = PQescapeIdentifier(conn->raw(), channel.c_str(), channel.size());
  if (quoted == nullptr) return Status::Internal("cannot quote the channel name");
  s = conn->Exec(std::string("LISTEN ") + quoted);
  PQfreemem(quoted);
  if (!s.ok()) return s;
  *out = std::move(conn);
  return Status::OK();
}

bool ChangeListener::Listen(Connection& conn) {
  const int sock = PQsocket(conn.raw());
  if (sock < 0) return true;
  while (!stopping_) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, kLivenessCheckMs);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (stopping_ || (fds[1].revents & POLLIN) != 0) return false;
    if (ready == 0) {
      // Quiet for a while: make sure the server is still there.
      if (!conn.Exec("SELECT 1").ok()) return true;
    } else if (PQconsumeInput(conn.raw()) == 0) {
      return true;
    }
    bool heard = false, others = false;
    while (PGnotify* n = PQnotifies(conn.raw())) {
      heard = true;
      const int pid = std::atoi(n->extra != nullptr ? n->extra : "");
      if (pid <= 0 || !is_own_ || !is_own_(pid)) others = true;
      PQfreemem(n);
    }
    if (heard) ++counter_;
    if (others) Notify();
  }
  return false;
}

void ChangeListener::Run() {
  std::unique_ptr<Connection> conn;
  {
    MutexLock lock(&mu_);
    conn = std::move(first_);
  }
  int64_t backoff_ms = kFirstBackoffMs;
  while (!stopping_) {
    if (conn == nullptr) {
      if (!Connect(&conn).ok()) {
        connected_ = false;
        pollfd wake = {wake_fd_, POLLIN, 0};
        (void)poll(&wake, 1, static_cast<int>(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
        continue;
      }
      backoff_ms = kFirstBackoffMs;
      connected_ = true;
      // What was committed while nobody listened is unknown: say so.
      ++counter_;
      Notify();
    }
    if (Listen(*conn)) {
      conn.reset();
      connected_ = false;
    }
  }
}

}  // namespace taskexec::pg
