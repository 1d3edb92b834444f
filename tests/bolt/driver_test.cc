// Driver against stub servers: managed transactions with transient retry,
// bookmarks, the pool, and neo4j:// routing (table, TTL refresh, forgetting
// failed servers and former leaders).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bolt/driver.h"
#include "bolt/errors.h"
#include "bolt/uri.h"
#include "fakes/bolt_stub.h"

namespace taskexec::bolt {
namespace {

using testing::BoltScript;
using testing::BoltStub;

struct Fixture {
  std::vector<int64_t> sleeps;
  std::atomic<int64_t> now{1000};
  DriverConfig Config(const std::string& uri) {
    DriverConfig c;
    c.uri = uri;
    c.auth = AuthToken{"basic", "neo4j", "pw"};
    c.io_timeout_ms = 20000;
    c.sleep_ms = [this](int64_t ms) { sleeps.push_back(ms); };
    c.now_ms = [this] { return now.load(); };
    return c;
  }
};

Map Fields(List names) {
  Map m;
  m.Set("fields", std::move(names));
  return m;
}

Map Bookmark(const std::string& b) {
  Map m;
  m.Set("bookmark", b);
  return m;
}

BoltScript Opened() { return BoltScript().Handshake({5, 4}).HelloLogon({5, 4}); }

// BEGIN, RUN, PULL with one record `value`, COMMIT with `bookmark`.
BoltScript& OneTx(BoltScript& s, int64_t value, const std::string& bookmark) {
  return s.Expect(msg::kBegin)
      .Success()
      .Expect(msg::kRun)
      .Success(Fields({"v"}))
      .Expect(msg::kPull)
      .Record({value})
      .Success()
      .Expect(msg::kCommit)
      .Success(Bookmark(bookmark));
}

Status ReadOne(Transaction& tx, int64_t* v) {
  QueryResult r;
  if (Status s = tx.Run("RETURN 1 AS v", Map{}, &r); !s.ok()) return s;
  *v = r.records.at(0).at(0).as_int();
  return Status::OK();
}

TEST(Uri, SchemesAddressesAndQuery) {
  BoltUri u;
  ASSERT_TRUE(ParseUri("neo4j+s://db.example.com:7688?region=eu&policy=fast", &u).ok());
  EXPECT_TRUE(u.routing);
  EXPECT_EQ(u.tls, TlsMode::kVerify);
  EXPECT_EQ(u.address.ToString(), "db.example.com:7688");
  ASSERT_EQ(u.query.size(), 2u);
  ASSERT_TRUE(ParseUri("bolt+ssc://[::1]", &u).ok());
  EXPECT_EQ(u.tls, TlsMode::kTrustAll);
  EXPECT_EQ(u.address.port, 7687);
  EXPECT_EQ(u.address.ToString(), "[::1]:7687");
  ASSERT_TRUE(ParseUri("bolt://localhost", &u).ok());
  EXPECT_FALSE(u.routing);
  EXPECT_FALSE(ParseUri("http://x", &u).ok());
  EXPECT_FALSE(ParseUri("localhost:7687", &u).ok());
  EXPECT_FALSE(ParseUri("bolt://x:99999", &u).ok());
  EXPECT_FALSE(ParseUri("bolt://x/db", &u).ok());
}

TEST(Driver, ManagedTransactionRetriesTransientErrorThenCommits) {
  BoltStub stub;
  BoltScript s = Opened();
  s.Expect(msg::kBegin)
      .Success()
      .Expect(msg::kRun)
      .Failure("Neo.TransientError.Transaction.DeadlockDetected", "deadlock")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  OneTx(s, 7, "bm:1");
  stub.AddScript(std::move(s));
  Fixture f;
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(f.Config("bolt://" + stub.address()), &d).ok());
  int calls = 0;
  int64_t v = 0;
  Status st = d->ExecuteWrite([&](Transaction& tx) {
    ++calls;
    return ReadOne(tx, &v);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(v, 7);
  ASSERT_EQ(f.sleeps.size(), 1u);
  EXPECT_GE(f.sleeps[0], 800);
  EXPECT_LE(f.sleeps[0], 1200);
  EXPECT_EQ(d->bookmarks(), (std::vector<std::string>{"bm:1"}));
  d->Close();
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
  EXPECT_EQ(stub.connections(), 1);  // the pooled connection was reused
}

TEST(Driver, ClientErrorsAreNotRetried) {
  BoltStub stub;
  BoltScript s = Opened();
  s.Expect(msg::kBegin)
      .Success()
      .Expect(msg::kRun)
      .Failure("Neo.ClientError.Schema.ConstraintValidationFailed", "already exists")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  stub.AddScript(std::move(s));
  Fixture f;
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(f.Config("bolt://" + stub.address()), &d).ok());
  int calls = 0;
  Status st = d->ExecuteWrite([&](Transaction& tx) {
    ++calls;
    int64_t v;
    return ReadOne(tx, &v);
  });
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(f.sleeps.empty());
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
}

TEST(Driver, RetriesGiveUpAfterTheRetryTime) {
  BoltStub stub;
  BoltScript s = Opened();
  for (int i = 0; i < 3; ++i) {
    s.Expect(msg::kBegin).Failure("Neo.TransientError.General.DatabaseUnavailable", "down");
    s.Expect(msg::kReset).Success();
  }
  stub.AddScript(std::move(s));
  Fixture f;
  DriverConfig c = f.Config("bolt://" + stub.address());
  c.initial_retry_delay_ms = 1000;
  c.retry_jitter = 0;
  c.max_retry_time_ms = 2500;  // sleeps 1000 + 2000 reach it after 2 retries
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(c, &d).ok());
  Status st = d->ExecuteWrite([](Transaction&) { return Status::OK(); });
  EXPECT_TRUE(st.IsUnavailable());
  EXPECT_EQ(NeoCode(st), "Neo.TransientError.General.DatabaseUnavailable");
  EXPECT_EQ(f.sleeps, (std::vector<int64_t>{1000, 2000}));
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
}

TEST(Driver, BookmarksFlowIntoTheNextTransaction) {
  BoltStub stub;
  BoltScript s = Opened();
  OneTx(s, 1, "bm:A");
  OneTx(s, 2, "bm:B");
  stub.AddScript(std::move(s));
  Fixture f;
  std::unique_ptr<Driver> d;
  DriverConfig c = f.Config("bolt://" + stub.address());
  c.database = "tasks";
  ASSERT_TRUE(Driver::Create(c, &d).ok());
  int64_t v;
  ASSERT_TRUE(d->ExecuteWrite([&](Transaction& tx) { return ReadOne(tx, &v); }).ok());
  ASSERT_TRUE(d->ExecuteRead([&](Transaction& tx) { return ReadOne(tx, &v); }).ok());
  EXPECT_EQ(v, 2);
  ASSERT_TRUE(stub.WaitDone());
  auto begins = stub.received(msg::kBegin);
  ASSERT_EQ(begins.size(), 2u);
  const Map& first = begins[0].fields[0].as_map();
  const Map& second = begins[1].fields[0].as_map();
  EXPECT_EQ(first.Find("bookmarks"), nullptr);
  EXPECT_EQ(first.Find("db")->as_string(), "tasks");
  EXPECT_EQ(first.Find("mode"), nullptr);
  EXPECT_EQ(second.Find("bookmarks")->as_list(), (List{"bm:A"}));
  EXPECT_EQ(second.Find("mode")->as_string(), "r");
}

TEST(Driver, AutoCommitRunAndExplicitRollback) {
  BoltStub stub;
  BoltScript s = Opened();
  s.Expect(msg::kRun)
      .Success(Fields({"n"}))
      .Expect(msg::kPull)
      .Record({5})
      .Success(Bookmark("bm:auto"))
      .Expect(msg::kBegin)
      .Success()
      .Expect(msg::kRollback)
      .Success();
  stub.AddScript(std::move(s));
  Fixture f;
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(f.Config("bolt://" + stub.address()), &d).ok());
  QueryResult r;
  ASSERT_TRUE(d->Run("RETURN 5 AS n", Map{}, AccessMode::kWrite, &r).ok());
  EXPECT_EQ(r.records.at(0).at(0), Value(5));
  EXPECT_EQ(d->bookmarks(), (std::vector<std::string>{"bm:auto"}));
  {
    std::unique_ptr<Transaction> tx;
    ASSERT_TRUE(d->BeginTransaction(AccessMode::kWrite, &tx).ok());
    // Destroyed while open: rolled back.
  }
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
  EXPECT_EQ(stub.received(msg::kRun)[0].fields[2].as_map().Find("bookmarks"), nullptr);
}

