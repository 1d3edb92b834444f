// Notion integration webhooks: the verification handshake, the
// X-Notion-Signature check (HMAC-SHA256 of the raw body keyed with the
// verification token, compared in constant time) and de-duplication by
// event id. Events are hints: the handler only returns the page ids to
// re-read; NotionSync fetches them at once.
//
// Every correctly signed event is accepted however late: Notion retries a
// failed delivery with the event's original timestamp, so refusing old ones
// would refuse every retry after an outage; the signature is the
// authentication, and a replay is only a hint to re-read a page. A late or
// future-dated event is logged with how far off it was. Event ids are
// remembered in memory (dedupe_capacity, least recent forgotten) and in the
// store (kDedupeSlots meta slots, chosen by the id's hash: a later id in
// the same slot evicts an earlier one), so a retry after a restart is still
// known.
//
// Key: NotionConfig.webhook_secret when set; otherwise the verification token
// Notion posted first (stored durably and logged for the owner, who pastes it
// into the integration settings). A later verification post never replaces a
// stored token, so nobody can swap the key by posting one.
//
// Thread-safety: Handle() is safe from several server threads at once.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "store/task_store.h"

namespace taskexec::notion {

struct WebhookResult {
  int http_status = 200;
  std::string body = "{}";
  std::string outcome;                // "verification", "accepted", "duplicate", "ignored", ...
  std::vector<std::string> page_ids;  // pages to re-read now
  bool schema_changed = false;        // re-validate the schema
};

// The store slots that remember webhook event ids across restarts.
constexpr size_t kDedupeSlots = 4096;

struct WebhookOptions {
  std::string secret;                     // NotionConfig.webhook_secret
  int64_t late_after_ms = 5 * 60 * 1000;  // older events are logged as late
  size_t dedupe_capacity = 10000;         // event ids remembered in memory
};

// "sha256=" + lower-case hex HMAC-SHA256(key, body).
std::string NotionSignature(const std::string& key, const std::string& body);
// Constant-time check of a header value against the expected signature.
bool VerifyNotionSignature(const std::string& key, const std::string& body,
                           const std::string& header);

class WebhookHandler {
 public:
  // `store` keeps the verification token (may be null: memory only).
  WebhookHandler(WebhookOptions options, TaskStore* store, const Clock* clock);

  // `headers`: names in any case. `body`: the raw bytes as received.
  WebhookResult Handle(const std::multimap<std::string, std::string>& headers,
                       const std::string& body);

  // The key in use ("" until configured or verified).
  std::string Key() const;

 private:
  bool SeenBefore(const std::string& event_id) REQUIRES(mu_);  // records it
  // The store's record of an event id (its slot holds it); records it.
  bool StoredBefore(const std::string& event_id);

  const WebhookOptions options_;
  TaskStore* store_;
  const Clock* clock_;
  mutable Mutex mu_;
  std::string stored_token_ GUARDED_BY(mu_);
  std::list<std::string> order_ GUARDED_BY(mu_);  // oldest first
  std::unordered_map<std::string, std::list<std::string>::iterator> seen_ GUARDED_BY(mu_);
};

}  // namespace taskexec::notion
