#include "api/json_codec.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace taskexec {
namespace {

using nlohmann::json;

Task SampleTask() {
  Task t;
  t.id = "task-1";
  t.title = "Research \"quotes\" and unicode: \xc3\xa9t\xc3\xa9";
  t.description = "line1\nline2";
  t.type = "research";
  t.priority = Priority::kHigh;
  t.assigned_to = "mongke";
  t.status = TaskStatus::kRetrying;
  t.source = "notion";
  t.notion_page_id = "page-1";
  t.notion_url = "https://notion.so/page-1";
  t.context_json = R"({"k":1})";
  t.retry_count = 2;
  t.max_retries = 5;
  t.next_attempt_at = 1764067321123;
  t.claimed_by = "mongke";
  t.lease_owner = "host-1-abc";
  t.lease_expires_at = 1764067331000;
  t.cancel_requested = true;
  t.requested_execution_id = "exec-9";
  t.requested_agent = "temujin";
  t.error_type = ErrorType::kTimeout;
  t.error_message = "took too long";
  t.output_summary = "partial";
  t.created_at = 1764067000000;
  t.updated_at = 1764067100000;
  t.started_at = 1764067200000;
  t.completed_at = 0;
  t.last_retry_at = 1764067300000;
  t.version = 7;
  t.usage.input_tokens = 1600;
  t.usage.output_tokens = 100;
  t.usage.cost_usd = 0.25;
  t.usage.model = "claude-opus-5-5";
  t.usage.num_turns = 4;
  return t;
}

SessionExecution SampleExecution() {
  SessionExecution e;
  e.id = "exec-1";
  e.task_id = "task-1";
  e.agent = "mongke";
  e.attempt = 3;
  e.status = ExecutionStatus::kTimedOut;
  e.session_label = "task-task-1";
  e.session_id = "sess-42";
  e.pid = 4242;
  e.executor_id = "host-1-abc";
  e.started_at = 1764067200000;
  e.ended_at = 1764067500000;
  e.exit_code = std::nullopt;
  e.term_signal = 9;
  e.error_type = ErrorType::kTimeout;
  e.error = "killed after 300 s";
  e.summary = "";
  e.log_path = "/var/logs/exec-1.log";
  e.manual = true;
  e.usage.input_tokens = 400;
  e.usage.cache_read_tokens = 800;
  e.usage.cache_write_tokens = 2;
  e.usage.output_tokens = 34;
  e.usage.num_turns = 1;  // no cost: Codex prints none
  return e;
}

Artifact SampleArtifact() {
  Artifact a;
  a.id = "art-1";
  a.task_id = "task-1";
  a.execution_id = "exec-1";
  a.name = "report.md";
  a.path = "/work/exec-1/report.md";
  a.type = "file";
  a.size = 1234;
  a.sha256 = std::string(64, 'a');
  a.created_at = 1764067500000;
  return a;
}

TEST(JsonCodecTest, TaskFieldNamesAndTimes) {
  json j = ToJson(SampleTask());
  EXPECT_EQ(j["id"], "task-1");
  EXPECT_EQ(j["status"], "retrying");
  EXPECT_EQ(j["priority"], "high");
  EXPECT_EQ(j["retry_count"], 2);
  EXPECT_EQ(j["next_attempt_at"], "2025-11-25T10:42:01.123Z");
  EXPECT_TRUE(j["completed_at"].is_null());
  EXPECT_EQ(j["cancel_requested"], true);
  EXPECT_EQ(j["version"], 7);
  for (const char* f : {"description", "type", "assigned_to", "source", "notion_page_id",
                        "notion_url", "max_retries", "claimed_by", "lease_owner",
                        "lease_expires_at", "error_type", "error_message", "output_summary",
                        "created_at", "updated_at", "started_at", "last_retry_at"}) {
    EXPECT_TRUE(j.contains(f)) << f;
  }
}

TEST(JsonCodecTest, TaskRoundTrip) {
  Task in = SampleTask();
  Task out;
  ASSERT_TRUE(FromJson(ToJson(in), &out).ok());
  EXPECT_EQ(ToJson(out), ToJson(in));
  EXPECT_EQ(out.status, in.status);
  EXPECT_EQ(out.next_attempt_at, in.next_attempt_at);
  EXPECT_EQ(out.completed_at, 0);
  // And through text, as a client sees it.
  Task out2;
  ASSERT_TRUE(FromJson(json::parse(DumpJson(ToJson(in))), &out2).ok());
  EXPECT_EQ(ToJson(out2), ToJson(in));
}

TEST(JsonCodecTest, ExecutionRoundTripKeepsOptionalInts) {
  SessionExecution in = SampleExecution();
  json j = ToJson(in);
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_EQ(j["term_signal"], 9);
  EXPECT_EQ(j["status"], "timed_out");
  SessionExecution out;
  out.exit_code = 5;  // must be reset by the null
  ASSERT_TRUE(FromJson(j, &out).ok());
  EXPECT_FALSE(out.exit_code.has_value());
  EXPECT_EQ(out.term_signal, 9);
  EXPECT_EQ(ToJson(out), j);
  EXPECT_EQ(out.usage, in.usage);
  EXPECT_EQ(j["input_tokens"], 400);
  EXPECT_EQ(j["cache_read_tokens"], 800);
  EXPECT_TRUE(j["cost_usd"].is_null()) << "an unpriced run is unknown, not free";
}

TEST(JsonCodecTest, TaskCarriesItsUsageTotals) {
  json j = ToJson(SampleTask());
  EXPECT_EQ(j["input_tokens"], 1600);
  EXPECT_EQ(j["output_tokens"], 100);
  EXPECT_EQ(j["cost_usd"], 0.25);
  EXPECT_EQ(j["num_turns"], 4);
  EXPECT_EQ(j["model"], "claude-opus-5-5");
  Task back;
  ASSERT_TRUE(FromJson(j, &back).ok());
  EXPECT_EQ(back.usage, SampleTask().usage);
  j["cost_usd"] = "free";
  Status s = FromJson(j, &back);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("cost_usd"), std::string::npos) << s.ToString();
}

