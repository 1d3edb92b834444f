// bolt_stub_server: runs one BoltStub scenario as a process, for the
// interoperability test with the official JavaScript driver
// (tests/node/driver_interop.js).
//
//   bolt_stub_server <scenario>
// prints "PORT <n>", serves the scenario's scripts, then prints
// "RECEIVED <json>" (every client message, decoded by our PackStream
// decoder) and exits 0, or 1 when the client strayed from the script (the
// errors go to stderr). Scenarios: query, tx-retry, auth-failure,
// schema (what `taskexec schema apply` sends).
#include <iostream>

#include <nlohmann/json.hpp>

#include "bolt/graph_types.h"
#include "fakes/bolt_stub.h"

using namespace taskexec;
using bolt::List;
using bolt::Map;
using bolt::Structure;
using bolt::Value;
using testing::BoltScript;

namespace {

nlohmann::ordered_json ToJson(const Value& v) {
  switch (v.type()) {
    case bolt::Type::kNull:
      return nullptr;
    case bolt::Type::kBool:
      return v.as_bool();
    case bolt::Type::kInt:
      return v.as_int();
    case bolt::Type::kFloat:
      return v.as_float();
    case bolt::Type::kString:
      return v.as_string();
    case bolt::Type::kBytes:
      return nlohmann::ordered_json{{"$bytes", v.as_bytes()}};
    case bolt::Type::kList: {
      auto a = nlohmann::ordered_json::array();
      for (const auto& i : v.as_list()) a.push_back(ToJson(i));
      return a;
    }
    case bolt::Type::kMap: {
      auto o = nlohmann::ordered_json::object();
      for (const auto& [k, i] : v.as_map().entries) o[k] = ToJson(i);
      return o;
    }
    case bolt::Type::kStructure: {
      auto a = nlohmann::ordered_json::array();
      for (const auto& i : v.as_struct().fields) a.push_back(ToJson(i));
      return nlohmann::ordered_json{{"$struct", v.as_struct().tag}, {"fields", a}};
    }
  }
  return nullptr;
}

Map Meta(std::initializer_list<std::pair<const char*, Value>> kv) {
  Map m;
  for (const auto& [k, v] : kv) m.Set(k, v);
  return m;
}

BoltScript Opened() {
  return BoltScript().TolerateReset().Handshake({5, 4}).HelloLogon({5, 4}, "Neo4j/5.26.0");
}

// Values of every kind the driver must hydrate.
List RichRecord() {
  bolt::Node n;
  n.id = 7;
  n.labels = {"Task"};
  n.properties.Set("id", "task-1");
  n.properties.Set("retry_count", 2);
  n.element_id = "4:db:7";
  Map m;
  m.Set("nested", List{1, "two", 3.5});
  return List{Value(42),
              Value("h\xC3\xA9llo"),
              Value(3.25),
              Value(true),
              Value(),
              Value(bolt::Bytes{1, 2, 255}),
              Value(std::numeric_limits<int64_t>::max()),
              n.ToValue(),
              bolt::DateTime{1764067321, 123000000, 0}.ToValue(),
              bolt::Duration{1, 2, 3, 4}.ToValue(),
              Value(m)};
}

List RichFields() {
  return List{"int", "str",  "float",    "bool",     "null", "bytes",
              "big", "node", "datetime", "duration", "map"};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: bolt_stub_server query|tx-retry|auth-failure|schema\n";
    return 2;
  }
  const std::string scenario = argv[1];
  testing::BoltStub stub;
  if (scenario == "query") {
    BoltScript s = Opened();
    s.Expect(bolt::msg::kRun)
        .Success(Meta({{"fields", RichFields()}, {"t_first", 1}}))
        .Expect(bolt::msg::kPull)
        .Record(RichRecord())
        .Success(Meta({{"bookmark", "FB:stub-1"}, {"type", "r"}, {"t_last", 2}, {"db", "neo4j"}}));
    stub.AddScript(std::move(s));
  } else if (scenario == "tx-retry") {
    BoltScript s = Opened();
    s.Expect(bolt::msg::kBegin)
        .Success()
        .Expect(bolt::msg::kRun)
        .Failure("Neo.TransientError.Transaction.DeadlockDetected", "deadlock (scripted)")
        .Expect(bolt::msg::kPull)
        .Ignored()
        .Expect(bolt::msg::kBegin)
        .Success()
        .Expect(bolt::msg::kRun)
        .Success(Meta({{"fields", List{"n"}}, {"qid", 0}}))
        .Expect(bolt::msg::kPull)
        .Record({Value(1)})
        .Success(Meta({{"type", "w"}}))
        .Expect(bolt::msg::kCommit)
        .Success(Meta({{"bookmark", "FB:stub-2"}}));
    stub.AddScript(std::move(s));
  } else if (scenario == "schema") {
    // `taskexec schema apply` against the stub: one auto-commit RUN per
    // constraint or index (9 of them).
    BoltScript s = Opened();
    for (int i = 0; i < 9; ++i) {
      s.Expect(bolt::msg::kRun)
          .Success(Meta({{"fields", List{}}}))
          .Expect(bolt::msg::kPull)
          .Success();
    }
    stub.AddScript(std::move(s));
  } else if (scenario == "auth-failure") {
    stub.AddScript(BoltScript()
                       .Handshake({5, 4})
                       .Expect(bolt::msg::kHello)
                       .Success(Meta({{"server", "Neo4j/5.26.0"}}))
                       .Expect(bolt::msg::kLogon)
                       .Failure("Neo.ClientError.Security.Unauthorized",
                                "The client is unauthorized due to authentication failure.")
                       .Close());
  } else {
    std::cerr << "unknown scenario " << scenario << "\n";
    return 2;
  }
  std::cout << "PORT " << stub.port() << std::endl;
  bool done = stub.WaitDone(30000);
  auto received = nlohmann::ordered_json::array();
  for (const auto& m : stub.received()) {
    auto fields = nlohmann::ordered_json::array();
    for (const auto& f : m.fields) fields.push_back(ToJson(f));
    received.push_back({{"message", bolt::MessageName(m.tag)}, {"fields", fields}});
  }
  std::cout << "RECEIVED " << received.dump() << std::endl;
  int rc = 0;
  if (!done) {
    std::cerr << "stub: the scripts did not finish within 30 s\n";
    rc = 1;
  }
  for (const auto& e : stub.errors()) {
    std::cerr << e << "\n";
    rc = 1;
  }
  return rc;
}
