#include "bolt/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace taskexec::bolt {
namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string SslError(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

void SetTimeouts(int fd, int ms) {
  if (ms <= 0) return;
  timeval tv{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Non-blocking connect bounded by timeout_ms, then back to blocking mode.
Status ConnectFd(const std::string& host, int port, int timeout_ms, int* out_fd) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port_s = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), port_s.c_str(), &hints, &res); rc != 0) {
    return Status::Unavailable("resolve " + host + ": " + gai_strerror(rc));
  }
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = Errno("socket");
      continue;
    }
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms);
      if (rc == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        errno = err;
        rc = err == 0 ? 0 : -1;
      } else {
        errno = rc == 0 ? ETIMEDOUT : errno;
        rc = -1;
      }
    }
    if (rc == 0) {
      fcntl(fd, F_SETFL, flags);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      freeaddrinfo(res);
      *out_fd = fd;
      return Status::OK();
    }
    last = Errno("connect");
    close(fd);
  }
  freeaddrinfo(res);
  return Status::Unavailable(host + ":" + port_s + ": " + last);
}

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(int fd) : fd_(fd) {}
  ~TcpTransport() override { Close(); }

  Status WriteAll(const uint8_t* data, size_t size) override {
    while (size > 0) {
      ssize_t n = send(fd_, data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::Unavailable(Errno("send"));
      data += n;
      size -= static_cast<size_t>(n);
    }
    return Status::OK();
  }

  Status ReadSome(uint8_t* buf, size_t max, size_t* got) override {
    for (;;) {
      ssize_t n = recv(fd_, buf, max, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) return Status::Unavailable("connection closed by the server");
      if (n < 0) return Status::Unavailable(Errno("recv"));
      *got = static_cast<size_t>(n);
      return Status::OK();
    }
  }

  void Close() override {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  ~TlsTransport() override { Close(); }

  Status WriteAll(const uint8_t* data, size_t size) override {
    while (size > 0) {
      size_t n = 0;
      if (SSL_write_ex(ssl_, data, size, &n) != 1)
        return Status::Unavailable(SslError("TLS write"));
      data += n;
      size -= n;
    }
    return Status::OK();
  }

  Status ReadSome(uint8_t* buf, size_t max, size_t* got) override {
    size_t n = 0;
    if (SSL_read_ex(ssl_, buf, max, &n) != 1) {
      int err = SSL_get_error(ssl_, 0);
      if (err == SSL_ERROR_ZERO_RETURN) return Status::Unavailable("TLS connection closed");
      return Status::Unavailable(SslError("TLS read"));
    }
    *got = n;
    return Status::OK();
  }

  void Close() override {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (ctx_ != nullptr) {
      SSL_CTX_free(ctx_);
      ctx_ = nullptr;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
};

Status StartTls(int fd, const std::string& host, const TransportOptions& o,
                std::unique_ptr<Transport>* out) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    close(fd);
    return Status::Internal(SslError("SSL_CTX_new"));
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (o.tls == TlsMode::kVerify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    int ok = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                               : SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr);
    if (ok != 1) {
      SSL_CTX_free(ctx);
      close(fd);
      return Status::InvalidArgument(SslError("loading CA certificates"));
    }
  } else {
    // +ssc: encryption without authentication, as the scheme asks.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  SSL* ssl = SSL_new(ctx);
  auto transport = std::make_unique<TlsTransport>(fd, ctx, ssl);  // owns fd/ctx/ssl from here
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, host.c_str());
  if (o.tls == TlsMode::kVerify) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    in6_addr addr6;
    in_addr addr4;
    bool is_ip = inet_pton(AF_INET, host.c_str(), &addr4) == 1 ||
                 inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      SSL_set1_host(ssl, host.c_str());
    }
  }
  if (SSL_connect(ssl) != 1) {
    long vr = SSL_get_verify_result(ssl);
    std::string msg = SslError("TLS handshake") + " with " + host;
    if (vr != X509_V_OK)
      msg += std::string(" (certificate: ") + X509_verify_cert_error_string(vr) + ")";
    return Status::Unavailable(msg);
  }
  *out = std::move(transport);
  return Status::OK();
}

}  // namespace

Status ConnectTransport(const std::string& host, int port, const TransportOptions& options,
                        std::unique_ptr<Transport>* out) {
  int fd = -1;
  if (Status s = ConnectFd(host, port, options.connect_timeout_ms, &fd); !s.ok()) return s;
  SetTimeouts(fd, options.io_timeout_ms);
  if (options.tls == TlsMode::kNone) {
    *out = std::make_unique<TcpTransport>(fd);
    return Status::OK();
  }
  return StartTls(fd, host, options, out);
}

}  // namespace taskexec::bolt