Map RouteTable(int64_t ttl, const std::vector<std::string>& writers,
               const std::vector<std::string>& readers, const std::vector<std::string>& routers) {
  auto entry = [](const std::string& role, const std::vector<std::string>& addrs) {
    Map m;
    m.Set("addresses", List(addrs.begin(), addrs.end()));
    m.Set("role", role);
    return Value(std::move(m));
  };
  Map rt;
  rt.Set("ttl", ttl);
  rt.Set("db", "neo4j");
  rt.Set("servers", List{entry("WRITE", writers), entry("READ", readers), entry("ROUTE", routers)});
  Map meta;
  meta.Set("rt", std::move(rt));
  return meta;
}

TEST(Routing, RoutesWritesAndReadsAndRefreshesWhenTheTtlExpires) {
  BoltStub router, writer, reader;
  const std::string r = router.address(), w = writer.address(), rd = reader.address();
  BoltScript rs = Opened();
  rs.Expect(msg::kRoute).Success(RouteTable(300, {w}, {rd}, {r}));
  rs.Expect(msg::kRoute).Success(RouteTable(300, {w}, {rd}, {r}));
  router.AddScript(std::move(rs));
  BoltScript ws = Opened();
  OneTx(ws, 1, "bm:w1");
  OneTx(ws, 3, "bm:w2");
  writer.AddScript(std::move(ws));
  BoltScript reads = Opened();
  OneTx(reads, 2, "bm:r1");
  reader.AddScript(std::move(reads));

  Fixture f;
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(f.Config("neo4j://" + r + "?region=eu"), &d).ok());
  int64_t v = 0;
  ASSERT_TRUE(d->ExecuteWrite([&](Transaction& tx) { return ReadOne(tx, &v); }).ok());
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(d->ExecuteRead([&](Transaction& tx) { return ReadOne(tx, &v); }).ok());
  EXPECT_EQ(v, 2);
  EXPECT_EQ(router.received(msg::kRoute).size(), 1u);  // table still fresh
  f.now += 301 * 1000;                                 // ttl expired
  ASSERT_TRUE(d->ExecuteWrite([&](Transaction& tx) { return ReadOne(tx, &v); }).ok());
  EXPECT_EQ(v, 3);
  ASSERT_TRUE(router.WaitDone());
  ASSERT_TRUE(writer.WaitDone());
  ASSERT_TRUE(reader.WaitDone());
  for (auto* s : {&router, &writer, &reader}) {
    EXPECT_TRUE(s->errors().empty()) << s->errors()[0];
  }
  auto routes = router.received(msg::kRoute);
  ASSERT_EQ(routes.size(), 2u);
  const Map& ctx = routes[0].fields[0].as_map();
  EXPECT_EQ(ctx.Find("address")->as_string(), r);
  EXPECT_EQ(ctx.Find("region")->as_string(), "eu");
  // The second ROUTE carries the bookmark of the read before it.
  EXPECT_EQ(routes[1].fields[1].as_list(), (List{"bm:r1"}));
  // HELLO carried the routing context.
  EXPECT_TRUE(router.received(msg::kHello)[0].fields[0].as_map().Find("routing")->is_map());
}