TEST(JsonCodecTest, ArtifactRoundTrip) {
  Artifact in = SampleArtifact();
  Artifact out;
  ASSERT_TRUE(FromJson(ToJson(in), &out).ok());
  EXPECT_EQ(ToJson(out), ToJson(in));
  EXPECT_EQ(out.size, 1234);
}

TEST(JsonCodecTest, DetailsHaveExecutionsAndArtifacts) {
  TaskDetails d;
  d.task = SampleTask();
  d.executions = {SampleExecution()};
  d.artifacts = {SampleArtifact()};
  json j = ToJson(d);
  EXPECT_EQ(j["id"], "task-1");
  ASSERT_EQ(j["executions"].size(), 1u);
  EXPECT_EQ(j["executions"][0]["id"], "exec-1");
  ASSERT_EQ(j["artifacts"].size(), 1u);
  EXPECT_EQ(j["artifacts"][0]["sha256"], std::string(64, 'a'));
}

TEST(JsonCodecTest, StatusAndRoute) {
  ServiceStatus s;
  s.engine_running = true;
  s.executor_id = "ex-1";
  s.active_executions = {SampleExecution()};
  s.stats.by_status = {{"pending", 3}};
  s.stats.by_agent = {{"mongke", 2}};
  s.stats.active_executions = 1;
  s.spawned_sessions = 12;
  s.running_by_agent = {{"mongke", 1}};
  s.usage_by_agent["mongke"].output_tokens = 34;
  s.usage_by_agent["mongke"].cost_usd = 0.5;
  json j = ToJson(s);
  EXPECT_EQ(j["usage_by_agent"]["mongke"]["output_tokens"], 34);
  EXPECT_EQ(j["usage_by_agent"]["mongke"]["cost_usd"], 0.5);
  EXPECT_EQ(j["engine_running"], true);
  EXPECT_EQ(j["stats"]["by_status"]["pending"], 3);
  EXPECT_EQ(j["stats"]["active_executions"], 1);
  EXPECT_EQ(j["spawned_sessions"], 12);
  EXPECT_EQ(j["running_by_agent"]["mongke"], 1);
  EXPECT_EQ(j["active_executions"][0]["id"], "exec-1");

  json r = ToJson(RouteDecision{"temujin", "pattern:code", "file extension .py"});
  EXPECT_EQ(
      r, json({{"agent", "temujin"}, {"rule", "pattern:code"}, {"detail", "file extension .py"}}));
}

