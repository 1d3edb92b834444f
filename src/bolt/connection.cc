#include "bolt/connection.h"

#include <string>

#include "bolt/errors.h"
#include "core/clock.h"

namespace taskexec::bolt {

Status Connection::Open(const std::string& host, int port, const ConnectionConfig& config,
                        std::unique_ptr<Connection>* out) {
  std::unique_ptr<Connection> c(new Connection());
  c->address_ = host + ":" + std::to_string(port);
  c->max_minor_5_ = config.max_minor_5;
  if (Status s = ConnectTransport(host, port, config.transport, &c->transport_); !s.ok()) return s;
  if (Status s = c->Handshake(); !s.ok()) return s;
  if (Status s = c->Authenticate(config); !s.ok()) return s;
  *out = std::move(c);
  return Status::OK();
}

Connection::~Connection() {
  if (transport_) transport_->Close();
}

Status Connection::Broken(Status s) {
  broken_ = true;
  if (transport_) transport_->Close();
  return s;
}

Status Connection::Handshake() {
  // Magic, then four proposals "00 range minor major": 5.max..5.0, 4.4.
  uint8_t hello[20] = {0x60,
                       0x60,
                       0xB0,
                       0x17,
                       0x00,
                       static_cast<uint8_t>(max_minor_5_),
                       static_cast<uint8_t>(max_minor_5_),
                       5,
                       0x00,
                       0x00,
                       0x04,
                       0x04,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0};
  if (Status s = transport_->WriteAll(hello, sizeof hello); !s.ok()) return Broken(s);
  uint8_t answer[4];
  size_t have = 0;
  while (have < 4) {
    size_t got = 0;
    if (Status s = transport_->ReadSome(answer + have, 4 - have, &got); !s.ok()) {
      return Broken(Status::Unavailable("Bolt handshake with " + address_ + ": " + s.message()));
    }
    have += got;
  }
  Version v{answer[3], answer[2]};
  if (v.major == 0 && v.minor == 0) {
    return Broken(Status::Unavailable("Bolt handshake with " + address_ +
                                      ": the server supports none of the offered versions "
                                      "(5.0-5." +
                                      std::to_string(max_minor_5_) + ", 4.4)"));
  }
  bool offered = (v.major == 5 && v.minor <= max_minor_5_) || (v.major == 4 && v.minor == 4);
  if (answer[0] != 0 || answer[1] != 0 || !offered) {
    return Broken(Status::Corruption("Bolt handshake with " + address_ +
                                     ": the server chose an unoffered version " + v.ToString()));
  }
  version_ = v;
  return Status::OK();
}

Status Connection::Authenticate(const ConnectionConfig& config) {
  Map meta;
  Status s =
      Request(Hello(version_, config.user_agent, config.routing_context, config.auth), &meta);
  if (s.ok()) {
    server_agent_ = meta.Find("server") ? meta.Find("server")->StringOr("") : "";
    connection_id_ = meta.Find("connection_id") ? meta.Find("connection_id")->StringOr("") : "";
    if (version_ >= Version{5, 1}) s = Request(Logon(config.auth), &meta);
  }
  // The server closes the connection after an auth failure: never reuse it.
  if (!s.ok()) return Broken(s);
  return Status::OK();
}

Status Connection::Send(const Structure& message) {
  if (broken_) return Status::Unavailable("Bolt connection to " + address_ + " is broken");
  Bytes body;
  if (Status s = EncodeMessage(message, &body); !s.ok()) return s;
  AppendChunked(body, &out_);
  ++pending_;
  return Status::OK();
}

Status Connection::Flush() {
  if (broken_) return Status::Unavailable("Bolt connection to " + address_ + " is broken");
  if (out_.empty()) return Status::OK();
  Status s = transport_->WriteAll(out_.data(), out_.size());
  out_.clear();
  if (!s.ok())
    return Broken(Status::Unavailable("Bolt connection to " + address_ + ": " + s.message()));
  return Status::OK();
}

Status Connection::Receive(Structure* message) {
  if (broken_) return Status::Unavailable("Bolt connection to " + address_ + " is broken");
  Bytes body;
  while (!decoder_.Next(&body)) {
    uint8_t buf[16384];
    size_t got = 0;
    if (Status s = transport_->ReadSome(buf, sizeof buf, &got); !s.ok()) {
      return Broken(Status::Unavailable("Bolt connection to " + address_ + ": " + s.message()));
    }
    if (Status s = decoder_.Feed(buf, got); !s.ok()) return Broken(s);
  }
  if (Status s = DecodeMessage(body, message); !s.ok()) return Broken(s);
  last_used_ms_ = MonotonicMs();
  return Status::OK();
}

Status Connection::ReadSummary(Map* metadata, const std::function<void(List&&)>& on_record) {
  for (;;) {
    Structure m;
    if (Status s = Receive(&m); !s.ok()) return s;
    if (m.tag == msg::kRecord) {
      if (m.fields.size() != 1 || !m.fields[0].is_list()) {
        return Broken(Status::Corruption("Bolt: malformed RECORD"));
      }
      if (on_record) on_record(std::move(m.fields[0].as_list()));
      continue;
    }
    --pending_;
    if (m.tag == msg::kSuccess) {
      if (metadata != nullptr) {
        *metadata = (!m.fields.empty() && m.fields[0].is_map()) ? m.fields[0].as_map() : Map{};
      }
      return Status::OK();
    }
    if (m.tag == msg::kFailure) {
      // The failure is the caller's answer even if recovery then fails
      // (which leaves the connection broken).
      Status failure = FailureToStatus(ParseFailure(m));
      (void)Recover();
      return failure;
    }
    if (m.tag == msg::kIgnored) {
      return Status::Internal("Bolt: request to " + address_ + " was IGNORED");
    }
    return Broken(
        Status::Corruption("Bolt: unexpected " + MessageName(m.tag) + " from " + address_));
  }
}

Status Connection::Recover() {
  // Every request pipelined after the failing one is answered IGNORED.
  while (pending_ > 0) {
    Structure m;
    if (Status s = Receive(&m); !s.ok()) return s;
    if (m.tag == msg::kRecord) continue;
    --pending_;
  }
  if (Status s = Send(bolt::Reset()); !s.ok()) return s;
  if (Status s = Flush(); !s.ok()) return s;
  Structure m;
  if (Status s = Receive(&m); !s.ok()) return s;
  --pending_;
  if (m.tag != msg::kSuccess) {
    return Broken(
        Status::Unavailable("Bolt: RESET answered " + MessageName(m.tag) + " by " + address_));
  }
  return Status::OK();
}

Status Connection::Request(const Structure& message, Map* success_metadata) {
  if (Status s = Send(message); !s.ok()) return s;
  if (Status s = Flush(); !s.ok()) return s;
  return ReadSummary(success_metadata, nullptr);
}

Status Connection::Reset() { return Request(bolt::Reset(), nullptr); }

Status Connection::Run(const std::string& query, const Map& params, const Map& extra,
                       int64_t fetch_size, QueryResult* out) {
  if (fetch_size == 0) fetch_size = -1;
  *out = QueryResult{};
  if (Status s = Send(bolt::Run(query, params, extra)); !s.ok()) return s;
  if (Status s = Send(Pull(fetch_size)); !s.ok()) return s;
  if (Status s = Flush(); !s.ok()) return s;
  Map run_meta;
  if (Status s = ReadSummary(&run_meta, nullptr); !s.ok()) return s;
  if (const Value* fields = run_meta.Find("fields"); fields && fields->is_list()) {
    for (const auto& f : fields->as_list()) out->keys.push_back(f.StringOr(""));
  }
  auto on_record = [out](List&& r) { out->records.push_back(std::move(r)); };
  for (;;) {
    Map pull_meta;
    if (Status s = ReadSummary(&pull_meta, on_record); !s.ok()) return s;
    const Value* more = pull_meta.Find("has_more");
    if (more && more->is_bool() && more->as_bool()) {
      if (Status s = Send(Pull(fetch_size)); !s.ok()) return s;
      if (Status s = Flush(); !s.ok()) return s;
      continue;
    }
    out->summary = std::move(pull_meta);
    return Status::OK();
  }
}

Status Connection::RunDiscard(const std::string& query, const Map& params, const Map& extra,
                              Map* summary) {
  if (Status s = Send(bolt::Run(query, params, extra)); !s.ok()) return s;
  if (Status s = Send(Discard(-1)); !s.ok()) return s;
  if (Status s = Flush(); !s.ok()) return s;
  if (Status s = ReadSummary(nullptr, nullptr); !s.ok()) return s;
  return ReadSummary(summary, nullptr);
}

void Connection::Close() {
  if (!broken_ && transport_) {
    if (Send(Goodbye()).ok()) (void)Flush();
  }
  broken_ = true;
  if (transport_) transport_->Close();
}

}  // namespace taskexec::bolt