TEST(Routing, ForgetsAFailedWriterAndANonLeader) {
  BoltStub router, dead, follower, leader;
  const std::string r = router.address();
  BoltScript rs = Opened();
  rs.Expect(msg::kRoute).Success(RouteTable(300, {dead.address()}, {r}, {r}));
  rs.Expect(msg::kRoute).Success(RouteTable(300, {follower.address()}, {r}, {r}));
  rs.Expect(msg::kRoute).Success(RouteTable(300, {leader.address()}, {r}, {r}));
  router.AddScript(std::move(rs));
  // The first writer drops the connection during the transaction.
  BoltScript ds = Opened();
  ds.Expect(msg::kBegin).Success().Expect(msg::kRun).Close();
  dead.AddScript(std::move(ds));
  // The second is no longer the leader.
  BoltScript fs = Opened();
  fs.Expect(msg::kBegin)
      .Success()
      .Expect(msg::kRun)
      .Failure("Neo.ClientError.Cluster.NotALeader", "not the leader")
      .Expect(msg::kPull)
      .Ignored()
      .Expect(msg::kReset)
      .Success();
  follower.AddScript(std::move(fs));
  BoltScript ls = Opened();
  OneTx(ls, 9, "bm:leader");
  leader.AddScript(std::move(ls));

  Fixture f;
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(f.Config("neo4j://" + r), &d).ok());
  int64_t v = 0;
  Status st = d->ExecuteWrite([&](Transaction& tx) { return ReadOne(tx, &v); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(v, 9);
  EXPECT_EQ(f.sleeps.size(), 2u);
  RoutingTable t = d->routing_table();
  ASSERT_EQ(t.writers.size(), 1u);
  EXPECT_EQ(t.writers[0].ToString(), leader.address());
  for (auto* s : {&router, &dead, &follower, &leader}) {
    ASSERT_TRUE(s->WaitDone());
    EXPECT_TRUE(s->errors().empty()) << s->errors()[0];
  }
}

TEST(Routing, ThreadsWaitingOnAnExpiredTableShareOneRefresh) {
  // Eight threads find the table stale at once; they queue for the refresh,
  // and those after the first find it fresh again: one ROUTE, not eight.
  BoltStub router, writer;
  BoltScript rs = Opened();
  rs.Expect(msg::kRoute)
      .Success(RouteTable(300, {writer.address()}, {router.address()}, {router.address()}));
  router.AddScript(std::move(rs));
  writer.AddScript(Opened().TolerateReset());
  Fixture f;
  DriverConfig c = f.Config("neo4j://" + router.address());
  c.max_pool_size = 1;  // one connection per server: a second ROUTE would reach the script
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(c, &d).ok());
  std::atomic<bool> go{false};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      ServerInfo info;
      if (d->VerifyConnectivity(&info).ok()) ++ok;
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(router.received(msg::kRoute).size(), 1u);
  d->Close();
  for (auto* s : {&router, &writer}) {
    ASSERT_TRUE(s->WaitDone());
    EXPECT_TRUE(s->errors().empty()) << s->errors()[0];
  }
}

