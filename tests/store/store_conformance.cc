// The fixture helpers of the conformance suite. The tests themselves are in
// conformance_*_test.cc, grouped by the part of the interface they cover.
#include "store/store_conformance.h"

namespace taskexec::store_test {

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

void StoreConformanceTest::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr) << "the " << GetParam().name << " factory returned no store";
}

Task StoreConformanceTest::Add(const std::string& title, TimeMs now) {
  NewTask nt;
  nt.title = title;
  return Add(nt, now);
}

Task StoreConformanceTest::Add(const NewTask& nt, TimeMs now) {
  Task t;
  Status s = store_->AddTask(nt, now, &t);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return t;
}

ClaimRequest StoreConformanceTest::ClaimFor(const Task& t, const std::string& executor, TimeMs now,
                                            TimeMs lease_ms) {
  ClaimRequest r;
  r.task_id = t.id;
  r.expected_version = t.version;
  r.executor_id = executor;
  r.agent = "temujin";
  r.execution_id = "exec-" + t.id + "-" + std::to_string(++next_exec_);
  r.session_label = "task-" + t.id;
  r.log_path = "/var/log/taskexec/" + r.execution_id + ".log";
  r.now = now;
  r.lease_expires_at = now + lease_ms;
  return r;
}

Claim StoreConformanceTest::MustClaim(const Task& t, const std::string& executor, TimeMs now) {
  Claim c;
  Status s = store_->Claim(ClaimFor(t, executor, now), &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

AttemptOutcome StoreConformanceTest::OutcomeFor(const Claim& c, TaskStatus task_status,
                                                ExecutionStatus exec_status, TimeMs now) {
  AttemptOutcome o;
  o.task_id = c.task.id;
  o.execution_id = c.execution.id;
  o.executor_id = c.task.lease_owner;
  o.task_status = task_status;
  o.execution_status = exec_status;
  o.retry_count = c.task.retry_count;
  o.now = now;
  return o;
}

Task StoreConformanceTest::Get(const std::string& id) {
  Task t;
  Status s = store_->GetTask(id, &t);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return t;
}

}  // namespace taskexec::store_test
