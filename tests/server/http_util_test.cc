#include "server/http_util.h"

#include <gtest/gtest.h>

#include "server/metrics.h"

namespace taskexec {
namespace {

TEST(HttpUtilTest, ParseListenAddress) {
  ListenAddress a;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:8080", &a).ok());
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  ASSERT_TRUE(ParseListenAddress("[::1]:0", &a).ok());
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 0);
  ASSERT_TRUE(ParseListenAddress("localhost:9", &a).ok());
  EXPECT_EQ(a.host, "localhost");
  for (const char* bad : {"", "8080", ":8080", "host:", "host:x", "host:65536", "host:-1", "::1:80",
                          "[::1]80", "[::1", "host:80x"}) {
    Status s = ParseListenAddress(bad, &a);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
    EXPECT_NE(s.message().find("server.listen"), std::string::npos);
  }
}

TEST(HttpUtilTest, Loopback) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h :
       {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.com", "", "localhost.x"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(HttpUtilTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), "a"));
}

TEST(HttpUtilTest, StatusMapping) {
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(Status::Conflict("x")), 409);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusFor(Status::IOError("x")), 503);  // a full disk passes
  EXPECT_STREQ(ErrorCodeFor(Status::IOError("x")), "unavailable");
  EXPECT_EQ(HttpStatusFor(Status::Corruption("x")), 500);
  EXPECT_EQ(HttpStatusFor(Status::Internal("x")), 500);
  EXPECT_STREQ(ErrorCodeFor(Status::NotFound("x")), "not_found");
  EXPECT_STREQ(ErrorCodeFor(Status::InvalidArgument("x")), "invalid_argument");
  EXPECT_STREQ(ErrorCodeFor(Status::Conflict("x")), "conflict");
  EXPECT_STREQ(ErrorCodeFor(Status::Unavailable("x")), "unavailable");
  EXPECT_STREQ(ErrorCodeFor(Status::Corruption("x")), "internal");
}