TEST(RoutingTable, ParsesAndRejectsMalformedAnswers) {
  RoutingTable t;
  ASSERT_TRUE(
      RoutingTable::FromRouteResponse(RouteTable(10, {"a:1"}, {"b:2", "c:3"}, {"a:1"}), 500, &t)
          .ok());
  EXPECT_EQ(t.expires_at_ms, 10500);
  EXPECT_EQ(t.readers.size(), 2u);
  EXPECT_TRUE(t.IsFresh(true, 10499));
  EXPECT_FALSE(t.IsFresh(true, 10500));
  t.ForgetWriter(Address{"a", 1});
  EXPECT_FALSE(t.IsFresh(true, 600));
  EXPECT_TRUE(t.IsFresh(false, 600));
  EXPECT_FALSE(RoutingTable::FromRouteResponse(Map{}, 0, &t).ok());
  EXPECT_FALSE(RoutingTable::FromRouteResponse(RouteTable(10, {"a:1"}, {}, {}), 0, &t).ok());
  EXPECT_FALSE(RoutingTable::FromRouteResponse(RouteTable(10, {"a:x"}, {}, {"a:1"}), 0, &t).ok());
}

TEST(Pool, ReusesConnectionsAndDropsBrokenOnes) {
  BoltStub stub;
  stub.AddScript(Opened().Expect(msg::kReset).Success().Close());
  stub.AddScript(Opened());
  ConnectionConfig cc;
  cc.transport.io_timeout_ms = 20000;
  ConnectionPool pool(
      [&](const Address& a, std::unique_ptr<Connection>* out) {
        return Connection::Open(a.host, a.port, cc, out);
      },
      1, 20000);
  Address a;
  ASSERT_TRUE(ParseAddress(stub.address(), &a).ok());
  {
    PooledConnection c;
    ASSERT_TRUE(pool.Acquire(a, &c).ok());
    EXPECT_EQ(pool.open_count(stub.address()), 1);
    ASSERT_TRUE(c->Reset().ok());
  }
  EXPECT_EQ(pool.idle_count(stub.address()), 1);
  {
    PooledConnection c;
    ASSERT_TRUE(pool.Acquire(a, &c).ok());    // the same connection
    EXPECT_TRUE(c->Reset().IsUnavailable());  // the server closed it
  }
  EXPECT_EQ(pool.open_count(stub.address()), 0);
  {
    PooledConnection c;
    ASSERT_TRUE(pool.Acquire(a, &c).ok());  // a new one
  }
  EXPECT_EQ(stub.connections(), 2);
  pool.Close();
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
}

