// BoltStub: a scripted Bolt server for tests, in the spirit of Neo4j's
// "boltstub". It listens on 127.0.0.1 (port chosen by the OS), speaks the
// real wire format (handshake, chunked PackStream messages), and plays one
// BoltScript per accepted connection, in the order the scripts were added:
// each script is a list of steps "expect a message with this tag", "send
// these answers", "close the socket", "send raw bytes".
//
// Every message the stub receives is recorded, so a test can check the exact
// statements and parameters a client sent. Mismatches (an unexpected message,
// a connection no script was left for) are recorded as errors; tests assert
// that errors() is empty.
//
// Thread-safety: the public methods may be called from the test thread while
// connection threads run; each connection is served by its own thread, and
// the destructor stops and joins them all.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include "bolt/messages.h"
#include "bolt/value.h"

namespace taskexec::testing {

class BoltScript {
 public:
  // Reads the 20-byte handshake and answers `version` when the client offered
  // it (else 00 00 00 00, and the script fails). {0,0} always answers "none"
  // and closes.
  BoltScript& Handshake(bolt::Version version);
  // HELLO -> SUCCESS{server, connection_id}, and for 5.1+ LOGON -> SUCCESS.
  BoltScript& HelloLogon(bolt::Version version, const std::string& server = "Neo4j/5.26.0");
  // Expects the next message to have `tag` (RECORDs are never client
  // messages). The received message is recorded either way.
  BoltScript& Expect(uint8_t tag);
  BoltScript& Reply(bolt::Structure message);
  BoltScript& Success(bolt::Map metadata = {});
  BoltScript& Record(bolt::List values);
  BoltScript& Failure(const std::string& code, const std::string& message);
  BoltScript& Ignored();
  BoltScript& Raw(bolt::Bytes bytes);
  // Closes the socket (a server dropping the connection).
  BoltScript& Close();
  // Answers any RESET not named by the script with SUCCESS (drivers may reset
  // a connection when it returns to their pool), and TELEMETRY likewise.
  BoltScript& TolerateReset();

  struct Step {
    enum Kind { kHandshake, kExpect, kReply, kRaw, kClose } kind;
    bolt::Version version;
    uint8_t tag = 0;
    bolt::Structure message;
    bolt::Bytes raw;
  };
  const std::vector<Step>& steps() const { return steps_; }
  bool tolerate_reset() const { return tolerate_reset_; }

 private:
  std::vector<Step> steps_;
  bool tolerate_reset_ = false;
};

class BoltStub {
 public:
  BoltStub();
  ~BoltStub();
  BoltStub(const BoltStub&) = delete;
  BoltStub& operator=(const BoltStub&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Serves TLS with this certificate and key (PEM) from now on. False (and
  // an error recorded) when they do not load.
  bool EnableTls(const std::string& cert_pem, const std::string& key_pem);

  // Queues the script for the next connection to be accepted.
  void AddScript(BoltScript script);

  // Waits until every added script has run to its end (or failed), at most
  // timeout_ms. False on timeout.
  bool WaitDone(int timeout_ms = 20000);

  std::vector<std::string> errors() const;
  // Every client message received on any connection, in arrival order.
  std::vector<bolt::Structure> received() const;
  // The messages with `tag`, in arrival order.
  std::vector<bolt::Structure> received(uint8_t tag) const;
  // The 16 bytes of version proposals of each handshake.
  std::vector<bolt::Bytes> proposals() const;
  int connections() const;

 private:
  void AcceptLoop();
  void Serve(int fd, BoltScript script);
  void Fail(std::string error);

  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};  // self-pipe that stops the accept loop
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BoltScript> scripts_;
  int added_ = 0, finished_ = 0, connections_ = 0;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
  std::vector<std::string> errors_;
  std::vector<bolt::Structure> received_;
  std::vector<bolt::Bytes> proposals_;
  bool stopping_ = false;
  SSL_CTX* tls_ctx_ = nullptr;  // set before connections arrive
};

// A fresh self-signed CA certificate for CN=localhost with the given
// subjectAltName, valid for a day, and its P-256 key, both as PEM.
bool MakeSelfSignedCert(std::string* cert_pem, std::string* key_pem,
                        const std::string& san = "DNS:localhost,IP:127.0.0.1");

}  // namespace taskexec::testing
