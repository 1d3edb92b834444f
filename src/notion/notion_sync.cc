#include "notion/notion_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace taskexec::notion {

NotionSyncOptions SyncOptionsFromConfig(const NotionConfig& config) {
  NotionSyncOptions o;
  o.config = config;
  return o;
}

NotionSync::NotionSync(NotionSyncOptions options, TaskStore* store, TaskService* service,
                       HttpTransport* transport, const Clock* clock, Sleeper* sleeper)
    : options_(std::move(options)),
      store_(store),
      service_(service),
      clock_(clock != nullptr ? clock : SystemClock::Default()),
      sleeper_(sleeper),
      transport_(transport),
      mapping_(PropertyMapping::FromConfig(options_.config)) {
  if (sleeper_ == nullptr) {
    own_sleeper_ = std::make_unique<InterruptibleSleeper>();
    sleeper_ = own_sleeper_.get();
  }
  if (transport_ == nullptr) {
    own_transport_ = std::make_unique<CurlTransport>();
    transport_ = own_transport_.get();
  }
  const NotionConfig& c = options_.config;
  limiter_ = std::make_unique<RateLimiter>(c.requests_per_second * options_.rate_fraction,
                                           options_.burst, clock_, sleeper_);
  // One budget for every process on this token (the store is shared).
  if (store_ != nullptr) limiter_->ShareThrough(store_, SharedBucketKey(c.token));
  NotionClientOptions co = options_.client;
  co.base_url = c.api_base_url;
  while (!co.base_url.empty() && co.base_url.back() == '/') co.base_url.pop_back();
  co.token = c.token;
  co.api_version = c.api_version;
  co.database_id = c.database_id;
  client_ = std::make_unique<NotionClient>(co, transport_, limiter_.get(), clock_, sleeper_);
  inbound_ = std::make_unique<InboundSync>(client_.get(), &mapping_, store_, service_, clock_);
  replies_ = std::make_unique<ReplyCollector>(client_.get(), store_, service_, clock_,
                                              options_.reply_interval_ms);
  outbound_ = std::make_unique<OutboundSync>(
      client_.get(), &mapping_, store_, service_,
      [this](const Status&) -> Status {
        // A refused write that may mean a property changed: look again.
        Status st = Init();
        if (st.ok()) return st;
        spdlog::error("notion: sync paused: {}", st.ToString());
        schema_ok_ = false;
        MutexLock lock(&mu_);
        schema_dirty_ = true;
        return st;
      },
      clock_);
  // Progress comments use spare budget only: a request leaves at least one
  // token, so a status write right after it is not held up.
  progress_ = std::make_unique<ProgressComments>(
      client_.get(), store_, static_cast<int64_t>(c.progress_interval_seconds) * 1000,
      [this] { return limiter_->Available() >= kProgressReserveTokens; }, clock_);
  WebhookOptions wo;
  wo.secret = c.webhook_secret;
  wo.late_after_ms = options_.webhook_late_after_ms;
  webhook_ = std::make_unique<WebhookHandler>(wo, store_, clock_);
}

NotionSync::~NotionSync() { Stop(); }

Status NotionSync::Init() {
  const NotionConfig& c = options_.config;
  if (c.token.empty()) return Status::InvalidArgument("notion: NOTION_TOKEN is not set");
  if (c.database_id.empty())
    return Status::InvalidArgument("notion: NOTION_TASK_DATABASE_ID is not set");
  Json props;
  Status st = client_->RetrieveSchema(&props);
  if (!st.ok()) {
    return Status(
        st.code() == Status::Code::kNotFound
            ? Status::NotFound("notion database " + c.database_id +
                               " not found or not shared with the integration: " + st.message())
            : st);
  }
  PropertyMapping fresh = PropertyMapping::FromConfig(c);
  std::vector<std::string> warnings;
  st = fresh.ValidateSchema(props, &warnings);
  for (const auto& w : warnings) spdlog::warn("notion: {}", w);
  if (!st.ok()) {
    schema_ok_ = false;
    return st;
  }
  mapping_ = fresh;
  schema_ok_ = true;
  return Status::OK();
}

