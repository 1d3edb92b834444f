// Connection against the scripted stub: handshake, authentication, record
// streaming, FAILURE recovery and dropped connections.
#include <gtest/gtest.h>

#include "bolt/connection.h"
#include "bolt/errors.h"
#include "fakes/bolt_stub.h"

namespace taskexec::bolt {
namespace {

using testing::BoltScript;
using testing::BoltStub;

ConnectionConfig Config() {
  ConnectionConfig c;
  c.auth = AuthToken{"basic", "neo4j", "pw"};
  c.transport.io_timeout_ms = 20000;
  return c;
}

Status OpenTo(BoltStub& stub, std::unique_ptr<Connection>* out, ConnectionConfig c = Config()) {
  return Connection::Open("127.0.0.1", stub.port(), c, out);
}

Map Fields(List names) {
  Map m;
  m.Set("fields", std::move(names));
  return m;
}

TEST(Connection, NegotiatesBolt5AndAuthenticatesWithLogon) {
  BoltStub stub;
  stub.AddScript(BoltScript().Handshake({5, 4}).HelloLogon({5, 4}, "Neo4j/5.20.0"));
  std::unique_ptr<Connection> c;
  ASSERT_TRUE(OpenTo(stub, &c).ok());
  EXPECT_EQ(c->version(), (Version{5, 4}));
  EXPECT_EQ(c->server_agent(), "Neo4j/5.20.0");
  c->Close();
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
  // Proposals: 5.7 with range 7 (5.7..5.0), then 4.4, then two empty slots.
  ASSERT_EQ(stub.proposals().size(), 1u);
  EXPECT_EQ(stub.proposals()[0], (Bytes{0, 7, 7, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0}));
  auto logon = stub.received(msg::kLogon);
  ASSERT_EQ(logon.size(), 1u);
  EXPECT_EQ(logon[0].fields[0].as_map().Find("credentials")->as_string(), "pw");
  EXPECT_EQ(stub.received(msg::kHello)[0].fields[0].as_map().Find("credentials"), nullptr);
}

TEST(Connection, FallsBackTo44WithAuthInHello) {
  BoltStub stub;
  stub.AddScript(BoltScript().Handshake({4, 4}).HelloLogon({4, 4}, "Neo4j/4.4.30"));
  std::unique_ptr<Connection> c;
  ASSERT_TRUE(OpenTo(stub, &c).ok());
  EXPECT_EQ(c->version(), (Version{4, 4}));
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_EQ(stub.received(msg::kHello)[0].fields[0].as_map().Find("principal")->as_string(),
            "neo4j");
  EXPECT_TRUE(stub.received(msg::kLogon).empty());
}

TEST(Connection, NoCommonVersionIsAClearError) {
  BoltStub stub;
  stub.AddScript(BoltScript().Handshake({0, 0}));
  std::unique_ptr<Connection> c;
  Status s = OpenTo(stub, &c);
  EXPECT_TRUE(s.IsUnavailable());
  EXPECT_NE(s.message().find("none of the offered versions"), std::string::npos) << s.ToString();
}

TEST(Connection, AuthFailureIsReportedAndNotRetryable) {
  BoltStub stub;
  stub.AddScript(BoltScript()
                     .Handshake({5, 4})
                     .Expect(msg::kHello)
                     .Success()
                     .Expect(msg::kLogon)
                     .Failure("Neo.ClientError.Security.Unauthorized", "bad credentials")
                     .Close());
  std::unique_ptr<Connection> c;
  Status s = OpenTo(stub, &c);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(NeoCode(s), "Neo.ClientError.Security.Unauthorized");
  EXPECT_FALSE(IsRetryable(s));
  EXPECT_EQ(c, nullptr);
  ASSERT_TRUE(stub.WaitDone());
}

TEST(Connection, StreamsRecordsWithFetchSize) {
  BoltStub stub;
  Map more;
  more.Set("has_more", true);
  Map done;
  done.Set("bookmark", "FB:1");
  done.Set("type", "r");
  stub.AddScript(BoltScript()
                     .Handshake({5, 4})
                     .HelloLogon({5, 4})
                     .Expect(msg::kRun)
                     .Success(Fields({"x"}))
                     .Expect(msg::kPull)
                     .Record({1})
                     .Record({2})
                     .Success(more)
                     .Expect(msg::kPull)
                     .Record({3})
                     .Success(done));
  std::unique_ptr<Connection> c;
  ASSERT_TRUE(OpenTo(stub, &c).ok());
  Map params;
  params.Set("n", 3);
  QueryResult r;
  Status s = c->Run("UNWIND range(1, $n) AS x RETURN x", params, Map{}, 2, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.keys, (std::vector<std::string>{"x"}));
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[2][0], Value(3));
  EXPECT_EQ(r.summary.Find("bookmark")->as_string(), "FB:1");
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty());
  auto pulls = stub.received(msg::kPull);
  ASSERT_EQ(pulls.size(), 2u);
  EXPECT_EQ(pulls[0].fields[0].as_map().Find("n")->as_int(), 2);
  auto runs = stub.received(msg::kRun);
  EXPECT_EQ(runs[0].fields[0].as_string(), "UNWIND range(1, $n) AS x RETURN x");
  EXPECT_EQ(runs[0].fields[1].as_map().Find("n")->as_int(), 3);
}

