// FakeLauncher: an AgentLauncher that starts nothing. It records each
// Start, Cancel and orphan kill, and the test ends attempts when it wants
// with the result it wants (Finish), so engine tests need no child
// processes and wait on events, not on time.
//
// Like the real launcher it reports each attempt once -- a cancelled one at
// once as kCancelled from another thread, the rest at Shutdown -- and
// refuses a second Start of one execution id.
//
// Thread-safety: every method locks mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runner/agent_launcher.h"

namespace taskexec {

class FakeLauncher : public AgentLauncher {
 public:
  ~FakeLauncher() override {
    for (std::thread& t : threads_) t.join();
  }

  std::string LogPath(const std::string& execution_id) const override {
    return "/nonexistent/taskexec-fake/" + execution_id + ".log";
  }

  Status Start(const AgentJob& job, DoneCallback done, int64_t* pid) override {
    std::lock_guard<std::mutex> l(mu_);
    if (!start_errors_.empty()) {
      Status s = start_errors_.front();
      start_errors_.erase(start_errors_.begin());
      ++refused_;
      cv_.notify_all();
      return s;
    }
    const std::string& id = job.execution.id;
    if (running_.count(id)) return Status::Conflict("execution " + id + " is already running");
    running_[id] = done;
    started_.push_back(job);
    max_running_ = std::max(max_running_, running_.size());
    *pid = 100000 + static_cast<int64_t>(started_.size());
    cv_.notify_all();
    return Status::OK();
  }

  Status Cancel(const std::string& execution_id) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = running_.find(execution_id);
    if (it == running_.end()) return Status::NotFound("not running: " + execution_id);
    cancels_.push_back(execution_id);
    DoneCallback done = it->second;
    running_.erase(it);
    threads_.emplace_back([done] { done(Cancelled()); });
    cv_.notify_all();
    return Status::OK();
  }

  void Shutdown(int64_t) override {
    std::map<std::string, DoneCallback> rest;
    {
      std::lock_guard<std::mutex> l(mu_);
      rest.swap(running_);
      shut_down_ = true;
    }
    for (auto& [id, done] : rest) done(Cancelled());
  }

  bool KillOrphan(const SessionExecution&) override { return false; }  // runs nothing

  AttemptProgress Progress(const std::string& execution_id) const override {
    std::lock_guard<std::mutex> l(mu_);
    if (running_.count(execution_id) == 0) return {};
    auto it = output_at_.find(execution_id);
    return it == output_at_.end() ? AttemptProgress{} : it->second;
  }

  // ---- the test's side ------------------------------------------------------

  // The running attempt's agent "wrote output" at `at`, its last meaningful
  // line being `line` (Progress).
  void Output(const std::string& execution_id, TimeMs at, std::string line = "") {
    std::lock_guard<std::mutex> l(mu_);
    output_at_[execution_id] = AttemptProgress{at, std::move(line)};
  }

  Status CheckFiles() const override {
    std::lock_guard<std::mutex> l(mu_);
    ++files_checked_;
    return files_status_;
  }
  // The fences the engine armed, in order: {fence_in_ms, grace_ms}.
  void LeaseRenewed(int64_t fence_in_ms, int64_t grace_ms) override {
    std::lock_guard<std::mutex> l(mu_);
    fences_.emplace_back(fence_in_ms, grace_ms);
  }
  std::vector<std::pair<int64_t, int64_t>> fences() const {
    std::lock_guard<std::mutex> l(mu_);
    return fences_;
  }

  // Results kept for attempts that ended while their service was down, as
  // the outcome file keeps them; OutcomeRecorded forgets one.
  bool EndedWhileAway(const SessionExecution& execution, AgentResult* result) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = kept_.find(execution.id);
    if (it == kept_.end()) return false;
    *result = it->second;
    return true;
  }
  void OutcomeRecorded(const SessionExecution& execution) override {
    std::lock_guard<std::mutex> l(mu_);
    kept_.erase(execution.id);
  }
  void KeepResult(const std::string& execution_id, AgentResult result) {
    std::lock_guard<std::mutex> l(mu_);
    kept_[execution_id] = std::move(result);
  }
  size_t kept() const {
    std::lock_guard<std::mutex> l(mu_);
    return kept_.size();
  }

  // What CheckFiles answers from now on.
  void SetFilesStatus(Status s) {
    std::lock_guard<std::mutex> l(mu_);
    files_status_ = std::move(s);
  }
  int files_checked() const {
    std::lock_guard<std::mutex> l(mu_);
    return files_checked_;
  }

  // The next Start calls fail with these, in order.
  void FailNextStarts(std::vector<Status> errors) {
    std::lock_guard<std::mutex> l(mu_);
    start_errors_ = std::move(errors);
  }

  // Waits until `n` attempts have started; returns the nth (1-based) job, or
  // an empty job after 60 s.
  AgentJob WaitStarted(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(60), [&] { return started_.size() >= n; });
    return started_.size() >= n ? started_[n - 1] : AgentJob{};
  }
  bool WaitRefused(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] { return refused_ >= n; });
  }
  bool WaitCancelled(const std::string& execution_id) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] {
      return std::find(cancels_.begin(), cancels_.end(), execution_id) != cancels_.end();
    });
  }

  // Ends a running attempt with `result`, from the caller's thread (the
  // engine queues it to its loop). False if it is not running.
  bool Finish(const std::string& execution_id, const AgentResult& result) {
    DoneCallback done;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = running_.find(execution_id);
      if (it == running_.end()) return false;
      done = it->second;
      running_.erase(it);
    }
    done(result);
    return true;
  }

  size_t started() const {
    std::lock_guard<std::mutex> l(mu_);
    return started_.size();
  }
  size_t max_running() const {
    std::lock_guard<std::mutex> l(mu_);
    return max_running_;
  }
  bool shut_down() const {
    std::lock_guard<std::mutex> l(mu_);
    return shut_down_;
  }

  static AgentResult Completed(const std::string& summary) {
    AgentResult r;
    r.status = ExecutionStatus::kCompleted;
    r.summary = summary;
    r.exit_code = 0;
    return r;
  }
  static AgentResult Failed(ErrorType type, const std::string& error, bool retryable) {
    AgentResult r;
    r.status = ExecutionStatus::kFailed;
    r.error_type = type;
    r.error = error;
    r.retryable = retryable;
    r.exit_code = 1;
    return r;
  }
  static AgentResult Cancelled() {
    AgentResult r;
    r.status = ExecutionStatus::kCancelled;
    r.error_type = ErrorType::kCancelled;
    r.error = "stopped";
    return r;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, DoneCallback> running_;
  std::map<std::string, AttemptProgress> output_at_;
  std::vector<AgentJob> started_;
  std::vector<std::string> cancels_;
  std::vector<Status> start_errors_;
  std::vector<std::thread> threads_;
  size_t max_running_ = 0;
  int refused_ = 0;
  Status files_status_;
  std::map<std::string, AgentResult> kept_;
  std::vector<std::pair<int64_t, int64_t>> fences_;
  mutable int files_checked_ = 0;
  bool shut_down_ = false;
};

}  // namespace taskexec