Status NotionSync::RecheckSchema() {
  Status st = Init();
  if (st.ok()) {
    spdlog::info("notion: schema valid again; sync resumes");
  } else {
    spdlog::error("notion: sync paused: {}", st.ToString());
  }
  return st;
}

Status NotionSync::CheckSchemaIfNeeded() {
  bool dirty;
  {
    MutexLock lock(&mu_);
    dirty = schema_dirty_;
    schema_dirty_ = false;
  }
  if (dirty || !schema_ok_) return RecheckSchema();
  return Status::OK();
}

Status NotionSync::DrainWebhookPages() {
  std::deque<std::string> pages;
  {
    MutexLock lock(&mu_);
    pages.swap(webhook_pages_);
    webhook_queued_.clear();
  }
  Status first;
  for (const std::string& id : pages) {
    Status st = inbound_->FetchPage(id);
    if (!st.ok()) {
      spdlog::warn("notion: webhook fetch of page {} failed: {}", id, st.ToString());
      if (first.ok()) first = st;
    }
  }
  return first;
}

Status NotionSync::FlushPending() {
  // A cancel that landed may complete a person's move (store-only work).
  Status first = inbound_->ResolveIntents();
  if (!first.ok()) spdlog::warn("notion: board moves pending: {}", first.ToString());
  if (!schema_ok_) return first;
  // The counter is read before the flush: a change committed while the
  // flush runs (an attempt ending) must leave it behind, so the next turn
  // flushes again. The flush's own writes cost one more, empty, flush.
  int64_t counter = 0;
  const bool counted = store_->ChangeCounter(&counter).ok();
  Status st = outbound_->Flush();
  if (st.ok()) {
    if (counted) last_change_counter_ = counter;
  } else {
    spdlog::warn("notion: outbox flush incomplete, will retry: {}", st.ToString());
    if (first.ok()) first = st;
  }
  return first;
}

Status NotionSync::SyncOnce(bool full_scan) {
  if (Status st = CheckSchemaIfNeeded(); !st.ok()) return st;
  Status first = DrainWebhookPages();
  bool scan = full_scan || (options_.full_scan_every > 0 && polls_ > 0 &&
                            polls_ % options_.full_scan_every == 0);
  ++polls_;
  Status st = scan ? inbound_->FullScan() : inbound_->Poll();
  if (!st.ok()) {
    spdlog::warn("notion: {} failed: {}", scan ? "full scan" : "poll", st.ToString());
    if (first.ok()) first = st;
  }
  st = replies_->Collect();
  if (!st.ok()) {
    spdlog::warn("notion: reading answers to agents' questions failed: {}", st.ToString());
    if (first.ok()) first = st;
  }
  st = FlushPending();
  if (!st.ok() && first.ok()) first = st;
  return first;
}

Status NotionSync::FlushOutbox(std::chrono::milliseconds budget) {
  if (thread_.joinable())
    return Status::InvalidArgument("notion: FlushOutbox() while the sync loop runs; Stop() first");
  if (!schema_ok_)
    return Status::Unavailable("notion: schema not valid; the outbox stays for the next start");
  const int64_t budget_ms = std::max<int64_t>(1, budget.count());
  const int64_t deadline = MonotonicMs() + budget_ms;
  // No request starts after the deadline and none outlives it; the watchdog
  // also ends waits the deadline does not shorten (a Retry-After pause).
  client_->SetDeadline(deadline);
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(m);
    if (cv.wait_for(lock, std::chrono::milliseconds(budget_ms), [&] { return done; })) return;
    client_->SetCancelled(true);
    if (own_sleeper_) own_sleeper_->Interrupt(true);
  });
  Status st = FlushPending();
  {
    std::lock_guard<std::mutex> lock(m);
    done = true;
  }
  cv.notify_all();
  watchdog.join();
  client_->SetDeadline(0);
  client_->SetCancelled(false);
  if (own_sleeper_) own_sleeper_->Interrupt(false);
  if (!st.ok() && MonotonicMs() >= deadline) {
    return Status::Unavailable(
        "notion: outbox flush stopped after " + std::to_string(budget_ms) +
        " ms; the rest stays in the outbox for the next start: " + st.message());
  }
  return st;
}

