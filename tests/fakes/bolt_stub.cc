#include "fakes/bolt_stub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "bolt/chunking.h"

namespace taskexec::testing {

using bolt::Bytes;
using bolt::Structure;

BoltScript& BoltScript::Handshake(bolt::Version version) {
  steps_.push_back({Step::kHandshake, version, 0, {}, {}});
  return *this;
}

BoltScript& BoltScript::HelloLogon(bolt::Version version, const std::string& server) {
  bolt::Map meta;
  meta.Set("server", server);
  meta.Set("connection_id", "bolt-stub-1");
  Expect(bolt::msg::kHello).Success(std::move(meta));
  if (version >= bolt::Version{5, 1}) Expect(bolt::msg::kLogon).Success();
  return *this;
}

BoltScript& BoltScript::Expect(uint8_t tag) {
  steps_.push_back({Step::kExpect, {}, tag, {}, {}});
  return *this;
}

BoltScript& BoltScript::Reply(Structure message) {
  steps_.push_back({Step::kReply, {}, 0, std::move(message), {}});
  return *this;
}

BoltScript& BoltScript::Success(bolt::Map metadata) {
  return Reply(Structure{bolt::msg::kSuccess, {bolt::Value(std::move(metadata))}});
}

BoltScript& BoltScript::Record(bolt::List values) {
  return Reply(Structure{bolt::msg::kRecord, {bolt::Value(std::move(values))}});
}

BoltScript& BoltScript::Failure(const std::string& code, const std::string& message) {
  bolt::Map meta;
  meta.Set("code", code);
  meta.Set("message", message);
  return Reply(Structure{bolt::msg::kFailure, {bolt::Value(std::move(meta))}});
}

BoltScript& BoltScript::Ignored() { return Reply(Structure{bolt::msg::kIgnored, {}}); }

BoltScript& BoltScript::Raw(Bytes bytes) {
  steps_.push_back({Step::kRaw, {}, 0, {}, std::move(bytes)});
  return *this;
}

BoltScript& BoltScript::Close() {
  steps_.push_back({Step::kClose, {}, 0, {}, {}});
  return *this;
}

BoltScript& BoltScript::TolerateReset() {
  tolerate_reset_ = true;
  return *this;
}

BoltStub::BoltStub() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0) {
    errors_.push_back(std::string("stub: bind/listen: ") + std::strerror(errno));
    return;
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (pipe2(wake_, O_CLOEXEC) != 0) errors_.push_back("stub: pipe failed");
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

bool BoltStub::EnableTls(const std::string& cert_pem, const std::string& key_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  bool ok = ctx != nullptr && cert != nullptr && key != nullptr &&
            SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(cb);
  BIO_free(kb);
  std::lock_guard<std::mutex> lock(mu_);
  if (!ok) {
    SSL_CTX_free(ctx);
    errors_.push_back("stub: bad TLS certificate or key");
    return false;
  }
  if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
  tls_ctx_ = ctx;
  return true;
}

bool MakeSelfSignedCert(std::string* cert_pem, std::string* key_pem, const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  bool ok = key != nullptr && x != nullptr;
  if (ok) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
      ok = ok && ext != nullptr && X509_add_ext(x, ext, -1) == 1;
      X509_EXTENSION_free(ext);
    }
    ok = ok && X509_sign(x, key, EVP_sha256()) > 0;
  }
  if (ok) {
    BIO* cb = BIO_new(BIO_s_mem());
    BIO* kb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(cb, &data);
    cert_pem->assign(data, static_cast<size_t>(n));
    n = BIO_get_mem_data(kb, &data);
    key_pem->assign(data, static_cast<size_t>(n));
    BIO_free(cb);
    BIO_free(kb);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return ok;
}

BoltStub::~BoltStub() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  if (wake_[1] >= 0) (void)!write(wake_[1], "x", 1);
  if (acceptor_.joinable()) acceptor_.join();
  {
    // No new workers can start now; unblock any that still read.
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_) w.join();
  for (int fd : fds_) close(fd);
  if (listen_fd_ >= 0) close(listen_fd_);
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
  if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
}

void BoltStub::AddScript(BoltScript script) {
  std::lock_guard<std::mutex> lock(mu_);
  scripts_.push_back(std::move(script));
  ++added_;
}

bool BoltStub::WaitDone(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [this] { return finished_ >= added_; });
}

std::vector<std::string> BoltStub::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::vector<Structure> BoltStub::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

std::vector<Structure> BoltStub::received(uint8_t tag) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Structure> out;
  for (const auto& m : received_) {
    if (m.tag == tag) out.push_back(m);
  }
  return out;
}

std::vector<Bytes> BoltStub::proposals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return proposals_;
}

int BoltStub::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

void BoltStub::Fail(std::string error) {
  std::lock_guard<std::mutex> lock(mu_);
  errors_.push_back(std::move(error));
}

void BoltStub::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds_.push_back(fd);
    ++connections_;
    if (scripts_.empty()) {
      errors_.push_back("stub: connection #" + std::to_string(connections_) +
                        " arrived but no script is left");
      shutdown(fd, SHUT_RDWR);
      continue;
    }
    BoltScript script = std::move(scripts_.front());
    scripts_.pop_front();
    workers_.emplace_back([this, fd, s = std::move(script)]() mutable { Serve(fd, std::move(s)); });
  }
}