TEST(Pool, ChecksIdleConnectionsWithResetBeforeReuse) {
  BoltStub stub;
  // The first connection died while idle: its RESET gets no answer.
  stub.AddScript(Opened().Expect(msg::kReset).Close());
  stub.AddScript(Opened());
  ConnectionConfig cc;
  cc.transport.io_timeout_ms = 20000;
  ConnectionPool pool(
      [&](const Address& a, std::unique_ptr<Connection>* out) {
        return Connection::Open(a.host, a.port, cc, out);
      },
      2, 20000, /*liveness_check_ms=*/-1);  // check on every reuse
  Address a;
  ASSERT_TRUE(ParseAddress(stub.address(), &a).ok());
  {
    PooledConnection c;
    ASSERT_TRUE(pool.Acquire(a, &c).ok());
  }
  PooledConnection c;
  ASSERT_TRUE(pool.Acquire(a, &c).ok());  // the check failed: a new connection
  EXPECT_FALSE(c->broken());
  EXPECT_EQ(stub.connections(), 2);
  EXPECT_EQ(pool.open_count(stub.address()), 1);
  c.Release();
  pool.Close();
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
}

TEST(Pool, ThreadsShareOneConnectionWhenThePoolHoldsOne) {
  // Four threads, twelve queries, one connection: borrowers wait for it.
  BoltStub stub;
  BoltScript s = Opened();
  for (int i = 0; i < 12; ++i) {
    s.Expect(msg::kRun).Success(Fields({"n"})).Expect(msg::kPull).Record({i}).Success();
  }
  stub.AddScript(std::move(s));
  Fixture f;
  DriverConfig c = f.Config("bolt://" + stub.address());
  c.max_pool_size = 1;
  std::unique_ptr<Driver> d;
  ASSERT_TRUE(Driver::Create(c, &d).ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        QueryResult r;
        if (d->Run("RETURN 1 AS n", Map{}, AccessMode::kRead, &r).ok() && r.records.size() == 1) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(stub.connections(), 1);
  d->Close();
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
}

}  // namespace
}  // namespace taskexec::bolt
