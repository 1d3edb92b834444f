// Bolt request and response messages: their structure tags, builders for the
// requests a client sends, and the encoding of a message (a PackStream
// structure) to and from the bytes of one chunked message.
//
// Thread-safety: free functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bolt/value.h"
#include "core/status.h"

namespace taskexec::bolt {

namespace msg {
// Requests.
constexpr uint8_t kHello = 0x01, kGoodbye = 0x02, kReset = 0x0F, kRun = 0x10, kBegin = 0x11,
                  kCommit = 0x12, kRollback = 0x13, kDiscard = 0x2F, kPull = 0x3F,
                  kTelemetry = 0x54, kRoute = 0x66, kLogon = 0x6A, kLogoff = 0x6B;
// Responses.
constexpr uint8_t kSuccess = 0x70, kRecord = 0x71, kIgnored = 0x7E, kFailure = 0x7F;
}  // namespace msg

// "HELLO", "SUCCESS", ... or "0x.." for unknown tags.
std::string MessageName(uint8_t tag);

// A Bolt protocol version.
struct Version {
  int major = 0;
  int minor = 0;
  friend bool operator==(const Version&, const Version&) = default;
  friend auto operator<=>(const Version&, const Version&) = default;
  std::string ToString() const { return std::to_string(major) + "." + std::to_string(minor); }
};

// Message bodies (PackStream encoded, not yet chunked).
Status EncodeMessage(const Structure& m, Bytes* out);
// Corruption when the bytes are not exactly one structure.
Status DecodeMessage(const Bytes& body, Structure* out);

struct AuthToken {
  std::string scheme = "basic";  // basic | none | bearer
  std::string principal;
  std::string credentials;
  Map ToMap() const;  // {scheme, principal, credentials} as HELLO/LOGON want
};

// HELLO. From 5.1 on auth goes in LOGON; before, in HELLO's extra map.
// `routing` is the routing context for neo4j:// URIs (null Value = none).
Structure Hello(Version v, const std::string& user_agent, const Value& routing,
                const AuthToken& auth);
Structure Logon(const AuthToken& auth);
Structure Goodbye();
Structure Reset();

// The "extra" map shared by RUN (auto-commit) and BEGIN.
struct TxExtra {
  std::vector<std::string> bookmarks;
  int64_t tx_timeout_ms = -1;  // -1 = server default
  Map tx_metadata;
  bool read_mode = false;  // mode "r"
  std::string db;          // empty = default database
  Map ToMap() const;
};
Structure Run(const std::string& query, const Map& params, const Map& extra);
Structure Begin(const Map& extra);
Structure Commit();
Structure Rollback();
// n = -1 for all; qid = -1 for the last statement.
Structure Pull(int64_t n, int64_t qid = -1);
Structure Discard(int64_t n, int64_t qid = -1);
// ROUTE (4.4+): routing context, bookmarks, and {db} when a database is named.
Structure Route(const Map& routing_context, const std::vector<std::string>& bookmarks,
                const std::string& db);

// A FAILURE's metadata.
struct ServerError {
  std::string code;  // Neo.ClientError.Statement.SyntaxError ...
  std::string message;
};
ServerError ParseFailure(const Structure& failure);

}  // namespace taskexec::bolt
