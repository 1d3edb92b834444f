#include "store/postgres/pg_db.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "store/postgres/pg_text.h"

namespace taskexec::pg {

namespace {

std::string_view SqlState(const PGresult* res) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? std::string_view(state) : std::string_view();
}

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Notices (a NOTICE for an IF NOT EXISTS that found the object) are not
// errors; they would otherwise go to stderr.
void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

Status FromResult(const PGresult* res, PGconn* conn, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  const std::string server = Trimmed(res != nullptr ? PQresultErrorMessage(res) : "");
  msg += !server.empty() ? server : Trimmed(conn != nullptr ? PQerrorMessage(conn) : "no result");
  const std::string_view state = SqlState(res);
  if (state.empty() || state == "40001" || state == "40P01" || state.substr(0, 2) == "08" ||
      state.substr(0, 3) == "57P" || state == "53300") {
    // No SQLSTATE: libpq itself failed, which is the connection (lost
    // before or while the server answered).
    return Status::Unavailable(msg);
  }
  if (state.substr(0, 2) == "23") return Status::Conflict(msg);
  if (state.substr(0, 2) == "22") return Status::InvalidArgument(msg);
  if (state.substr(0, 2) == "53") return Status::IOError(msg);
  if (state == "XX001" || state == "XX002") return Status::Corruption(msg);
  return Status::Internal(msg);
}

std::string TranslatePlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int largest = 0;
  char quote = 0;  // the open quote (' or "), or 0
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same effect
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = largest + 1;
    largest = std::max(largest, n);
    out += '$';
    out += std::to_string(n);
    i = j - 1;
  }
  if (count != nullptr) *count = largest;
  return out;
}

// ---------------------------------------------------------------- Connection

