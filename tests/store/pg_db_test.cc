// The libpq layer of the PostgreSQL store (store/postgres/pg_db.h,
// pg_text.h, pg_schema.h), against a throwaway server (pg_server.h).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/pg_server.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_text.h"

namespace taskexec {
namespace {

using pg::Connection;
using pg::ConnectionPool;
using sql::Stmt;
using store_test::PgServer;

constexpr int64_t kRetryBudgetMs = 20'000;

PgServer& Server() {
  Status why;
  PgServer* server = store_test::SharedPgServer(&why);
  if (server == nullptr) throw std::runtime_error("no PostgreSQL server: " + why.ToString());
  return *server;
}

pg::ConnectParams Params(const std::string& conninfo, int timeout_s = 10) {
  pg::ConnectParams p;
  p.conninfo = conninfo;
  p.connect_timeout_s = timeout_s;
  return p;
}

std::string FreshSchema() {
  std::string info;
  Status s = Server().FreshSchema(&info);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return info;
}

std::unique_ptr<Connection> Connect(const std::string& info) {
  std::unique_ptr<Connection> c;
  Status s = Connection::Open(Params(info), &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

TEST(PgPlaceholders, AreNumberedLikeSqlite) {
  int n = 0;
  EXPECT_EQ(pg::TranslatePlaceholders("SELECT ? , ?, ?5, ?", &n), "SELECT $1 , $2, $5, $6");
  EXPECT_EQ(n, 6);
  EXPECT_EQ(pg::TranslatePlaceholders("WHERE a = ?2 OR b = ?1", &n), "WHERE a = $2 OR b = $1");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(pg::TranslatePlaceholders("SELECT '?', \"a?\", ?", &n), "SELECT '?', \"a?\", $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(pg::TranslatePlaceholders("SELECT 'it''s ?', ?::xid8", &n),
            "SELECT 'it''s ?', $1::xid8");
  EXPECT_EQ(n, 1);
}

TEST(PgText, StorableTextIsKeptAndTheRestEscapedReversibly) {
  const std::vector<std::string> kept = {"", "plain", "emoji \xf0\x9f\x98\x80",
                                         "\xe4\xb8\xad\xe6\x96\x87", "tab\tnew\nline"};
  for (const std::string& s : kept) {
    EXPECT_TRUE(pg::IsStorableText(s)) << s;
    EXPECT_EQ(pg::EncodeText(s), s);
  }
  const std::vector<std::string> escaped = {
      std::string("\xff\xfe\xc3\x28 invalid \xe2\x82", 14),
      std::string("nul\0inside", 10),
      "\xed\xa0\x80 surrogate",
      "\xc0\xaf overlong",
      "\xf4\x90\x80\x80 above U+10FFFF",
      std::string(pg::kEscapeMark) + "starts with the mark",
  };
  for (const std::string& s : escaped) {
    const std::string stored = pg::EncodeText(s);
    EXPECT_NE(stored, s);
    EXPECT_TRUE(pg::IsStorableText(stored));
    EXPECT_EQ(pg::DecodeText(stored), s);
  }
  // Another tool's value that starts with the mark but is not hex reads as
  // it is.
  const std::string odd = std::string(pg::kEscapeMark) + "zz";
  EXPECT_EQ(pg::DecodeText(odd), odd);
}

TEST(PgDb, ValuesRoundTripThroughPreparedStatements) {
  auto c = Connect(FreshSchema());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Exec("CREATE TABLE v (i BIGINT, r DOUBLE PRECISION, t TEXT, b BIGINT)").ok());
  const std::string nasty = std::string("\xff'; DROP TABLE v; --\0x", 22);
  for (int round = 0; round < 2; ++round) {  // the second run reuses the prepared statement
    Stmt ins(*c, "INSERT INTO v (i, r, t, b) VALUES (?, ?, ?, ?)");
    ins.BindAll(int64_t{-9'007'199'254'740'993} + round, 0.1 + round, nasty, true);
    Status st = ins.Run();
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(ins.Changes(), 1);
  }
  Stmt null_row(*c, "INSERT INTO v (i, r, t, b) VALUES (?, ?, ?, ?)");
  null_row.BindAll(nullptr, std::optional<double>(), std::optional<std::string>(), false);
  ASSERT_TRUE(null_row.Run().ok());

  Stmt q(*c, "SELECT i, r, t, b FROM v ORDER BY i NULLS LAST");
  bool row = false;
  ASSERT_TRUE(q.Step(&row).ok());
  ASSERT_TRUE(row);
  EXPECT_EQ(q.Int(0), -9'007'199'254'740'993);
  EXPECT_DOUBLE_EQ(q.Real(1), 0.1);
  EXPECT_EQ(q.Text(2), nasty);
  EXPECT_EQ(q.Int(3), 1);
  ASSERT_TRUE(q.Step(&row).ok());
  ASSERT_TRUE(row);
  EXPECT_DOUBLE_EQ(q.Real(1), 1.1);
  ASSERT_TRUE(q.Step(&row).ok());
  ASSERT_TRUE(row);
  EXPECT_TRUE(q.IsNull(0));
  EXPECT_TRUE(q.IsNull(1));
  EXPECT_EQ(q.Text(2), "");
  EXPECT_EQ(q.Int(3), 0);
  ASSERT_TRUE(q.Step(&row).ok());
  EXPECT_FALSE(row);
}

// A statement run again on a connection is executed, not prepared again:
// the session holds one prepared statement for it however often it runs.
TEST(PgDb, EachStatementIsPreparedOncePerConnection) {
  auto c = Connect(FreshSchema());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Exec("CREATE TABLE once (k BIGINT)").ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Stmt(*c, "INSERT INTO once (k) VALUES (?)").BindAll(i).Run().ok());
  }
  Stmt q(*c, "SELECT count(*) FROM pg_prepared_statements WHERE statement = ?");
  q.BindAll("INSERT INTO once (k) VALUES ($1)");
  bool row = false;
  ASSERT_TRUE(q.Step(&row).ok());
  ASSERT_TRUE(row);
  EXPECT_EQ(q.Int(0), 1);
}

TEST(PgDb, ErrorsMapToTheStatusThatSaysWhatToDo) {
  auto c = Connect(FreshSchema());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Exec("CREATE TABLE u (k TEXT PRIMARY KEY)").ok());
  ASSERT_TRUE(Stmt(*c, "INSERT INTO u VALUES (?)").BindAll("a").Run().ok());
  Status dup = Stmt(*c, "INSERT INTO u VALUES (?)").BindAll("a").Run();
  EXPECT_TRUE(dup.IsConflict()) << dup.ToString();
  EXPECT_NE(dup.message().find("duplicate key"), std::string::npos) << dup.ToString();
  Status div = Stmt(*c, "SELECT 1 / ?::int").BindAll(0).Run();
  EXPECT_TRUE(div.IsInvalidArgument()) << div.ToString();
  Status bad = c->Exec("SELEC 1");
  EXPECT_EQ(bad.code(), Status::Code::kInternal) << bad.ToString();
  Stmt unbound(*c, "SELECT ?");
  unbound.BindOne(2, 1);
  EXPECT_EQ(unbound.Run().code(), Status::Code::kInternal);
}

TEST(PgDb, AConnectionErrorNeverShowsThePassword) {
  std::unique_ptr<Connection> c;
  Status s = Connection::Open(
      Params("postgresql://taskexec:s3cr3t-pw@/postgres?host=/nonexistent-socket-dir", 2), &c);
  ASSERT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_EQ(s.message().find("s3cr3t-pw"), std::string::npos) << s.ToString();
  s = Connection::Open(Params("host=/nonexistent-socket-dir password=s3cr3t-pw", 2), &c);
  ASSERT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_EQ(s.message().find("s3cr3t-pw"), std::string::npos) << s.ToString();
}

// postgres.password reaches the server in place of the URL's, and neither
// shows in an error.
TEST(PgDb, TheConfiguredPasswordIsUsedAndNeverShown) {
  auto admin = Connect(Server().ConnInfo());
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin
                  ->Exec(std::string("DROP ROLE IF EXISTS ") + store_test::kPasswordRole +
                         "; CREATE ROLE " + store_test::kPasswordRole +
                         " LOGIN PASSWORD 'right-pw-1'")
                  .ok());
  const std::string base = "postgresql://" + std::string(store_test::kPasswordRole);
  const std::string query = "@/postgres?host=" + Server().dir() + "&port=5432";
  std::unique_ptr<Connection> c;
  pg::ConnectParams p = Params(base + ":wrong-pw-2" + query);
  Status s = Connection::Open(p, &c);
  ASSERT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("password authentication failed"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("wrong-pw-2"), std::string::npos) << s.ToString();
  p.password = "right-pw-1";
  s = Connection::Open(p, &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = Connection::Open(Params(base + ":right-pw-1" + query), &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// Read-modify-write from several threads and connections: SERIALIZABLE plus
// the retry loses no update.
TEST(PgDb, ConcurrentReadModifyWritesApplyOneAfterTheOther) {
  const std::string info = FreshSchema();
  ConnectionPool pool(Params(info), 4);
  ASSERT_TRUE(pool.With([](Connection& c) {
                    return c.Exec(
                        "CREATE TABLE counter (n BIGINT); INSERT INTO counter VALUES (0)");
                  })
                  .ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        Status s = pg::WriteTxn(pool, kRetryBudgetMs, [](Connection& c) -> Status {
          Stmt read(c, "SELECT n FROM counter");
          bool row = false;
          Status st = read.Step(&row);
          if (!st.ok()) return st;
          return Stmt(c, "UPDATE counter SET n = ?").BindAll(read.Int(0) + 1).Run();
        });
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t n = -1;
  ASSERT_TRUE(pg::ReadTxn(pool, kRetryBudgetMs, [&](Connection& c) -> Status {
                Stmt q(c, "SELECT n FROM counter");
                bool row = false;
                Status st = q.Step(&row);
                n = q.Int(0);
                return st;
              }).ok());
  EXPECT_EQ(n, 100);
}

TEST(PgDb, AWriteThatFailsRollsBackAndTheConnectionIsReused) {
  ConnectionPool pool(Params(FreshSchema()), 1);
  ASSERT_TRUE(pool.With([](Connection& c) { return c.Exec("CREATE TABLE w (k TEXT)"); }).ok());
  Status s = pg::WriteTxn(pool, kRetryBudgetMs, [](Connection& c) -> Status {
    Status st = Stmt(c, "INSERT INTO w VALUES (?)").BindAll("lost").Run();
    if (!st.ok()) return st;
    return Status::Conflict("refused by the rule");
  });
  EXPECT_TRUE(s.IsConflict());
  int64_t rows = -1;
  ASSERT_TRUE(pool.With([&](Connection& c) -> Status {
                    Stmt q(c, "SELECT count(*) FROM w");
                    bool row = false;
                    Status st = q.Step(&row);
                    rows = q.Int(0);
                    EXPECT_FALSE(c.InTransaction());
                    return st;
                  })
                  .ok());
  EXPECT_EQ(rows, 0);
}

// A connection the server closes (an administrator, a restart) is dropped
// and the transaction runs again on a new one.
// BEGIN rides with a transaction's first statement (one round trip): an
// error of that statement still maps to what it is and is not retried, the
// connection serves the next transaction, and a transaction that runs no
// statement opens none.
TEST(PgDb, AFirstStatementsErrorIsItsOwnAndTheConnectionServesOn) {
  const std::string info = FreshSchema();
  ConnectionPool pool(Params(info), 1);
  ASSERT_TRUE(pool.With([](Connection& c) {
                    return c.Exec(
                        "CREATE TABLE u (k TEXT PRIMARY KEY); INSERT INTO u VALUES ('a')");
                  })
                  .ok());
  int runs = 0;
  Status s = pg::WriteTxn(pool, kRetryBudgetMs, [&](Connection& c) -> Status {
    ++runs;
    return Stmt(c, "INSERT INTO u VALUES (?)").BindAll("a").Run();
  });
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("INSERT INTO u"), std::string::npos) << s.ToString();
  EXPECT_EQ(runs, 1);
  std::string xid_seen;
  s = pg::WriteTxn(pool, kRetryBudgetMs, [&](Connection& c) -> Status {
    Status st = Stmt(c, "INSERT INTO u VALUES (?)").BindAll("b").Run();
    if (!st.ok()) return st;
    return c.ExecValue("SELECT pg_current_xact_id_if_assigned()::text", &xid_seen);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(xid_seen.empty()) << "the statement did not run inside the transaction";
  s = pg::ReadTxn(pool, kRetryBudgetMs, [](Connection&) { return Status::OK(); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = pg::ReadTxn(pool, kRetryBudgetMs, [&](Connection& c) -> Status {
    Stmt q(c, "SELECT count(*) FROM u");
    bool row = false;
    Status st = q.Step(&row);
    if (!st.ok()) return st;
    EXPECT_EQ(q.Int(0), 2);
    return Stmt(c, "INSERT INTO u VALUES ('c')").Run();  // a read-only transaction
  });
  EXPECT_FALSE(s.ok()) << "a write inside a read transaction was accepted";
  EXPECT_FALSE(s.IsUnavailable()) << s.ToString();
}

TEST(PgDb, ALostConnectionIsReplacedAndTheTransactionRetried) {
  const std::string info = FreshSchema();
  ConnectionPool pool(Params(info), 1);
  int pid = 0;
  ASSERT_TRUE(pool.With([&](Connection& c) {
                    pid = PQbackendPID(c.raw());
                    return c.Exec("CREATE TABLE r (k TEXT)");
                  })
                  .ok());
  auto admin = Connect(info);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(Stmt(*admin, "SELECT pg_terminate_backend(?)").BindAll(pid).Run().ok());
  int runs = 0;
  Status s = pg::WriteTxn(pool, kRetryBudgetMs, [&](Connection& c) -> Status {
    ++runs;
    return Stmt(c, "INSERT INTO r VALUES (?)").BindAll("once").Run();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  Stmt q(*admin, "SELECT count(*) FROM r");
  bool row = false;
  ASSERT_TRUE(q.Step(&row).ok());
  EXPECT_EQ(q.Int(0), 1);
  // The first statement (BEGIN goes with it) failed on the lost connection;
  // the whole transaction ran again on a new one.
  EXPECT_EQ(runs, 2);
}

// The server going down under a writer: the write waits (retrying with
// back-off within its budget) and lands once the server is back.
TEST(PgDb, AWriteRidesOutAServerRestart) {
  const std::string info = FreshSchema();
  ConnectionPool pool(Params(info, 2), 2);
  ASSERT_TRUE(pool.With([](Connection& c) { return c.Exec("CREATE TABLE s (k TEXT)"); }).ok());
  ASSERT_TRUE(Server().Stop(/*immediate=*/true).ok());
  Status written;
  std::thread writer([&] {
    written = pg::WriteTxn(pool, kRetryBudgetMs, [](Connection& c) -> Status {
      return Stmt(c, "INSERT INTO s VALUES (?)").BindAll("after the restart").Run();
    });
  });
  Status started = Server().StartAgain();
  writer.join();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_TRUE(written.ok()) << written.ToString();
  auto c = Connect(info);
  ASSERT_NE(c, nullptr);
  Stmt q(*c, "SELECT count(*) FROM s");
  bool row = false;
  ASSERT_TRUE(q.Step(&row).ok());
  EXPECT_EQ(q.Int(0), 1);
}

TEST(PgSchema, ServicesStartingAtOnceApplyEachMigrationOnce) {
  const std::string info = FreshSchema();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::unique_ptr<Connection> c;
      Status s = Connection::Open(Params(info), &c);
      if (s.ok()) s = pg::ApplyMigrations(*c);
      if (!s.ok()) {
        ++failures;
        ADD_FAILURE() << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto c = Connect(info);
  ASSERT_NE(c, nullptr);
  int version = -1;
  ASSERT_TRUE(pg::ReadSchemaVersion(*c, &version).ok());
  EXPECT_EQ(version, pg::LatestSchemaVersion());
  Stmt q(*c, "SELECT count(*), count(DISTINCT version) FROM taskexec_schema");
  bool row = false;
  ASSERT_TRUE(q.Step(&row).ok());
  EXPECT_EQ(q.Int(0), static_cast<int64_t>(pg::Migrations().size()));
  EXPECT_EQ(q.Int(1), q.Int(0));
  // Applying again changes nothing.
  ASSERT_TRUE(pg::ApplyMigrations(*c).ok());
}

TEST(PgSchema, ADatabaseNewerThanThisBuildIsRefused) {
  auto c = Connect(FreshSchema());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(pg::ApplyMigrations(*c).ok());
  ASSERT_TRUE(
      c->Exec("INSERT INTO taskexec_schema(version, description) VALUES (9999, 'future')").ok());
  Status s = pg::ApplyMigrations(*c);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("9999"), std::string::npos);
  EXPECT_FALSE(c->InTransaction());
}

}  // namespace
}  // namespace taskexec
