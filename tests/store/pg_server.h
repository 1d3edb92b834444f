// PgServer: a throwaway PostgreSQL server for tests, from the Debian
// package's binaries (postgresql-NN: initdb, pg_ctl, postgres).
//
// Start() initialises a cluster in a fresh temporary folder, listening only
// on a unix socket in that folder (no TCP port, so tests never collide),
// with trust authentication for its superuser "taskexec" (and a password
// for kPasswordRole) and fsync off (a test server's durability is not under
// test; a crash of the host is not a case the tests make). With `tls`, it
// also listens on a free loopback port that takes TLS connections only (a
// self-signed certificate for "localhost", made with the openssl tool), for
// the tests of sslmode. When the tests run as root, initdb and the server
// run as the unprivileged "postgres" user (or "nobody"), as PostgreSQL
// requires. The destructor stops the server and removes the folder.
//
// The binaries are looked up in $TASKEXEC_TEST_PG_BINDIR, else in the
// newest /usr/lib/postgresql/*/bin.
//
// Thread-safety: one thread drives a PgServer; the server itself serves any
// number of connections.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace taskexec::store_test {

// The one role that authenticates with a password (created by the test
// that uses it); every other role is trusted.
inline constexpr const char* kPasswordRole = "secretive";

class PgServer {
 public:
  // `durable`: the server's own defaults (fsync on, full page writes), for
  // benchmarks that must not flatter it.
  static Status Start(std::unique_ptr<PgServer>* out, bool durable = false, bool tls = false);
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // key=value conninfo of database `dbname` ("postgres" exists from the
  // start), with search_path set to `schema` when it is not empty.
  std::string ConnInfo(const std::string& schema = "",
                       const std::string& dbname = "postgres") const;
  // A new, empty schema of the "postgres" database; its conninfo.
  Status FreshSchema(std::string* conninfo);

  // Stops the server the way a crash would (immediate: no checkpoint,
  // every connection dropped) or cleanly (fast), and starts it again.
  Status Stop(bool immediate);
  Status StartAgain();

  const std::string& dir() const { return dir_; }
  // With tls: the loopback port, and the certificate a client verifies the
  // server with (sslrootcert).
  int port() const { return port_; }
  std::string CertPath() const { return dir_ + "/server.crt"; }

 private:
  PgServer() = default;
  Status PgCtl(const std::string& action, const std::string& mode);

  std::string bindir_;
  std::string dir_;  // holds data/, the socket and server.log
  std::string run_as_;
  bool durable_ = false;
  bool tls_ = false;
  int port_ = 5432;  // also names the unix socket
  bool running_ = false;
  int next_schema_ = 0;
};

// One server for the whole test binary, started on first use and stopped
// at exit. nullptr when it cannot start; *why (may be null) says why, the
// same on every call.
PgServer* SharedPgServer(Status* why = nullptr);

}  // namespace taskexec::store_test
