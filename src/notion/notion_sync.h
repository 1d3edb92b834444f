// NotionSync: the two-way sync between a Notion task board and the store,
// composed of the client, the mapping, InboundSync, OutboundSync and the
// webhook handler, with its own background thread.
//
// The loop: every poll interval an incremental poll (every Nth a full scan
// that also catches deleted pages) and the intents of moved cards; every
// outbound interval (when the store changed) an outbox flush, then the
// running attempts' progress comments that are due (progress_comments.h);
// at once, the pages named by accepted webhook events. Progress comments
// are written by the loop only, not by SyncOnce() or FlushOutbox(). Errors are logged and retried
// on the next round; nothing in the loop stops the service.
//
// Init() must succeed before SyncOnce()/Start(): it resolves the table and
// validates the schema, failing with a message naming the property. If the
// schema breaks while running (a property renamed), writes pause and the
// schema is re-checked every poll until it is valid again.
//
// Shutdown: Stop(), then FlushOutbox(budget) for a last, time-bounded write
// of what the store changed (SyncOnce() would also poll Notion and may spend
// the whole retry budget). Whatever the budget does not cover stays in the
// outbox, which lives in the store: the next start writes it.
//
// Thread-safety: Start/Stop/Init/SyncOnce/FlushOutbox from one owning thread
// (SyncOnce and FlushOutbox not while started); HandleWebhook() from any
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "api/task_service.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "notion/http_transport.h"
#include "notion/inbound_sync.h"
#include "notion/notion_client.h"
#include "notion/outbound_sync.h"
#include "notion/progress_comments.h"
#include "notion/property_mapping.h"
#include "notion/rate_limiter.h"
#include "notion/reply_collector.h"
#include "notion/webhook.h"
#include "store/task_store.h"

namespace taskexec::notion {

struct NotionSyncOptions {
  NotionConfig config;
  int64_t outbound_interval_ms = 1000;  // how often the store is checked for changes
  int full_scan_every = 10;             // every Nth poll is a full scan (0 = never)
  double rate_fraction = 0.9;           // of config.requests_per_second, see rate_limiter.h
  double burst = 3;
  int64_t webhook_late_after_ms = 5 * 60 * 1000;  // older signed events are logged as late
  // How often a waiting (needs_input) task's comments are read for a
  // person's answer (reply_collector.h).
  int64_t reply_interval_ms = 30000;
  NotionClientOptions client;  // base_url/token/version/database filled from config
};

// Options from a Config section with the defaults above.
NotionSyncOptions SyncOptionsFromConfig(const NotionConfig& config);

class NotionSync {
 public:
  // `transport` may be null (a CurlTransport is made). `clock`/`sleeper`
  // null = system ones. Store, service and transport must outlive this.
  NotionSync(NotionSyncOptions options, TaskStore* store, TaskService* service,
             HttpTransport* transport = nullptr, const Clock* clock = nullptr,
             Sleeper* sleeper = nullptr);
  ~NotionSync();  // Stop()s.
  NotionSync(const NotionSync&) = delete;
  NotionSync& operator=(const NotionSync&) = delete;

  // Checks token, database and schema mapping. Warnings go to the log.
  Status Init();
  // One round: queued webhook pages, poll (or full scan), intents, outbox
  // flush.
  Status SyncOnce(bool full_scan = false);
  // Only the store-side work and the outbox: resolves intents and flushes,
  // with no poll, no scan and no webhook fetches. Gives up once `budget` has
  // passed (no request starts after it, a request in flight is cut at it,
  // retry and Retry-After waits end) and returns Unavailable; what was not
  // written stays in the outbox for the next start. Unavailable at once when
  // the schema is not valid (Init() failed or a write found it broken).
  // Not while started: call Stop() first. Meant for the last flush at
  // shutdown.
  Status FlushOutbox(std::chrono::milliseconds budget);
  // Runs rounds on a background thread until Stop().
  Status Start();
  void Stop();
  // For the HTTP server's raw handler. The pages named by accepted events
  // are queued (once each until fetched) for the loop's next round, or for
  // the next SyncOnce() when the loop is not running; never fetched inline.
  WebhookResult HandleWebhook(const std::multimap<std::string, std::string>& headers,
                              const std::string& body);

  NotionClient* client() { return client_.get(); }
  // OK while the board's schema matches the mapping and Notion answers;
  // Unavailable saying what is wrong otherwise: the schema broke (writes
  // paused), or every request of the last kUnreachableAfterMs failed (no
  // answer, or 5xx). Any thread.
  Status Health() const;
  static constexpr int64_t kUnreachableAfterMs = 5 * 60 * 1000;
  const InboundStats& inbound_stats() const { return inbound_->stats(); }
  const OutboundStats& outbound_stats() const { return outbound_->stats(); }
  const ProgressStats& progress_stats() const { return progress_->stats(); }

 private:
  void Loop();
  // Re-checks the schema when flagged (webhook, refused write) or invalid.
  Status CheckSchemaIfNeeded();
  Status DrainWebhookPages();
  // Intents, then (schema valid) the outbox flush; on success remembers the
  // store's change counter so the loop skips idle flushes.
  Status FlushPending();
  Status RecheckSchema();
  // The progress comments due (progress_comments.h), after the outbox.
  void TickProgress();
  // Tokens the rate limiter must hold for a progress request to go out.
  static constexpr double kProgressReserveTokens = 2.0;

  NotionSyncOptions options_;
  TaskStore* store_;
  TaskService* service_;
  const Clock* clock_;
  Sleeper* sleeper_;
  std::unique_ptr<InterruptibleSleeper> own_sleeper_;  // when none is injected
  std::unique_ptr<HttpTransport> own_transport_;
  HttpTransport* transport_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<NotionClient> client_;
  PropertyMapping mapping_;
  std::unique_ptr<InboundSync> inbound_;
  std::unique_ptr<OutboundSync> outbound_;
  std::unique_ptr<ReplyCollector> replies_;
  std::unique_ptr<ProgressComments> progress_;
  int64_t progress_warned_ms_ = -60000;  // when a failed progress round was last logged
  std::unique_ptr<WebhookHandler> webhook_;
  std::atomic<bool> schema_ok_{false};
  int polls_ = 0;
  int64_t last_change_counter_ = -1;

  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool wake_poll_ GUARDED_BY(mu_) = false;  // first round at once
  bool schema_dirty_ GUARDED_BY(mu_) = false;
  std::deque<std::string> webhook_pages_ GUARDED_BY(mu_);
  std::unordered_set<std::string> webhook_queued_ GUARDED_BY(mu_);  // compact ids in webhook_pages_
  std::thread thread_;
};

}  // namespace taskexec::notion
