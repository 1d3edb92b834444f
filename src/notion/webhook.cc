#include "notion/webhook.h"
#include "notion/notion_client.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace taskexec::notion {
namespace {

constexpr const char* kTokenKey = "notion.webhook.verification_token";

std::string HeaderValue(const std::multimap<std::string, std::string>& headers,
                        const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](unsigned char a, unsigned char b) {
          return std::tolower(a) == std::tolower(b);
        }))
      return v;
  }
  return "";
}

WebhookResult Reply(int status, const std::string& outcome, const std::string& message = "") {
  WebhookResult r;
  r.http_status = status;
  r.outcome = outcome;
  r.body = nlohmann::json{{"outcome", outcome}, {"message", message}}.dump();
  return r;
}

}  // namespace

std::string NotionSignature(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

bool VerifyNotionSignature(const std::string& key, const std::string& body,
                           const std::string& header) {
  if (key.empty()) return false;
  std::string expected = NotionSignature(key, body);
  // Lengths are public (always 71); only the content is compared in
  // constant time.
  if (header.size() != expected.size()) return false;
  return CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

WebhookHandler::WebhookHandler(WebhookOptions options, TaskStore* store, const Clock* clock)
    : options_(std::move(options)), store_(store), clock_(clock) {
  if (store_ != nullptr) {
    std::string token;
    if (store_->GetMeta(kTokenKey, &token).ok()) stored_token_ = token;
  }
}

std::string WebhookHandler::Key() const {
  MutexLock lock(&mu_);
  return options_.secret.empty() ? stored_token_ : options_.secret;
}

bool WebhookHandler::SeenBefore(const std::string& event_id) {
  if (seen_.count(event_id) != 0) return true;
  order_.push_back(event_id);
  seen_[event_id] = std::prev(order_.end());
  while (order_.size() > options_.dedupe_capacity) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return false;
}

bool WebhookHandler::StoredBefore(const std::string& event_id) {
  if (store_ == nullptr) return false;
  // FNV-1a: the same slot for an id in every build and process.
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : event_id) hash = (hash ^ c) * 1099511628211ULL;
  const std::string key = "notion.webhook.seen." + std::to_string(hash % kDedupeSlots);
  std::string held;
  Status st = store_->GetMeta(key, &held);
  if (st.ok() && held == event_id) return true;
  // A store that cannot say treats the event as new: a repeated hint costs
  // one page read, a dropped one a missed change.
  st = store_->SetMeta(key, event_id);
  if (!st.ok())
    spdlog::warn("notion webhook: cannot remember event {}: {}", event_id, st.ToString());
  return false;
}

WebhookResult WebhookHandler::Handle(const std::multimap<std::string, std::string>& headers,
                                     const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Reply(400, "invalid", "body is not a JSON object");
  const std::string signature = HeaderValue(headers, "X-Notion-Signature");

  // The one-time verification request carries the token and no signature.
  if (j.contains("verification_token") && j["verification_token"].is_string() &&
      !j.contains("type")) {
    std::string token = j["verification_token"].get<std::string>();
    MutexLock lock(&mu_);
    if (!options_.secret.empty() || !stored_token_.empty()) {
      spdlog::warn(
          "notion webhook: a verification request arrived but a key is already set; ignored "
          "(set notion.webhook_secret to the new token to switch): {}",
          token);
      return Reply(200, "verification_ignored");
    }
    if (store_ != nullptr) {
      Status st = store_->SetMeta(kTokenKey, token);
      if (!st.ok()) return Reply(503, "error", "cannot store the verification token");
    }
    stored_token_ = token;
    spdlog::warn(
        "notion webhook: verification token received: {} - paste it into the integration's "
        "webhook settings to activate the subscription",
        token);
    return Reply(200, "verification");
  }

  if (!VerifyNotionSignature(Key(), body, signature)) {
    spdlog::warn("notion webhook: refused an event with a missing or wrong X-Notion-Signature");
    return Reply(401, "bad_signature", "invalid signature");
  }
  std::string id = JsonString(j, "id");
  std::string type = JsonString(j, "type");
  TimeMs ts = 0;
  if (!ParseIso8601(JsonString(j, "timestamp"), &ts) || id.empty()) {
    return Reply(400, "invalid", "event without id or timestamp");
  }
  {
    MutexLock lock(&mu_);
    if (SeenBefore(id)) return Reply(200, "duplicate");
  }
  if (StoredBefore(id)) return Reply(200, "duplicate");
  const int64_t late_ms = clock_->NowMs() - ts;
  if (late_ms > options_.late_after_ms) {
    spdlog::warn("notion webhook: event {} ({}) arrived {} s late: a retried delivery", id, type,
                 late_ms / 1000);
  } else if (late_ms < -options_.late_after_ms) {
    spdlog::warn("notion webhook: event {} ({}) is dated {} s ahead of this clock", id, type,
                 -late_ms / 1000);
  }
  WebhookResult r = Reply(200, "accepted");
  const nlohmann::json& entity = j.contains("entity") ? j["entity"] : nlohmann::json();
  if (type.rfind("page.", 0) == 0 && JsonString(entity, "type") == "page" &&
      entity.contains("id") && entity["id"].is_string()) {
    r.page_ids.push_back(entity["id"].get<std::string>());
  } else if (type.find("schema_updated") != std::string::npos) {
    r.schema_changed = true;
  } else {
    r.outcome = "ignored";
  }
  return r;
}

}  // namespace taskexec::notion