namespace {

// A connection's byte stream: the plain socket, or TLS over it.
struct Io {
  int fd = -1;
  SSL* ssl = nullptr;
  ssize_t Recv(uint8_t* buf, size_t n) {
    if (ssl == nullptr) return recv(fd, buf, n, 0);
    size_t got = 0;
    return SSL_read_ex(ssl, buf, n, &got) == 1 ? static_cast<ssize_t>(got) : -1;
  }
  ssize_t Send(const uint8_t* buf, size_t n) {
    if (ssl == nullptr) return send(fd, buf, n, MSG_NOSIGNAL);
    size_t put = 0;
    return SSL_write_ex(ssl, buf, n, &put) == 1 ? static_cast<ssize_t>(put) : -1;
  }
};

bool WriteAll(Io& io, const Bytes& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = io.Send(b.data() + off, b.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool ReadExact(Io& io, uint8_t* buf, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = io.Recv(buf + off, n - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    off += static_cast<size_t>(r);
  }
  return true;
}

// Reads one message; false on EOF or garbage.
bool ReadMessage(Io& io, bolt::ChunkDecoder* dec, Structure* out) {
  Bytes body;
  while (!dec->Next(&body)) {
    uint8_t buf[4096];
    ssize_t r = io.Recv(buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    if (!dec->Feed(buf, static_cast<size_t>(r)).ok()) return false;
  }
  return bolt::DecodeMessage(body, out).ok();
}

bool SendMessage(Io& io, const Structure& m) {
  Bytes body, framed;
  if (!bolt::EncodeMessage(m, &body).ok()) return false;
  bolt::AppendChunked(body, &framed);
  return WriteAll(io, framed);
}

bool Offered(const uint8_t* proposals, bolt::Version v) {
  for (int i = 0; i < 4; ++i) {
    const uint8_t* p = proposals + 4 * i;
    int range = p[1], minor = p[2], major = p[3];
    if (major == v.major && v.minor <= minor && v.minor >= minor - range) return true;
  }
  return false;
}

}  // namespace

void BoltStub::Serve(int fd, BoltScript script) {
  bolt::ChunkDecoder dec;
  Io io;
  io.fd = fd;
  struct SslFree {
    SSL* ssl;
    ~SslFree() {
      if (ssl != nullptr) SSL_free(ssl);
    }
  } ssl_owner{nullptr};
  const std::string conn = "stub connection " + std::to_string(fd);
  auto finish = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    ++finished_;
    cv_.notify_all();
  };
  auto record = [this](const Structure& m) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back(m);
  };
  // Reads the next client message, answering tolerated RESET/TELEMETRY.
  auto next = [&](Structure* m) {
    for (;;) {
      if (!ReadMessage(io, &dec, m)) return false;
      if (script.tolerate_reset() &&
          (m->tag == bolt::msg::kReset || m->tag == bolt::msg::kTelemetry)) {
        record(*m);
        if (!SendMessage(io, Structure{bolt::msg::kSuccess, {bolt::Value(bolt::Map{})}}))
          return false;
        continue;
      }
      return true;
    }
  };
  if (tls_ctx_ != nullptr) {
    io.ssl = ssl_owner.ssl = SSL_new(tls_ctx_);
    SSL_set_fd(io.ssl, fd);
    if (SSL_accept(io.ssl) != 1) {
      // Expected when a verifying client rejects the certificate.
      Fail(conn + ": TLS handshake failed");
      shutdown(fd, SHUT_RDWR);
      finish();
      return;
    }
  }
  const auto& steps = script.steps();
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    const std::string where = conn + " step " + std::to_string(i) + ": ";
    switch (step.kind) {
      case BoltScript::Step::kHandshake: {
        uint8_t hs[20];
        if (!ReadExact(io, hs, sizeof hs)) {
          Fail(where + "client closed during the handshake");
          finish();
          return;
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          proposals_.emplace_back(hs + 4, hs + 20);
        }
        if (!(hs[0] == 0x60 && hs[1] == 0x60 && hs[2] == 0xB0 && hs[3] == 0x17)) {
          Fail(where + "bad handshake magic");
          finish();
          return;
        }
        bool none = step.version.major == 0;
        if (!none && !Offered(hs + 4, step.version)) {
          Fail(where + "client did not offer " + step.version.ToString());
          none = true;
        }
        Bytes answer = {0, 0, static_cast<uint8_t>(none ? 0 : step.version.minor),
                        static_cast<uint8_t>(none ? 0 : step.version.major)};
        WriteAll(io, answer);
        if (none) {
          shutdown(fd, SHUT_RDWR);
          finish();
          return;
        }
        break;
      }
      case BoltScript::Step::kExpect: {
        Structure m;
        if (!next(&m)) {
          Fail(where + "connection closed while expecting " + bolt::MessageName(step.tag));
          finish();
          return;
        }
        record(m);
        if (m.tag != step.tag) {
          Fail(where + "expected " + bolt::MessageName(step.tag) + ", got " +
               bolt::MessageName(m.tag) + " " + bolt::Value(m).DebugString());
          shutdown(fd, SHUT_RDWR);
          finish();
          return;
        }
        break;
      }
      case BoltScript::Step::kReply:
        SendMessage(io, step.message);
        break;
      case BoltScript::Step::kRaw:
        WriteAll(io, step.raw);
        break;
      case BoltScript::Step::kClose:
        shutdown(fd, SHUT_RDWR);
        finish();
        return;
    }
  }
  finish();
  // After the script: GOODBYE or EOF end the connection quietly.
  Structure m;
  while (next(&m)) {
    record(m);
    if (m.tag == bolt::msg::kGoodbye) break;
    Fail(conn + ": unexpected " + bolt::MessageName(m.tag) +
         " after the end of the script: " + bolt::Value(m).DebugString());
    break;
  }
  shutdown(fd, SHUT_RDWR);
}

}  // namespace taskexec::testing
