#include "notion/rate_limiter.h"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <nlohmann/json.hpp>

namespace taskexec::notion {

void RealSleeper::SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

RealSleeper* RealSleeper::Default() {
  static RealSleeper sleeper;
  return &sleeper;
}

void InterruptibleSleeper::SleepMs(int64_t ms) {
  MutexLock lock(&mu_);
  cv_.WaitFor(&mu_, std::max<int64_t>(0, ms), [this] {
    mu_.AssertHeld();
    return interrupted_;
  });
}

void InterruptibleSleeper::Interrupt(bool on) {
  {
    MutexLock lock(&mu_);
    interrupted_ = on;
  }
  cv_.SignalAll();
}

int64_t ReserveToken(BucketState* b, TimeMs now, double rate, double capacity) {
  // While paused nothing refills: the bucket restarts empty at the end of the
  // pause, so a Retry-After is not followed by a burst.
  const TimeMs refill_from = std::max(b->last_ms, b->paused_until);
  if (now > refill_from) {
    b->tokens =
        std::min(capacity, b->tokens + static_cast<double>(now - refill_from) * rate / 1000.0);
    b->last_ms = now;
  }
  b->tokens -= 1.0;
  double wait = 0;
  if (b->tokens < 0) wait = -b->tokens * 1000.0 / rate;
  const TimeMs start = std::max(now, b->paused_until);
  const int64_t wait_ms = static_cast<int64_t>(std::ceil(wait)) + (start - now);
  return std::max<int64_t>(0, wait_ms);
}

double TokensAt(const BucketState& b, TimeMs now, double rate, double capacity) {
  if (now < b.paused_until) return std::min(b.tokens, 0.0);
  const TimeMs refill_from = std::max(b.last_ms, b.paused_until);
  if (now <= refill_from) return b.tokens;
  return std::min(capacity, b.tokens + static_cast<double>(now - refill_from) * rate / 1000.0);
}

void PauseBucket(BucketState* b, TimeMs until, TimeMs now) {
  if (until <= b->paused_until) return;
  b->paused_until = until;
  // Drop saved tokens: after the pause requests restart at the steady rate.
  b->tokens = std::min(b->tokens, 0.0);
  b->last_ms = std::max(b->last_ms, now);
}

std::string SharedBucketKey(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string key = "notion.rate.";
  for (int i = 0; i < 8; ++i) {
    key += kHex[digest[i] >> 4];
    key += kHex[digest[i] & 15];
  }
  return key;
}

namespace {

BucketState ParseBucket(const std::string* text, double capacity, TimeMs now) {
  BucketState b{capacity, now, 0};
  if (text == nullptr) return b;
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return b;  // unreadable: start full, as a new bucket does
  auto number = [&](const char* key, double fallback) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
  };
  b.tokens = std::min(capacity, number("tokens", capacity));
  b.last_ms = static_cast<TimeMs>(number("last_ms", static_cast<double>(now)));
  b.paused_until = static_cast<TimeMs>(number("paused_until", 0));
  // Another process's clock ahead of ours must not stop the refill until
  // ours catches up; at worst the bucket refills to its capacity early.
  if (b.last_ms > now) b.last_ms = now;
  return b;
}

std::string BucketText(const BucketState& b) {
  return nlohmann::json{
      {"tokens", b.tokens}, {"last_ms", b.last_ms}, {"paused_until", b.paused_until}}
      .dump();
}

}  // namespace

RateLimiter::RateLimiter(double rate_per_second, double capacity, const Clock* clock,
                         Sleeper* sleeper)
    : rate_(rate_per_second > 0 ? rate_per_second : 1.0),
      capacity_(std::max(1.0, capacity)),
      clock_(clock),
      sleeper_(sleeper),
      bucket_{std::max(1.0, capacity), clock->NowMs(), 0} {}

void RateLimiter::ShareThrough(TaskStore* store, std::string key) {
  MutexLock lock(&mu_);
  shared_store_ = store;
  shared_key_ = std::move(key);
}

Status RateLimiter::ReserveShared(TaskStore* store, const std::string& key, int64_t* wait_ms) {
  std::string written;
  return store->UpdateMeta(
      key,
      [&](const std::string* old) {
        const TimeMs now = clock_->NowMs();
        BucketState b = ParseBucket(old, capacity_, now);
        *wait_ms = ReserveToken(&b, now, rate_, capacity_);
        return BucketText(b);
      },
      &written);
}

TaskStore* RateLimiter::SharedBucket(std::string* key) {
  MutexLock lock(&mu_);
  *key = shared_key_;
  return shared_store_;
}

int64_t RateLimiter::Reserve() {
  std::string key;
  TaskStore* store = SharedBucket(&key);
  if (store != nullptr) {
    int64_t wait_ms = 0;
    Status st = ReserveShared(store, key, &wait_ms);
    if (st.ok()) return wait_ms;
    MutexLock lock(&mu_);
    if (!warned_) {
      warned_ = true;
      spdlog::warn(
          "notion: the shared request budget is unavailable ({}); this process paces "
          "itself alone until the store answers",
          st.ToString());
    }
  }
  MutexLock lock(&mu_);
  return ReserveToken(&bucket_, clock_->NowMs(), rate_, capacity_);
}

double RateLimiter::Available() {
  std::string key;
  TaskStore* store = SharedBucket(&key);
  if (store != nullptr) {
    std::string text;
    Status st = store->GetMeta(key, &text);
    const TimeMs now = clock_->NowMs();
    if (st.ok() || st.IsNotFound()) {
      const BucketState b = ParseBucket(st.ok() ? &text : nullptr, capacity_, now);
      return TokensAt(b, now, rate_, capacity_);
    }
  }
  MutexLock lock(&mu_);
  return TokensAt(bucket_, clock_->NowMs(), rate_, capacity_);
}

void RateLimiter::Acquire() {
  int64_t wait = Reserve();
  if (wait > 0) sleeper_->SleepMs(wait);
}

void RateLimiter::PauseUntil(TimeMs until) {
  TaskStore* store = nullptr;
  std::string key;
  {
    MutexLock lock(&mu_);
    PauseBucket(&bucket_, until, clock_->NowMs());
    store = shared_store_;
    key = shared_key_;
  }
  if (store == nullptr) return;
  // Every process on the token waits out the Retry-After.
  std::string written;
  Status st = store->UpdateMeta(
      key,
      [&](const std::string* old) {
        const TimeMs now = clock_->NowMs();
        BucketState b = ParseBucket(old, capacity_, now);
        PauseBucket(&b, until, now);
        return BucketText(b);
      },
      &written);
  if (!st.ok()) spdlog::warn("notion: could not share a Retry-After pause: {}", st.ToString());
}

}  // namespace taskexec::notion
