// Connection: one Bolt session with one server: handshake (Bolt 5.7..5.0,
// then 4.4), HELLO/LOGON, pipelined requests, record streaming with a fetch
// size, and recovery after FAILURE (drain IGNORED answers, then RESET).
//
// A connection is either usable or broken (I/O failed, protocol violated, or
// RESET failed); a broken connection must be discarded, never reused.
//
// Thread-safety: not thread-safe; one thread uses a connection at a time
// (the pool hands it to one borrower).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bolt/chunking.h"
#include "bolt/messages.h"
#include "bolt/transport.h"
#include "bolt/value.h"
#include "core/status.h"

namespace taskexec::bolt {

struct ConnectionConfig {
  TransportOptions transport;
  std::string user_agent = "taskexec/0.1";
  AuthToken auth;
  // Routing context sent in HELLO for neo4j:// URIs ({address: host:port});
  // null for direct bolt:// connections.
  Value routing_context;
  // Largest 5.x minor offered; 5.x down to 5.0 is offered, then 4.4.
  int max_minor_5 = 7;
};

// The outcome of one query.
struct QueryResult {
  std::vector<std::string> keys;
  std::vector<List> records;
  Map summary;  // metadata of the final PULL SUCCESS (bookmark, type, stats, db...)
};

class Connection {
 public:
  // Connects, negotiates the version and authenticates.
  static Status Open(const std::string& host, int port, const ConnectionConfig& config,
                     std::unique_ptr<Connection>* out);
  ~Connection();

  Version version() const { return version_; }
  const std::string& server_agent() const { return server_agent_; }
  const std::string& connection_id() const { return connection_id_; }
  const std::string& address() const { return address_; }
  bool broken() const { return broken_; }
  // Monotonic ms of the last successful exchange (for idle checks).
  int64_t last_used_ms() const { return last_used_ms_; }

  // Runs `query` and streams all records, pulling `fetch_size` at a time
  // (-1 = all at once). `extra` is RUN's extra map (auto-commit: bookmarks,
  // mode, db...); inside an explicit transaction pass an empty map.
  Status Run(const std::string& query, const Map& params, const Map& extra, int64_t fetch_size,
             QueryResult* out);
  // Runs `query` and DISCARDs its records, returning only the summary.
  Status RunDiscard(const std::string& query, const Map& params, const Map& extra, Map* summary);

  // One request, one summary (BEGIN, COMMIT, ROLLBACK, ROUTE, RESET...).
  Status Request(const Structure& message, Map* success_metadata);
  Status Reset();
  // Says GOODBYE (best effort) and closes. The connection is broken after.
  void Close();

  // Low-level access for tests and callers that pipeline themselves.
  Status Send(const Structure& message);  // buffers
  Status Flush();
  Status Receive(Structure* message);

 private:
  Connection() = default;
  Status Handshake();
  Status Authenticate(const ConnectionConfig& config);
  // Reads the oldest outstanding request's answer; RECORDs go to on_record.
  // A FAILURE answer becomes the returned Status after the connection has
  // been recovered (remaining answers drained, RESET sent).
  Status ReadSummary(Map* metadata, const std::function<void(List&&)>& on_record);
  Status Recover();
  Status Broken(Status s);

  std::unique_ptr<Transport> transport_;
  ChunkDecoder decoder_;
  Bytes out_;
  int pending_ = 0;  // requests sent whose summary has not been read
  Version version_;
  std::string server_agent_, connection_id_, address_;
  int max_minor_5_ = 7;
  bool broken_ = false;
  int64_t last_used_ms_ = 0;
};

}  // namespace taskexec::bolt