TEST(Connection, FailureThenResetLeavesTheConnectionUsable) {
  BoltStub stub;
  stub.AddScript(BoltScript()
                     .Handshake({5, 4})
                     .HelloLogon({5, 4})
                     .Expect(msg::kRun)
                     .Failure("Neo.ClientError.Statement.SyntaxError", "Invalid input 'MATC'")
                     .Expect(msg::kPull)
                     .Ignored()
                     .Expect(msg::kReset)
                     .Success()
                     .Expect(msg::kRun)
                     .Success(Fields({"one"}))
                     .Expect(msg::kPull)
                     .Record({1})
                     .Success());
  std::unique_ptr<Connection> c;
  ASSERT_TRUE(OpenTo(stub, &c).ok());
  QueryResult r;
  Status s = c->Run("MATC (n) RETURN n", Map{}, Map{}, -1, &r);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(NeoCode(s), "Neo.ClientError.Statement.SyntaxError");
  EXPECT_FALSE(c->broken());
  s = c->Run("RETURN 1 AS one", Map{}, Map{}, -1, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.records.size(), 1u);
  ASSERT_TRUE(stub.WaitDone());
  EXPECT_TRUE(stub.errors().empty()) << stub.errors()[0];
}

TEST(Connection, ServerDroppingMidStreamBreaksTheConnection) {
  BoltStub stub;
  stub.AddScript(BoltScript()
                     .Handshake({5, 0})
                     .HelloLogon({5, 0})
                     .Expect(msg::kRun)
                     .Success(Fields({"x"}))
                     .Expect(msg::kPull)
                     .Record({1})
                     .Raw({0x00, 0x10, 0xB1, 0x71})  // half a chunk, then gone
                     .Close());
  std::unique_ptr<Connection> c;
  ASSERT_TRUE(OpenTo(stub, &c).ok());
  QueryResult r;
  Status s = c->Run("UNWIND [1,2] AS x RETURN x", Map{}, Map{}, -1, &r);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_TRUE(IsRetryable(s));
  EXPECT_TRUE(c->broken());
  EXPECT_TRUE(c->Reset().IsUnavailable());
}

TEST(Connection, GarbageFromTheServerIsCorruption) {
  BoltStub stub;
  stub.AddScript(BoltScript()
                     .Handshake({5, 4})
                     .Expect(msg::kHello)
                     .Raw({0x00, 0x02, 0xC7, 0x00, 0x00, 0x00}));  // unknown marker
  std::unique_ptr<Connection> c;
  Status s = OpenTo(stub, &c);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
}

TEST(Connection, RefusedConnectionIsUnavailable) {
  int port;
  {
    BoltStub stub;
    port = stub.port();
  }
  std::unique_ptr<Connection> c;
  Status s = Connection::Open("127.0.0.1", port, Config(), &c);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
}

}  // namespace
}  // namespace taskexec::bolt