Status NotionSync::Start() {
  if (thread_.joinable()) return Status::OK();
  {
    MutexLock lock(&mu_);
    stop_ = false;
    wake_poll_ = true;  // first round at once
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void NotionSync::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (!thread_.joinable()) return;
  // A round may be waiting out a Retry-After or a backoff: end it now. What
  // it did not write stays in the outbox for the next start.
  client_->SetCancelled(true);
  if (own_sleeper_) own_sleeper_->Interrupt(true);
  thread_.join();
  client_->SetCancelled(false);
  if (own_sleeper_) own_sleeper_->Interrupt(false);
}

WebhookResult NotionSync::HandleWebhook(const std::multimap<std::string, std::string>& headers,
                                        const std::string& body) {
  WebhookResult r = webhook_->Handle(headers, body);
  if (!r.page_ids.empty() || r.schema_changed) {
    {
      MutexLock lock(&mu_);
      // Several events for one page cost one fetch.
      for (const auto& id : r.page_ids)
        if (webhook_queued_.insert(CompactId(id)).second) webhook_pages_.push_back(id);
      if (r.schema_changed) schema_dirty_ = true;
    }
    cv_.SignalAll();
  }
  return r;
}

void NotionSync::TickProgress() {
  if (!schema_ok_ || !progress_->enabled()) return;
  Status st = progress_->Tick();
  // Tried every round: during an outage, say so once a minute, not each time.
  if (!st.ok() && MonotonicMs() - progress_warned_ms_ >= 60000) {
    progress_warned_ms_ = MonotonicMs();
    spdlog::warn("notion: progress comments wait: {}", st.ToString());
  }
}

void NotionSync::Loop() {
  const int64_t poll_ms = std::max(1, options_.config.poll_interval_seconds) * 1000LL;
  int64_t next_poll = MonotonicMs();
  while (true) {
    bool poll = false;
    bool webhook = false;
    {
      MutexLock lock(&mu_);
      // While the schema is invalid, queued pages wait for the next poll
      // (which re-checks it first) instead of waking the loop again and again.
      auto pages_ready = [this] {
        mu_.AssertHeld();
        return !webhook_pages_.empty() && schema_ok_;
      };
      auto wanted = [&] {
        mu_.AssertHeld();
        return stop_ || wake_poll_ || pages_ready() || schema_dirty_;
      };
      int64_t wait = std::min(options_.outbound_interval_ms, next_poll - MonotonicMs());
      if (wait > 0) cv_.WaitFor(&mu_, wait, wanted);
      if (stop_) return;
      poll = wake_poll_ || MonotonicMs() >= next_poll;
      wake_poll_ = false;
      webhook = pages_ready() || schema_dirty_;
    }
    if (poll) {
      SyncOnce();  // logs its own errors; its flush updates last_change_counter_
      TickProgress();
      next_poll = MonotonicMs() + poll_ms;
      continue;
    }
    if (webhook) {
      if (!CheckSchemaIfNeeded().ok()) continue;  // paused (logged); the next poll retries
      DrainWebhookPages();
    }
    // Outbox: only when something in the store changed (or we cannot tell).
    int64_t counter = 0;
    Status cs = store_->ChangeCounter(&counter);
    if (schema_ok_ && (!cs.ok() || counter != last_change_counter_ || webhook)) FlushPending();
    TickProgress();
  }
}

Status NotionSync::Health() const {
  if (!schema_ok_)
    return Status::Unavailable("the board's schema does not match the mapping: writes paused");
  const ClientStats stats = client_->stats();
  if (stats.last_failure_at > stats.last_answer_at &&
      clock_->NowMs() - stats.last_answer_at >= kUnreachableAfterMs) {
    const std::string since =
        stats.last_answer_at == 0
            ? std::string("since the service started")
            : "for " + std::to_string((clock_->NowMs() - stats.last_answer_at) / 1000) + " s";
    return Status::Unavailable("no answer from Notion " + since + " (" +
                               std::to_string(stats.server_errors) +
                               " requests failed or got 5xx since the start)");
  }
  return Status::OK();
}

}  // namespace taskexec::notion
