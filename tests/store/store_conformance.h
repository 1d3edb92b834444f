// The TaskStore conformance suite: one set of tests every backend must pass,
// written only against store/task_store.h.
//
// Running it against a backend (see sqlite_store_test.cc):
//
//   #include "store/store_conformance.h"
//   INSTANTIATE_TEST_SUITE_P(
//       Neo4j, StoreConformanceTest,
//       ::testing::Values(taskexec::store_test::StoreFactory{
//           "neo4j", [] { return OpenAFreshEmptyNeo4jStore(); }}),
//       taskexec::store_test::StoreFactoryName);
//
// and link the test binary with te_store_conformance. The factory must return
// a new, empty store each call (each test starts from nothing); returning
// nullptr fails the test. Backends that do not implement ChangeCounter
// (NotFound) skip that one check.
//
// te_store_conformance is an OBJECT library on purpose: the tests register
// themselves from static initialisers, which a linker would drop from a
// static archive because nothing references them.
//
// Conventions: times are fixed numbers (kT0 + offsets), never the wall clock,
// so the suite is deterministic; concurrent tests join their threads.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "store/task_store.h"

namespace taskexec::store_test {

struct StoreFactory {
  std::string name;  // a valid gtest name fragment: letters, digits, '_'
  std::function<std::unique_ptr<TaskStore>()> make;
};

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info);
void PrintTo(const StoreFactory& factory, std::ostream* os);

// The ids of `tasks`, in order.
inline std::vector<std::string> Ids(const std::vector<Task>& tasks) {
  std::vector<std::string> ids;
  for (const Task& t : tasks) ids.push_back(t.id);
  return ids;
}

// An arbitrary fixed "now" (2023-11-14T22:13:20Z).
inline constexpr TimeMs kT0 = 1'700'000'000'000;

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;

  // Adds a task (title `title`, everything else default) and asserts success.
  Task Add(const std::string& title, TimeMs now = kT0);
  Task Add(const NewTask& nt, TimeMs now = kT0);
  // A claim request for `t` at its current version.
  ClaimRequest ClaimFor(const Task& t, const std::string& executor, TimeMs now = kT0,
                        TimeMs lease_ms = 30'000);
  // Claims `t` (asserting success) and returns the claim.
  Claim MustClaim(const Task& t, const std::string& executor = "exec-A", TimeMs now = kT0);
  // An outcome of `c` ending with the given statuses.
  AttemptOutcome OutcomeFor(const Claim& c, TaskStatus task_status, ExecutionStatus exec_status,
                            TimeMs now);
  Task Get(const std::string& id);

  std::unique_ptr<TaskStore> store_;
  int next_exec_ = 0;  // numbering for generated execution ids
};

}  // namespace taskexec::store_test
