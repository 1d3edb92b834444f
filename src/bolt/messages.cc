#include "bolt/messages.h"

#include <cstdio>

#include "bolt/packstream.h"

namespace taskexec::bolt {

std::string MessageName(uint8_t tag) {
  switch (tag) {
    case msg::kHello:
      return "HELLO";
    case msg::kGoodbye:
      return "GOODBYE";
    case msg::kReset:
      return "RESET";
    case msg::kRun:
      return "RUN";
    case msg::kBegin:
      return "BEGIN";
    case msg::kCommit:
      return "COMMIT";
    case msg::kRollback:
      return "ROLLBACK";
    case msg::kDiscard:
      return "DISCARD";
    case msg::kPull:
      return "PULL";
    case msg::kTelemetry:
      return "TELEMETRY";
    case msg::kRoute:
      return "ROUTE";
    case msg::kLogon:
      return "LOGON";
    case msg::kLogoff:
      return "LOGOFF";
    case msg::kSuccess:
      return "SUCCESS";
    case msg::kRecord:
      return "RECORD";
    case msg::kIgnored:
      return "IGNORED";
    case msg::kFailure:
      return "FAILURE";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", tag);
  return buf;
}

Status EncodeMessage(const Structure& m, Bytes* out) { return Pack(Value(m), out); }

Status DecodeMessage(const Bytes& body, Structure* out) {
  Value v;
  if (Status s = UnpackAll(body, &v); !s.ok()) return s;
  if (!v.is_struct()) {
    return Status::Corruption(std::string("Bolt: message is a ") + TypeName(v.type()) +
                              ", not a structure");
  }
  *out = v.as_struct();
  return Status::OK();
}

Map AuthToken::ToMap() const {
  Map m;
  m.Set("scheme", scheme);
  if (scheme != "none") {
    m.Set("principal", principal);
    m.Set("credentials", credentials);
  }
  return m;
}

Structure Hello(Version v, const std::string& user_agent, const Value& routing,
                const AuthToken& auth) {
  Map extra;
  extra.Set("user_agent", user_agent);
  if (v.major >= 5 || !routing.is_null()) extra.Set("routing", routing);
  if (v >= Version{5, 3}) {
    Map bolt_agent;
    bolt_agent.Set("product", user_agent);
    extra.Set("bolt_agent", std::move(bolt_agent));
  }
  if (v < Version{5, 1}) {
    for (auto& [k, val] : auth.ToMap().entries) extra.Set(k, val);
  }
  return Structure{msg::kHello, {Value(std::move(extra))}};
}

Structure Logon(const AuthToken& auth) { return Structure{msg::kLogon, {Value(auth.ToMap())}}; }
Structure Goodbye() { return Structure{msg::kGoodbye, {}}; }
Structure Reset() { return Structure{msg::kReset, {}}; }

Map TxExtra::ToMap() const {
  Map m;
  if (!bookmarks.empty()) {
    List b(bookmarks.begin(), bookmarks.end());
    m.Set("bookmarks", std::move(b));
  }
  if (tx_timeout_ms >= 0) m.Set("tx_timeout", tx_timeout_ms);
  if (!tx_metadata.empty()) m.Set("tx_metadata", tx_metadata);
  if (read_mode) m.Set("mode", "r");
  if (!db.empty()) m.Set("db", db);
  return m;
}

Structure Run(const std::string& query, const Map& params, const Map& extra) {
  return Structure{msg::kRun, {Value(query), Value(params), Value(extra)}};
}
Structure Begin(const Map& extra) { return Structure{msg::kBegin, {Value(extra)}}; }
Structure Commit() { return Structure{msg::kCommit, {}}; }
Structure Rollback() { return Structure{msg::kRollback, {}}; }

namespace {
Structure PullLike(uint8_t tag, int64_t n, int64_t qid) {
  Map m;
  m.Set("n", n);
  if (qid != -1) m.Set("qid", qid);
  return Structure{tag, {Value(std::move(m))}};
}
}  // namespace

Structure Pull(int64_t n, int64_t qid) { return PullLike(msg::kPull, n, qid); }
Structure Discard(int64_t n, int64_t qid) { return PullLike(msg::kDiscard, n, qid); }

Structure Route(const Map& routing_context, const std::vector<std::string>& bookmarks,
                const std::string& db) {
  List b(bookmarks.begin(), bookmarks.end());
  Map extra;
  if (!db.empty()) extra.Set("db", db);
  return Structure{msg::kRoute,
                   {Value(routing_context), Value(std::move(b)), Value(std::move(extra))}};
}

ServerError ParseFailure(const Structure& failure) {
  ServerError e;
  if (!failure.fields.empty()) {
    const Value& meta = failure.fields[0];
    if (const Value* c = FindIn(meta, "code")) e.code = c->StringOr("");
    if (const Value* m = FindIn(meta, "message")) e.message = m->StringOr("");
    // GQL-era servers (5.26+) may send neo4j_code alongside gql_status.
    if (e.code.empty()) {
      if (const Value* c = FindIn(meta, "neo4j_code")) e.code = c->StringOr("");
    }
  }
  if (e.code.empty()) e.code = "Neo.DatabaseError.General.UnknownError";
  return e;
}

}  // namespace taskexec::bolt