TEST(MetricsTest, PrometheusText) {
  ServiceStatus s;
  s.engine_running = true;
  s.stats.by_status = {{"pending", 3}, {"completed", 5}};
  s.stats.by_agent = {{"mongke", 2}, {"we\"ird\\\n", 1}};
  s.stats.active_executions = 2;
  s.spawned_sessions = 9;
  s.resumed_sessions = 4;
  s.attempt_errors = {{"stalled", 2}, {"api_error", 1}};
  s.budget_stops = 3;
  s.paused_agents["kublai"].reason = PauseReason::kUsageLimit;
  s.pauses_set = {{"circuit", 2}, {"usage_limit", 1}};
  s.running_by_agent = {{"temujin", 1}};
  s.usage_by_agent["temujin"].input_tokens = 400;
  s.usage_by_agent["temujin"].cache_read_tokens = 800;
  s.usage_by_agent["temujin"].output_tokens = 34;
  s.usage_by_agent["temujin"].cost_usd = 0.00195;
  s.usage_by_agent["codex"].output_tokens = 5;  // never priced: counts 0
  SessionExecution quiet;
  quiet.agent = "temujin";
  quiet.started_at = 1'000'000;
  quiet.last_output_at = 1'030'000;
  SessionExecution silent = quiet;
  silent.last_output_at = 0;  // nothing yet: quiet since its start
  SessionExecution chatty = quiet;
  chatty.agent = "jochi";
  chatty.last_output_at = 1'119'500;
  s.active_executions = {quiet, silent, chatty};
  s.executors.resize(2);
  std::string text = RenderMetrics(s, {}, 1'120'000);
  EXPECT_NE(text.find("# TYPE taskexec_session_quiet_seconds gauge\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_services 2\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_session_quiet_seconds{agent=\"temujin\"} 120\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("taskexec_session_quiet_seconds{agent=\"jochi\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE taskexec_agent_tokens_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_agent_tokens_total{agent=\"temujin\",kind=\"input\"} 400\n"),
            std::string::npos);
  EXPECT_NE(text.find("taskexec_agent_tokens_total{agent=\"temujin\",kind=\"cache_read\"} 800\n"),
            std::string::npos);
  EXPECT_NE(text.find("taskexec_agent_tokens_total{agent=\"temujin\",kind=\"output\"} 34\n"),
            std::string::npos);
  EXPECT_NE(text.find("taskexec_agent_cost_usd_total{agent=\"temujin\"} 0.001950\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("taskexec_agent_cost_usd_total{agent=\"codex\"} 0.000000\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE taskexec_tasks gauge\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_tasks{status=\"pending\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_tasks{status=\"completed\"} 5\n"), std::string::npos);
  // Every status is present even when zero.
  EXPECT_NE(text.find("taskexec_tasks{status=\"failed\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_tasks{status=\"blocked\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_tasks_by_agent{agent=\"mongke\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_tasks_by_agent{agent=\"we\\\"ird\\\\\\n\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("taskexec_active_executions 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE taskexec_spawned_sessions_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_spawned_sessions_total 9\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_resumed_sessions_total 4\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE taskexec_attempt_errors_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_attempt_errors_total{error_type=\"stalled\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("taskexec_attempt_errors_total{error_type=\"api_error\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE taskexec_budget_exhausted_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_budget_exhausted_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE taskexec_agent_paused gauge\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_agent_paused{agent=\"kublai\",reason=\"usage_limit\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("taskexec_agent_pauses_total{reason=\"circuit\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_running_sessions{agent=\"temujin\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("taskexec_engine_running 1\n"), std::string::npos);
  // Every line is a comment or "name{labels} value".
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = text.substr(start, end - start);
    EXPECT_FALSE(line.empty());
    if (line[0] != '#') {
      EXPECT_EQ(line.rfind("taskexec_", 0), 0u) << line;
      EXPECT_NE(line.rfind(' '), std::string::npos) << line;
    }
    start = end + 1;
  }
}

// Attempts by agent and outcome, retries, run time and queue wait as
// Prometheus histograms (cumulative buckets, +Inf, _sum, _count), and each
// agent's running attempts against its limit.
TEST(MetricsTest, AttemptCountersHistogramsAndAgentLimits) {
  ServiceStatus s;
  s.attempts.Started("kublai", 1'000'000, 1'000'400);                    // waited 0.4 s
  s.attempts.Ended("kublai", "completed", 1'000'400, 1'003'400, false);  // ran 3 s
  s.attempts.Started("kublai", 1'000'000, 1'090'000);                    // 90 s
  s.attempts.Ended("kublai", "failed", 1'090'000, 1'100'000, true);      // 10 s, retried
  s.attempts.Ended("mongke", "timed_out", 0, 1'100'000, false);          // never started
  AgentState kublai;
  kublai.name = "kublai";
  kublai.running = 1;
  kublai.limit = 2;
  const std::string text = RenderMetrics(s, {kublai}, 1'120'000);
  for (const char* line : {
           "# TYPE taskexec_attempts_total counter\n",
           "taskexec_attempts_total{agent=\"kublai\",outcome=\"completed\"} 1\n",
           "taskexec_attempts_total{agent=\"kublai\",outcome=\"failed\"} 1\n",
           "taskexec_attempts_total{agent=\"mongke\",outcome=\"timed_out\"} 1\n",
           "taskexec_retries_total 1\n",
           "# TYPE taskexec_attempt_run_seconds histogram\n",
           "taskexec_attempt_run_seconds_bucket{agent=\"kublai\",le=\"1\"} 0\n",
           "taskexec_attempt_run_seconds_bucket{agent=\"kublai\",le=\"5\"} 1\n",
           "taskexec_attempt_run_seconds_bucket{agent=\"kublai\",le=\"10\"} 2\n",
           "taskexec_attempt_run_seconds_bucket{agent=\"kublai\",le=\"+Inf\"} 2\n",
           "taskexec_attempt_run_seconds_sum{agent=\"kublai\"} 13.000\n",
           "taskexec_attempt_run_seconds_count{agent=\"kublai\"} 2\n",
           "# TYPE taskexec_queue_wait_seconds histogram\n",
           "taskexec_queue_wait_seconds_bucket{agent=\"kublai\",le=\"0.5\"} 1\n",
           "taskexec_queue_wait_seconds_bucket{agent=\"kublai\",le=\"60\"} 1\n",
           "taskexec_queue_wait_seconds_bucket{agent=\"kublai\",le=\"120\"} 2\n",
           "taskexec_queue_wait_seconds_count{agent=\"kublai\"} 2\n",
           "taskexec_agent_running{agent=\"kublai\"} 1\n",
           "taskexec_agent_limit{agent=\"kublai\"} 2\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
  // An attempt that never started has no run time.
  EXPECT_EQ(text.find("taskexec_attempt_run_seconds_count{agent=\"mongke\"}"), std::string::npos);
}

TEST(HistogramTest, BucketsAreInclusiveAndCumulative) {
  Histogram h({1, 5});
  for (double v : {0.2, 1.0, 1.5, 5.0, 7.0}) h.Observe(v);
  EXPECT_EQ(h.CumulativeCount(0), 2);  // 0.2 and 1.0: le is inclusive
  EXPECT_EQ(h.CumulativeCount(1), 4);
  EXPECT_EQ(h.count(), 5);
  EXPECT_DOUBLE_EQ(h.sum(), 14.7);
}

}  // namespace
}  // namespace taskexec