Status Connection::Open(const ConnectParams& params, std::unique_ptr<Connection>* out) {
  // Later keywords override earlier ones: the expanded dbname (the
  // conninfo) comes after these defaults, so its own options win over
  // them, and the configured password comes last.
  const std::string timeout = std::to_string(std::max(1, params.connect_timeout_s));
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", "password",
                        nullptr};
  const char* values[] = {timeout.c_str(), "taskexec", params.conninfo.c_str(),
                          params.password.c_str(), nullptr};
  if (params.password.empty()) keys[3] = values[3] = nullptr;
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Unavailable("postgres: out of memory opening a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status s = Status::Unavailable("cannot connect to postgres: " + Trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return s;
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  if (PQsetClientEncoding(conn, "UTF8") != 0) {
    Status s = Status::Internal("postgres: cannot use client encoding UTF8: " +
                                Trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return s;
  }
  out->reset(new Connection(conn));
  return Status::OK();
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Exec(std::string_view sql) {
  std::string ignored;
  return ExecValue(sql, &ignored);
}

Status Connection::ExecValue(std::string_view sql, std::string* value) {
  value->clear();
  if (BeginDeferred()) {
    if (Status s = SendDeferredBegin(); !s.ok()) return s;
  }
  PGresult* res = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  Status s = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
                 ? Status::OK()
                 : FromResult(res, conn_, std::string(sql.substr(0, 60)));
  if (s.ok() && PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
    *value = PQgetvalue(res, 0, 0);
  PQclear(res);
  return s;
}

namespace {

// Read at the start of every write transaction: a COMMIT whose answer is
// lost is looked up by it (RunTxn).
constexpr const char* kXactIdSql = "SELECT pg_current_xact_id()::text";

}  // namespace

void Connection::DeferBegin(std::string begin, std::string* xid) {
  deferred_begin_ = std::move(begin);
  deferred_xid_ = xid;
}

void Connection::ForgetDeferredBegin() {
  deferred_begin_.clear();
  deferred_xid_ = nullptr;
}

Status Connection::SendDeferredBegin() {
  std::string sql = std::move(deferred_begin_);
  std::string* xid = deferred_xid_;
  ForgetDeferredBegin();
  if (xid == nullptr) return Exec(sql);
  return ExecValue(sql + "; " + kXactIdSql, xid);
}

namespace {

// The next result of a pipeline (nullptr when the connection broke).
PGresult* NextResult(PGconn* conn) {
  PGresult* res = PQgetResult(conn);
  // Each query's results end with a nullptr; the sync's does not.
  if (res != nullptr && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
    PGresult* end = PQgetResult(conn);
    PQclear(end);
  }
  return res;
}

bool Succeeded(const PGresult* res) {
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

Status Connection::ExecPrepared(const std::string& name, const std::vector<const char*>& values,
                                std::string_view what, PGresult** res) {
  const int n = static_cast<int>(values.size());
  if (!BeginDeferred()) {
    *res = PQexecPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0);
    return Succeeded(*res) ? Status::OK() : FromResult(*res, conn_, what);
  }
  // BEGIN, the id, the statement and a sync in one round trip. An explicit
  // BEGIN is not ended by the sync: the transaction stays open after it.
  const std::string begin = std::move(deferred_begin_);
  std::string* xid = deferred_xid_;
  ForgetDeferredBegin();
  if (PQenterPipelineMode(conn_) != 1) return FromResult(nullptr, conn_, "pipeline");
  bool sent =
      PQsendQueryParams(conn_, begin.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  if (sent && xid != nullptr) {
    sent = PQsendQueryParams(conn_, kXactIdSql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  sent = sent &&
         PQsendQueryPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0) == 1 &&
         PQpipelineSync(conn_) == 1;
  Status s;
  if (!sent) s = FromResult(nullptr, conn_, what);
  const int queries = xid != nullptr ? 3 : 2;
  for (int i = 0; s.ok() && i < queries; ++i) {
    PGresult* r = NextResult(conn_);
    if (!Succeeded(r)) {
      // A query after a failed one reports PIPELINE_ABORTED; the first
      // failure is the one to tell.
      s = FromResult(r, conn_, i + 1 == queries ? what : std::string_view(begin));
      PQclear(r);
      break;
    }
    if (i + 1 == queries) {
      *res = r;
    } else {
      if (i == 1 && xid != nullptr && PQntuples(r) > 0) *xid = PQgetvalue(r, 0, 0);
      PQclear(r);
    }
  }
  // Whatever failed, read up to the sync, so the connection leaves pipeline
  // mode in step (a broken one is dropped by the pool): at most a result and
  // its end for each query, then the sync.
  for (int left = 2 * queries + 1; left > 0 && PQstatus(conn_) == CONNECTION_OK; --left) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) continue;
    const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync) break;
  }
  if (PQexitPipelineMode(conn_) != 1 && s.ok()) s = FromResult(nullptr, conn_, "pipeline end");
  return s;
}

bool Connection::Broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool Connection::InTransaction() const {
  const PGTransactionStatusType t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int Connection::ServerVersion() const { return PQserverVersion(conn_); }

Status Connection::Prepare(const std::string& sql, std::string* name) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) {
    *name = it->second;
    return Status::OK();
  }
  std::string fresh = "te_" + std::to_string(prepared_.size() + 1);
  PGresult* res = PQprepare(conn_, fresh.c_str(), sql.c_str(), 0, nullptr);
  Status s = (res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK)
                 ? Status::OK()
                 : FromResult(res, conn_, "prepare " + sql.substr(0, 80));
  PQclear(res);
  if (!s.ok()) return s;
  prepared_.emplace(sql, fresh);
  *name = std::move(fresh);
  return Status::OK();
}

// ----------------------------------------------------------------- statements

namespace {

// One statement on a Connection. Parameters are sent as text (the server
// infers their types from the statement); the statement runs at the first
// Step()/Run(), and its rows are then read one by one.
class PgStatement final : public sql::StatementImpl {
 public:
  PgStatement(Connection& conn, std::string_view sql) : conn_(conn) {
    sql_ = TranslatePlaceholders(sql, &param_count_);
    params_.resize(static_cast<size_t>(param_count_));
  }
  ~PgStatement() override { PQclear(res_); }

  void BindInt(int i, int64_t v) override { Set(i, std::to_string(v)); }
  void BindReal(int i, double v) override {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    Set(i, ec == std::errc() ? std::string(buf, end) : std::string("0"));
  }
  void BindText(int i, std::string_view v) override { Set(i, EncodeText(v)); }
  void BindNull(int i) override { Set(i, std::nullopt); }

  Status Step(bool* row) override {
    *row = false;
    if (res_ == nullptr) {
      if (Status s = Execute(); !s.ok()) {
        status_ = s;
        return s;
      }
    } else if (!status_.ok()) {
      return status_;
    }
    ++row_;
    *row = row_ < PQntuples(res_);
    return Status::OK();
  }

  Status Run() override {
    if (res_ != nullptr) return status_;
    Status s = Execute();
    if (!s.ok()) status_ = s;
    return s;
  }

  int64_t Changes() const override {
    if (res_ == nullptr) return 0;
    const char* n = PQcmdTuples(res_);
    return n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
  }

  bool IsNull(int col) const override { return PQgetisnull(res_, row_, col) != 0; }

  int64_t Int(int col) const override {
    if (IsNull(col)) return 0;
    const char* v = PQgetvalue(res_, row_, col);
    // Booleans (t/f) read as 1/0, like SQLite's integers.
    if (*v == 't') return 1;
    if (*v == 'f') return 0;
    return std::strtoll(v, nullptr, 10);
  }

  double Real(int col) const override {
    if (IsNull(col)) return 0.0;
    return std::strtod(PQgetvalue(res_, row_, col), nullptr);
  }

  std::string Text(int col) const override {
    if (IsNull(col)) return {};
    return DecodeText(std::string_view(PQgetvalue(res_, row_, col),
                                       static_cast<size_t>(PQgetlength(res_, row_, col))));
  }

 private:
  // Records the first error, which the next Step()/Run() returns.
  void Set(int i, std::optional<std::string> v) {
    if (i < 1 || i > param_count_) {
      if (status_.ok())
        status_ = Status::Internal("parameter " + std::to_string(i) + " out of range in " + sql_);
      return;
    }
    params_[static_cast<size_t>(i - 1)] = std::move(v);
  }

  Status Execute() {
    if (!status_.ok()) return status_;
    std::string name;
    Status s = conn_.Prepare(sql_, &name);
    if (!s.ok()) return s;
    std::vector<const char*> values(params_.size());
    for (size_t i = 0; i < params_.size(); ++i)
      values[i] = params_[i] ? params_[i]->c_str() : nullptr;
    return conn_.ExecPrepared(name, values, std::string_view(sql_).substr(0, 80), &res_);
  }

  Connection& conn_;
  std::string sql_;
  int param_count_ = 0;
  std::vector<std::optional<std::string>> params_;
  PGresult* res_ = nullptr;
  int row_ = -1;
  Status status_;
};

}  // namespace

std::unique_ptr<sql::StatementImpl> Connection::NewStatement(std::string_view sql) {
  return std::make_unique<PgStatement>(*this, sql);
}

// ------------------------------------------------------------ ConnectionPool

ConnectionPool::ConnectionPool(ConnectParams params, size_t max_size)
    : params_(std::move(params)), max_size_(std::max<size_t>(1, max_size)) {}

ConnectionPool::~ConnectionPool() = default;

Status ConnectionPool::Acquire(std::unique_ptr<Connection>* out) {
  {
    MutexLock lock(&mu_);
    cv_.Wait(&mu_, [&] {
      mu_.AssertHeld();
      return !idle_.empty() || open_ < max_size_;
    });
    if (!idle_.empty()) {
      *out = std::move(idle_.back());
      idle_.pop_back();
      return Status::OK();
    }
    ++open_;
  }
  // Connecting happens outside the lock: it may wait for the server.
  Status s = Connection::Open(params_, out);
  MutexLock lock(&mu_);
  if (!s.ok()) {
    --open_;
    cv_.Signal();
  } else {
    backend_pids_.insert(PQbackendPID((*out)->raw()));
  }
  return s;
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction (fn returned early) is rolled
  // back; one that broke is closed, and the next Acquire opens a new one.
  if (!conn->Broken() && conn->InTransaction()) (void)conn->Exec("ROLLBACK");
  MutexLock lock(&mu_);
  if (conn->Broken()) {
    if (auto it = backend_pids_.find(PQbackendPID(conn->raw())); it != backend_pids_.end())
      backend_pids_.erase(it);
    conn.reset();
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.Signal();
}

bool ConnectionPool::OwnsBackend(int backend_pid) const {
  MutexLock lock(&mu_);
  return backend_pids_.count(backend_pid) > 0;
}

Status ConnectionPool::With(const std::function<Status(Connection&)>& fn) {
  std::unique_ptr<Connection> conn;
  Status s = Acquire(&conn);
  if (!s.ok()) return s;
  s = fn(*conn);
  Release(std::move(conn));
  return s;
}

// -------------------------------------------------------------- transactions

namespace {

void Backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  std::uniform_int_distribution<int> ms(1, std::min(2 + 8 * attempt, 200));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
}

// What became of transaction `xid` whose COMMIT got no answer: "committed",
// "aborted", "in progress", or NotFound when the server no longer knows.
Status XactStatus(ConnectionPool& pool, const std::string& xid, std::string* out) {
  return pool.With([&](Connection& c) -> Status {
    sql::Stmt q(c, "SELECT pg_xact_status(?::xid8)");
    q.BindAll(xid);
    bool row = false;
    Status s = q.Step(&row);
    if (!s.ok()) return s;
    if (!row || q.IsNull(0)) return Status::NotFound("transaction " + xid + " is unknown");
    *out = q.Text(0);
    return Status::OK();
  });
}

enum class TxnKind { kWrite, kRead };

Status RunTxn(ConnectionPool& pool, TxnKind kind, int64_t retry_budget_ms,
              const std::function<Status(Connection&)>& fn) {
  const int64_t deadline = MonotonicMs() + retry_budget_ms;
  Status last;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    std::string xid;  // the write transaction's id
    bool commit_sent = false;
    last = pool.With([&](Connection& c) -> Status {
      // BEGIN (and, for a write, the transaction's id) goes with the first
      // statement, in its round trip.
      if (kind == TxnKind::kWrite) {
        c.DeferBegin("BEGIN ISOLATION LEVEL SERIALIZABLE", &xid);
      } else {
        c.DeferBegin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", nullptr);
      }
      Status s = fn(c);
      const bool opened = !c.BeginDeferred();
      c.ForgetDeferredBegin();
      if (!s.ok()) return s;  // Release rolls back
      if (!opened) return s;  // no statement ran: nothing to commit
      commit_sent = true;
      return c.Exec("COMMIT");
    });
    if (last.IsUnavailable() && commit_sent && !xid.empty()) {
      // Asked until the server answers (it may be restarting) or the budget
      // runs out: an answer of "unknown" would leave the caller guessing.
      std::string outcome;
      Status st;
      for (int ask = 1;; ++ask) {
        st = XactStatus(pool, xid, &outcome);
        const bool settled = st.ok() && outcome != "in progress";
        const bool can_wait = st.IsUnavailable() || (st.ok() && !settled);
        if (settled || !can_wait || MonotonicMs() > deadline) break;
        Backoff(ask);
      }
      if (st.ok() && outcome == "committed") return Status::OK();
      if (!st.ok() || outcome == "in progress") {
        return Status::Unavailable("the commit of transaction " + xid +
                                   " got no answer and its outcome is unknown: " + last.message());
      }
      // aborted: nothing was written; run it again.
    }
    if (!last.IsUnavailable()) return last;
    if (attempt >= 3 && MonotonicMs() > deadline) return last;
  }
}

}  // namespace

Status WriteTxn(ConnectionPool& pool, int64_t retry_budget_ms,
                const std::function<Status(Connection&)>& fn) {
  return RunTxn(pool, TxnKind::kWrite, retry_budget_ms, fn);
}

Status ReadTxn(ConnectionPool& pool, int64_t retry_budget_ms,
               const std::function<Status(Connection&)>& fn) {
  return RunTxn(pool, TxnKind::kRead, retry_budget_ms, fn);
}

}  // namespace taskexec::pg