TEST(JsonCodecTest, InvalidUtf8DoesNotThrow) {
  Task t = SampleTask();
  t.title = "bad \xff\xfe bytes";
  t.output_summary = std::string("trunc \xe2\x82", 8);  // cut multi-byte sequence
  json j = ToJson(t);
  EXPECT_THROW((void)j.dump(), json::type_error);  // why DumpJson exists
  std::string text;
  ASSERT_NO_THROW(text = DumpJson(j));
  json back = json::parse(text);
  EXPECT_EQ(back["title"], "bad \xef\xbf\xbd\xef\xbf\xbd bytes");  // U+FFFD twice
  ASSERT_NO_THROW((void)DumpJson(j, 2));
}

TEST(JsonCodecTest, FromJsonRejectsWrongTypes) {
  Task t;
  Status s = FromJson(json{{"retry_count", "two"}}, &t);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("retry_count"), std::string::npos);
  s = FromJson(json{{"status", "sleeping"}}, &t);
  EXPECT_NE(s.message().find("status"), std::string::npos);
  s = FromJson(json{{"created_at", "yesterday"}}, &t);
  EXPECT_NE(s.message().find("created_at"), std::string::npos);
  EXPECT_FALSE(FromJson(json::array(), &t).ok());
  SessionExecution e;
  EXPECT_FALSE(FromJson(json{{"status", "running"}}, &e).ok());
  Artifact a;
  EXPECT_FALSE(FromJson(json{{"size", 1.5}}, &a).ok());
}

TEST(JsonCodecTest, FromJsonRejectsIntegersOutOfRange) {
  // json::get<int>() would wrap 4294967297 to 1; it must be refused instead.
  struct Case {
    json body;
    const char* field;
  };
  const Case task_cases[] = {
      {json{{"retry_count", 4294967297LL}}, "retry_count"},
      {json{{"max_retries", 4294967297LL}}, "max_retries"},
      {json{{"max_retries", -2147483649LL}}, "max_retries"},
      {json{{"version", 18446744073709551615ULL}}, "version"},
  };
  for (const Case& c : task_cases) {
    Task t;
    Status s = FromJson(c.body, &t);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.body;
    EXPECT_NE(s.message().find(c.field), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();
  }
  const Case exec_cases[] = {
      {json{{"attempt", 4294967297LL}}, "attempt"},
      {json{{"exit_code", 4294967297LL}}, "exit_code"},
      {json{{"term_signal", -4294967295LL}}, "term_signal"},
      {json{{"pid", 9223372036854775808ULL}}, "pid"},
  };
  for (const Case& c : exec_cases) {
    SessionExecution e;
    Status s = FromJson(c.body, &e);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.body;
    EXPECT_NE(s.message().find(c.field), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();
  }
  Artifact a;
  EXPECT_FALSE(FromJson(json{{"size", 9223372036854775808ULL}}, &a).ok());

  // The limits themselves still fit.
  Task t;
  ASSERT_TRUE(FromJson(json::parse(R"({"retry_count":2147483647,"max_retries":-2147483648,
      "version":9223372036854775807})"),
                       &t)
                  .ok());
  EXPECT_EQ(t.retry_count, 2147483647);
  EXPECT_EQ(t.max_retries, -2147483647 - 1);
  EXPECT_EQ(t.version, INT64_MAX);
  SessionExecution e;
  ASSERT_TRUE(FromJson(json{{"exit_code", -1}, {"pid", 4294967297LL}}, &e).ok());
  EXPECT_EQ(e.exit_code, -1);
  EXPECT_EQ(e.pid, 4294967297LL);
}

Status Parse(const std::string& text, NewTask* out) { return ParseNewTask(json::parse(text), out); }

TEST(ParseNewTaskTest, AcceptsFullRequest) {
  NewTask nt;
  ASSERT_TRUE(Parse(R"({"title":"Write docs","description":"d","type":"writing",
      "priority":"critical","assigned_to":"chagatai","max_retries":2,
      "context":{"repo":"x"},"id":"task-x","notion_url":"https://n"})",
                    &nt)
                  .ok());
  EXPECT_EQ(nt.title, "Write docs");
  EXPECT_EQ(nt.priority, Priority::kCritical);
  EXPECT_EQ(nt.assigned_to, "chagatai");
  EXPECT_EQ(nt.max_retries, 2);
  EXPECT_EQ(json::parse(nt.context_json), json({{"repo", "x"}}));
  EXPECT_EQ(nt.id, "task-x");
  EXPECT_EQ(nt.source, "cli");  // left to the caller
}

