// Byte transports under a Bolt connection: plain TCP and TLS (OpenSSL).
//
// TLS modes follow the URI schemes: `+s` verifies the server certificate
// against the system trust store (or a given CA file) and its host name;
// `+ssc` encrypts but accepts any certificate (self-signed servers).
//
// Thread-safety: a Transport is used by one thread at a time (its
// connection's owner). Close() may not race with Read/Write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace taskexec::bolt {

enum class TlsMode { kNone, kVerify, kTrustAll };

struct TransportOptions {
  TlsMode tls = TlsMode::kNone;
  std::string ca_file;  // PEM bundle for kVerify; empty = system default
  int connect_timeout_ms = 5000;
  int io_timeout_ms = 60000;  // per read/write; 0 = none
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Writes all `size` bytes. Unavailable when the peer is gone.
  virtual Status WriteAll(const uint8_t* data, size_t size) = 0;
  // Reads 1..max bytes into `buf` (*got > 0 on OK). Unavailable on EOF,
  // reset or timeout.
  virtual Status ReadSome(uint8_t* buf, size_t max, size_t* got) = 0;
  virtual void Close() = 0;
};

// Opens a TCP connection (and a TLS session on top when options.tls says so).
Status ConnectTransport(const std::string& host, int port, const TransportOptions& options,
                        std::unique_ptr<Transport>* out);

}  // namespace taskexec::bolt