TEST(ParseNewTaskTest, Defaults) {
  NewTask nt;
  ASSERT_TRUE(Parse(R"({"title":"t"})", &nt).ok());
  EXPECT_EQ(nt.priority, Priority::kNormal);
  EXPECT_EQ(nt.context_json, "{}");
  EXPECT_EQ(nt.max_retries, -1);
  ASSERT_TRUE(Parse(R"({"title":"t","context_json":"{\"a\":1}"})", &nt).ok());
  EXPECT_EQ(nt.context_json, R"({"a":1})");
}

TEST(ParseNewTaskTest, NotionPageIdTakesEitherForm) {
  NewTask nt;
  ASSERT_TRUE(
      Parse(R"({"title":"t","notion_page_id":"1F2E3D4C5B6A49788A9B0C1D2E3F4A5B"})", &nt).ok());
  EXPECT_EQ(nt.notion_page_id, "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b");
  ASSERT_TRUE(
      Parse(R"({"title":"t","notion_page_id":"1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"})", &nt).ok());
  EXPECT_EQ(nt.notion_page_id, "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b");
}

TEST(ParseNewTaskTest, ErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({})", "title"},
      {R"({"title":42})", "title"},
      {R"({"title":"   "})", "title"},
      {R"({"title":"t","priority":"urgent"})", "priority"},
      {R"({"title":"t","priority":1})", "priority"},
      {R"({"title":"t","description":[]})", "description"},
      {R"({"title":"t","max_retries":"3"})", "max_retries"},
      {R"({"title":"t","max_retries":1000})", "max_retries"},
      {R"({"title":"t","max_retries":4294967297})", "max_retries"},
      {R"({"title":"t","max_retries":-4294967295})", "max_retries"},
      {R"({"title":"t","max_retries":18446744073709551615})", "max_retries"},
      {R"({"title":"t","max_retries":2.0})", "max_retries"},
      {R"({"title":"t","max_retries":1e2})", "max_retries"},
      {R"({"title":"t","context":"x"})", "context"},
      {R"({"title":"t","context_json":"[1]"})", "context_json"},
      {R"({"title":"t","context_json":"{bad"})", "context_json"},
      {R"({"title":"t","context":{},"context_json":"{}"})", "context"},
      {R"({"title":"t","titel":"typo"})", "titel"},
      {R"({"title":"t","status":"completed"})", "status"},
      {R"J({"title":"t","notion_url":"javascript:alert(1)"})J", "notion_url"},
      {R"({"title":"t","notion_page_id":"not-a-page"})", "notion_page_id"},
      {R"({"title":"t","notion_page_id":"1f2e3d4c5b6a49788a9b0c1d2e3f4a5"})", "notion_page_id"},
      {R"({"title":"t","notion_page_id":"1f2e-3d4c5b6a49788a9b0c1d2e3f4a5b"})", "notion_page_id"},
      {R"({"title":"t","notion_page_id":"1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5g"})",
       "notion_page_id"},
      {R"({"title":"t","notion_page_id":7})", "notion_page_id"},
  };
  for (const Case& c : cases) {
    NewTask nt;
    Status s = Parse(c.body, &nt);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.body;
    EXPECT_NE(s.message().find(c.field), std::string::npos) << c.body << " -> " << s.message();
  }
  NewTask nt;
  EXPECT_TRUE(ParseNewTask(json::array(), &nt).IsInvalidArgument());
}

TEST(ParseNewTaskTest, HugeMaxRetriesIsNotTruncated) {
  NewTask nt;
  Status s = Parse(R"({"title":"t","max_retries":4294967297})", &nt);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("max_retries"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();
  EXPECT_EQ(nt.max_retries, -1);  // untouched
}

}  // namespace
}  // namespace taskexec
