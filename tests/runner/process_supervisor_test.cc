#include "runner/process_supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

#include "process_test_util.h"
#include "runner/attempt_cgroup.h"
#include "runner/exit_record.h"
#include "runner_test_util.h"

namespace taskexec {
namespace {

using testing::ProcessGone;
using testing::ReadFile;
using testing::TempDir;
using testing::Waiter;
using testing::WaitUntil;

ProcessSpec Shell(const TempDir& dir, const std::string& script) {
  return testing::ShellSpec(dir, script);
}

using testing::RunToEnd;

TEST(ProcessSupervisor, ExitCodeOutputTailsAndLog) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, "echo out1; echo err1 >&2; printf 'x\\377y\\n'; pwd; exit 7");
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_GT(r.pid, 0);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.term_signal.has_value());
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.stdout_tail,
            "out1\nx\xffy\n" + std::filesystem::canonical(dir.path()).string() + "\n");
  EXPECT_EQ(r.stderr_tail, "err1\n");
  std::string log = ReadFile(spec.log_path);
  EXPECT_NE(log.find("out1\n"), std::string::npos);
  EXPECT_NE(log.find("err1\n"), std::string::npos);
  EXPECT_EQ(sup.running(), 0u);
}

TEST(ProcessSupervisor, LogIsAppendedAcrossRuns) {
  TempDir dir;
  ProcessSupervisor sup;
  RunToEnd(sup, Shell(dir, "echo first"));
  RunToEnd(sup, Shell(dir, "echo second"));
  EXPECT_EQ(ReadFile(dir.Sub("logs/out.log")), "first\nsecond\n");
}

TEST(ProcessSupervisor, EnvironmentAndStdin) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, "echo \"$FOO/$HOME_OVERRIDE_TEST\"; cat");
  spec.env = MergeEnvironment({"FOO=bar", "HOME_OVERRIDE_TEST=1", "HOME_OVERRIDE_TEST=2"});
  spec.stdin_data = std::string(300000, 'i') + "END";  // more than a socket buffer
  spec.tail_bytes = 1 << 20;
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_tail.substr(0, 6), "bar/2\n");
  EXPECT_EQ(r.stdout_tail.size(), 6u + 300003u);
  EXPECT_EQ(r.stdout_tail.substr(r.stdout_tail.size() - 3), "END");
  // No stdin data: /dev/null, so cat ends at once.
  ProcessResult n = RunToEnd(sup, Shell(dir, "cat; echo done"));
  EXPECT_EQ(n.stdout_tail, "done\n");
}

TEST(ProcessSupervisor, ChildGetsExactlyTheGivenEnvironment) {
  ASSERT_EQ(setenv("TASKEXEC_SUPERVISOR_TEST_SECRET", "marker-5f1c", 1), 0);
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, "env");
  spec.argv = {"/usr/bin/env"};
  spec.env = {"ONLY=this"};
  ProcessResult r = RunToEnd(sup, spec);
  unsetenv("TASKEXEC_SUPERVISOR_TEST_SECRET");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_tail, "ONLY=this\n");
}

TEST(ProcessSupervisor, ChildThatIgnoresStdinDoesNotHurtUs) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, "exit 0");
  spec.stdin_data = std::string(4 << 20, 's');  // write hits a closed socket: no SIGPIPE
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(ProcessSupervisor, TailIsBounded) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(
      dir, "echo to-stderr >&2; i=0; while [ $i -lt 5000 ]; do echo line$i; i=$((i+1)); done");
  spec.tail_bytes = 100;
  spec.stdout_path = dir.path() + "/copy/stdout";
  std::filesystem::create_directories(dir.path() + "/copy");
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_EQ(r.stdout_tail.size(), 100u);
  // The stdout copy holds all of stdout and nothing of stderr.
  std::string copy = ReadFile(spec.stdout_path);
  EXPECT_EQ(static_cast<int64_t>(copy.size()), r.stdout_bytes);
  EXPECT_EQ(copy.substr(0, 6), "line0\n");
  EXPECT_EQ(copy.find("to-stderr"), std::string::npos);
  EXPECT_EQ(copy.substr(copy.size() - 9), "line4999\n");
  std::string expected;
  for (int i = 0; i < 5000; ++i) expected += "line" + std::to_string(i) + "\n";
  EXPECT_EQ(copy, expected);  // nothing lost or doubled where the copy started
  EXPECT_EQ(r.stdout_tail.substr(r.stdout_tail.size() - 9), "line4999\n");
  // The log keeps everything.
  std::string log = ReadFile(spec.log_path);
  EXPECT_NE(log.find("line0\n"), std::string::npos);
  EXPECT_NE(log.find("line4999\n"), std::string::npos);
}

// No file (and no descriptor) for the copy while the tail holds all.
TEST(ProcessSupervisor, StdoutCopyIsNotMadeWhileTheTailHoldsAll) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, "printf 'short output'");
  spec.stdout_path = dir.path() + "/stdout";
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_EQ(r.stdout_tail, "short output");
  EXPECT_EQ(r.stdout_bytes, 12);
  EXPECT_FALSE(std::filesystem::exists(spec.stdout_path));
}

// The engine blocks SIGTERM/SIGINT in every thread and ignores SIGPIPE; a
// child must not inherit either, or our TERM on timeout would be ignored.
TEST(ProcessSupervisor, ChildStartsWithEmptySignalMaskAndDefaultDispositions) {
  TempDir dir;
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  auto old_pipe = signal(SIGPIPE, SIG_IGN);
  ProcessResult r;
  {
    ProcessSupervisor sup;
    ProcessSpec spec = Shell(dir, "");
    spec.argv = {"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"};
    r = RunToEnd(sup, spec);
  }
  signal(SIGPIPE, old_pipe);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.stdout_tail.find("SigBlk:\t0000000000000000\n"), std::string::npos) << r.stdout_tail;
  size_t ign = r.stdout_tail.find("SigIgn:\t");
  ASSERT_NE(ign, std::string::npos);
  unsigned long long ignored = std::stoull(r.stdout_tail.substr(ign + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0u) << r.stdout_tail;
  EXPECT_EQ(ignored & (1ULL << (SIGTERM - 1)), 0u) << r.stdout_tail;
}

TEST(ProcessSupervisor, KilledBySignal) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessResult r = RunToEnd(sup, Shell(dir, "kill -KILL $$"));
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
}

TEST(ProcessSupervisor, SpawnFailuresAreReportedWithoutCallback) {
  TempDir dir;
  ProcessSupervisor sup;
  std::atomic<int> calls{0};
  auto cb = [&](const ProcessResult&) { calls++; };
  ProcessSpec spec = Shell(dir, "true");
  spec.argv = {"definitely-not-a-program-xyz"};
  Status s = sup.Start(spec, cb, nullptr, nullptr);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("definitely-not-a-program-xyz"), std::string::npos);

  testing::WriteFile(dir.Sub("noexec.sh"), "#!/bin/sh\necho hi\n");
  spec.argv = {dir.Sub("noexec.sh")};
  s = sup.Start(spec, cb, nullptr, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  spec.argv = {"sh", "-c", "true"};
  spec.cwd = dir.Sub("no-such-dir");
  s = sup.Start(spec, cb, nullptr, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  spec.cwd = dir.path();
  spec.argv = {"sh", std::string(200000, 'a')};  // past MAX_ARG_STRLEN: the kernel says E2BIG
  s = sup.Start(spec, cb, nullptr, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("E2BIG"), std::string::npos) << s.ToString();

  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(sup.running(), 0u);
}

TEST(ProcessSupervisor, RelativeProgramPathIsResolvedAgainstOurDirectoryNotTheChilds) {
  TempDir dir;
  TempDir other;
  testing::WriteFile(dir.Sub("tool.sh"), "#!/bin/sh\necho tool ran in $(pwd)\n");
  std::filesystem::permissions(dir.Sub("tool.sh"), std::filesystem::perms::owner_all);
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(other, "");
  spec.argv = {"./tool.sh"};
  ProcessResult r = RunToEnd(sup, spec);
  std::filesystem::current_path(old);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_tail,
            "tool ran in " + std::filesystem::canonical(other.path()).string() + "\n");
}

// The script leaves a grandchild in the group that outlives nothing unless
// the whole group is signalled.
const char* kHangScript =
    "sleep 100000 & echo $! > grandchild.pid; echo started; while true; do wait; done";

// A started child: its result, once it ends, and what Cancel and checks need.
struct Running {
  Waiter<ProcessResult> done;
  uint64_t handle = 0;
  int64_t pid = 0;
};

void StartRunning(ProcessSupervisor& sup, const ProcessSpec& spec, Running* run) {
  ASSERT_TRUE(
      sup.Start(
             spec, [run](const ProcessResult& r) { run->done.Set(r); }, &run->handle, &run->pid)
          .ok());
}

long ReadPid(const std::string& path) {
  long pid = 0;
  WaitUntil([&] {
    std::string s = ReadFile(path);
    if (s.empty() || s.back() != '\n') return false;
    pid = std::stol(s);
    return true;
  });
  return pid;
}

TEST(ProcessSupervisor, TimeoutKillsTheWholeGroup) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, kHangScript);
  spec.timeout_ms = 3000;
  Waiter<ProcessResult> w;
  ASSERT_TRUE(sup.Start(
                     spec, [&](const ProcessResult& r) { w.Set(r); }, nullptr, nullptr)
                  .ok());
  long grandchild = ReadPid(dir.Sub("grandchild.pid"));
  ASSERT_GT(grandchild, 0);
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->term_signal, SIGTERM);
  EXPECT_GE(r->duration_ms, 2900);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); })) << grandchild;
}

// Output keeps a child alive; silence for stall_ms stops its group, and
// the result says when it last spoke.
TEST(ProcessSupervisor, ASilentChildIsStoppedAsStalled) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir,
                           "for i in 1 2 3 4 5; do echo line $i; echo err $i >&2; sleep 0.2; done; "
                           "sleep 100000 & echo $! > grandchild.pid; wait");
  spec.stall_ms = 2000;
  spec.kill_grace_ms = 500;
  Waiter<ProcessResult> w;
  uint64_t handle = 0;
  ASSERT_TRUE(sup.Start(
                     spec, [&](const ProcessResult& r) { w.Set(r); }, &handle, nullptr)
                  .ok());
  long grandchild = ReadPid(dir.Sub("grandchild.pid"));
  ASSERT_GT(grandchild, 0);
  int64_t last = -2;
  ASSERT_TRUE(sup.LastOutput(handle, &last).ok());
  EXPECT_GE(last, 0);  // it has spoken by the time the grandchild started
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->stalled);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->term_signal, SIGTERM);
  // The fifth line came after four 0.2 s sleeps; the start is taken once the
  // child is in its cgroup scope, which on a loaded machine may be some
  // milliseconds after the shell began.
  EXPECT_GE(r->last_output_ms, 700);
  EXPECT_GE(r->duration_ms, r->last_output_ms + 2000);
  EXPECT_NE(r->stdout_tail.find("line 5"), std::string::npos);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); })) << grandchild;
  EXPECT_TRUE(sup.LastOutput(handle, &last).IsNotFound());
}

// Without a stall limit a silent child runs on (here until its deadline).
TEST(ProcessSupervisor, NoStallLimitMeansSilenceIsAllowed) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, "sleep 100000");
  spec.timeout_ms = 1500;
  spec.stall_ms = 0;
  const ProcessResult r = RunToEnd(sup, spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.stalled);
  EXPECT_EQ(r.last_output_ms, -1);
}

// A child that leaves the process group (its own session) with a scrubbed
// environment (no TASKEXEC_EXECUTION_ID to find it by): only the attempt's
// cgroup v2 scope still holds it.
const char* kEscapeScript =
    "echo $$ > agent.pid; "
    "setsid env -i sleep 100000 </dev/null >/dev/null 2>&1 & echo $! > escapee.pid; "
    "echo started; sleep 100000";

// The attempt scope of the running process `pid`, or "" when it is in none.
std::string ScopeOf(int64_t pid) {
  std::string line = ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  const size_t v2 = line.find("0::");
  if (v2 == std::string::npos) return "";
  line = line.substr(v2 + 3);
  line = line.substr(0, line.find('\n'));
  return line.find("/attempt-") == std::string::npos ? "" : line;
}

// Run directly (the child moved into its scope after its start) and through
// the per-attempt supervisor (the agent born inside its scope).
class CgroupScopeTest : public ::testing::TestWithParam<bool> {
 protected:
  ProcessSpec Spec(const TempDir& dir, const std::string& script) const {
    ProcessSpec spec = Shell(dir, script);
    if (GetParam()) {
      spec.shim = testing::AttemptShim();
      spec.exit_record = ExitRecordPath(spec.log_path);
    }
    return spec;
  }
};

TEST_P(CgroupScopeTest, EndsWhatLeftTheGroupOnCancelAndAtExit) {
  std::string why;
  if (auto probe = AttemptCgroups::Detect(&why); probe == nullptr) {
    GTEST_SKIP() << "no cgroup v2 scope here: " << why;
  }
  TempDir dir;
  Running run;  // outlives the supervisor, whose destructor may still report
  ProcessSupervisor sup;
  ASSERT_NO_FATAL_FAILURE(StartRunning(sup, Spec(dir, kEscapeScript), &run));
  const long escapee = ReadPid(dir.Sub("escapee.pid"));
  const long agent = ReadPid(dir.Sub("agent.pid"));
  ASSERT_GT(escapee, 0);
  ASSERT_GT(agent, 0);
  const std::string scope = ScopeOf(agent);
  ASSERT_FALSE(scope.empty()) << ReadFile("/proc/" + std::to_string(agent) + "/cgroup");
  EXPECT_NE(ReadFile("/proc/" + std::to_string(escapee) + "/cgroup").find(scope),
            std::string::npos);
  EXPECT_TRUE(WaitUntil([&] {
    return getsid(static_cast<pid_t>(escapee)) != getsid(static_cast<pid_t>(agent));
  }));  // left the session (and so the group)
  ASSERT_TRUE(sup.Cancel(run.handle).ok());
  auto r = run.done.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->cancelled);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(escapee); })) << escapee;

  // An attempt that ends by itself takes what it left running along.
  TempDir dir2;
  Waiter<ProcessResult> w2;
  ASSERT_TRUE(sup.Start(
                     Spec(dir2,
                          // A leader this short could exit before it is moved
                          // (then nothing holds what it left): it waits until it is in.
                          "until grep -q /attempt- /proc/$$/cgroup; do :; done; "
                          "setsid env -i sleep 100000 </dev/null >/dev/null 2>&1 & "
                          "echo $! > escapee.pid; exit 0"),
                     [&](const ProcessResult& r) { w2.Set(r); }, nullptr, nullptr)
                  .ok());
  const long left = ReadPid(dir2.Sub("escapee.pid"));
  auto r2 = w2.Wait();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->exit_code, 0);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(left); })) << left;
}

// An attempt that left its scope empty leaves it to the next attempt: the
// kernel's cost of making and removing a cgroup is paid once, not per attempt.
// One that left a process running there does not (above: what it left is
// killed and the scope removed).
TEST_P(CgroupScopeTest, TheNextAttemptIsBornInTheScopeTheLastLeftEmpty) {
  std::string why;
  if (auto probe = AttemptCgroups::Detect(&why); probe == nullptr) {
    GTEST_SKIP() << "no cgroup v2 scope here: " << why;
  }
  ProcessSupervisor sup;
  // Waits until it is in its scope (moved there after its start when not
  // born inside), then says which scope it is.
  const std::string script =
      "until grep -q /attempt- /proc/$$/cgroup; do :; done; grep '^0::' /proc/$$/cgroup";
  std::vector<std::string> scopes;
  for (int i = 0; i < 2; ++i) {
    TempDir dir;
    Waiter<ProcessResult> done;
    ASSERT_TRUE(
        sup.Start(
               Spec(dir, script), [&](const ProcessResult& r) { done.Set(r); }, nullptr, nullptr)
            .ok());
    auto r = done.Wait();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->exit_code, 0) << r->stderr_tail;
    ASSERT_NE(r->stdout_tail.find("/attempt-"), std::string::npos) << r->stdout_tail;
    scopes.push_back(r->stdout_tail);
  }
  EXPECT_EQ(scopes[0], scopes[1]);
}

INSTANTIATE_TEST_SUITE_P(DirectAndSupervised, CgroupScopeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("ThroughTaskexecAttempt")
                                             : std::string("Direct");
                         });

// The children of `pid` and theirs, from the children files.
std::vector<pid_t> Descendants(pid_t pid) {
  std::vector<pid_t> all;
  std::vector<pid_t> todo = {pid};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    std::istringstream children(
        ReadFile("/proc/" + std::to_string(p) + "/task/" + std::to_string(p) + "/children"));
    for (long long c = 0; children >> c;) {
      all.push_back(static_cast<pid_t>(c));
      todo.push_back(static_cast<pid_t>(c));
    }
  }
  return all;
}

// What a leader forked before its adoption (children and grandchildren) is
// moved into its scope with it.
TEST(AttemptCgroups, AMoveTakesWhatTheLeaderForkedBefore) {
  std::string why;
  auto cgroups = AttemptCgroups::Detect(&why);
  if (cgroups == nullptr) GTEST_SKIP() << "no cgroup v2 scope here: " << why;
  const pid_t leader = fork();
  ASSERT_GE(leader, 0);
  if (leader == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", "sh -c 'sleep 100000 & wait' & sleep 100000 & wait",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(WaitUntil([&] { return Descendants(leader).size() == 3; }))
      << Descendants(leader).size();  // inner sh, its sleep, outer sleep
  std::string scope;
  int scope_fd = -1;
  ASSERT_TRUE(cgroups->CreateScope(&scope, &scope_fd).ok());
  close(scope_fd);
  ASSERT_TRUE(AttemptCgroups::MoveInto(scope, leader).ok());
  for (pid_t p : Descendants(leader)) {
    EXPECT_NE(ReadFile("/proc/" + std::to_string(p) + "/cgroup").find("/attempt-"),
              std::string::npos)
        << p;
  }
  EXPECT_GE(KillCgroup(scope), 4);
  int status = 0;
  waitpid(leader, &status, 0);
  EXPECT_TRUE(RemoveCgroup(scope, 2000));
}

// Recycle keeps a scope no process runs in and hands it out again; one that
// still holds a process is refused (the caller kills what is there).
TEST(AttemptCgroups, KeepsAnEmptyScopeForTheNextAttemptAndRefusesABusyOne) {
  std::string why;
  auto cgroups = AttemptCgroups::Detect(&why);
  if (cgroups == nullptr) GTEST_SKIP() << "no cgroup v2 scope here: " << why;
  std::string first;
  int fd = -1;
  ASSERT_TRUE(cgroups->CreateScope(&first, &fd).ok());
  close(fd);
  EXPECT_TRUE(CgroupIsEmpty(first));
  EXPECT_TRUE(cgroups->Recycle(first));
  std::string again;
  ASSERT_TRUE(cgroups->CreateScope(&again, &fd).ok());
  close(fd);
  EXPECT_EQ(again, first);

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_TRUE(AttemptCgroups::MoveInto(again, child).ok());
  EXPECT_FALSE(CgroupIsEmpty(again));
  EXPECT_FALSE(cgroups->Recycle(again));
  std::string other;
  ASSERT_TRUE(cgroups->CreateScope(&other, &fd).ok());
  close(fd);
  EXPECT_NE(other, again);  // the busy one was not kept
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WaitUntil([&] { return CgroupIsEmpty(again); }));
  EXPECT_TRUE(RemoveCgroup(again, 2000));
  EXPECT_TRUE(cgroups->Recycle(other));
}

TEST(ProcessSupervisor, TermIgnoredEscalatesToKillAfterGrace) {
  TempDir dir;
  ProcessSupervisor sup;
  ProcessSpec spec = Shell(dir, std::string("trap '' TERM; ") + kHangScript);
  spec.timeout_ms = 2000;
  spec.kill_grace_ms = 500;
  Waiter<ProcessResult> w;
  ASSERT_TRUE(sup.Start(
                     spec, [&](const ProcessResult& r) { w.Set(r); }, nullptr, nullptr)
                  .ok());
  long grandchild = ReadPid(dir.Sub("grandchild.pid"));
  auto r = w.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); })) << grandchild;
}

TEST(ProcessSupervisor, CancelStopsTheGroup) {
  TempDir dir;
  Running run;  // outlives the supervisor, whose destructor may still report
  ProcessSupervisor sup;
  ASSERT_NO_FATAL_FAILURE(StartRunning(sup, Shell(dir, kHangScript), &run));
  EXPECT_GT(run.pid, 0);
  long grandchild = ReadPid(dir.Sub("grandchild.pid"));
  ASSERT_TRUE(sup.Cancel(run.handle).ok());
  auto r = run.done.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->cancelled);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->pid, run.pid);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }));
  EXPECT_TRUE(sup.Cancel(run.handle).IsNotFound());
  EXPECT_TRUE(sup.Cancel(987654).IsNotFound());
}

TEST(ProcessSupervisor, ExitedLeaderWithStrayGrandchildHoldingPipesStillReports) {
  TempDir dir;
  ProcessSupervisor sup;
  // The leader exits at once; the grandchild keeps stdout open for 100 s.
  ProcessResult r = RunToEnd(sup, Shell(dir, "sleep 100 & echo $! > gc.pid; echo leader done"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_tail, "leader done\n");
  EXPECT_LT(r.duration_ms, 30000);
  long gc = std::stol(ReadFile(dir.Sub("gc.pid")));
  kill(static_cast<pid_t>(gc), SIGKILL);  // tidy up the stray
}

TEST(ProcessSupervisor, FiftyConcurrentChildrenAllReapedByOneThread) {
  TempDir dir;
  size_t threads_before = testing::ThreadCount();
  ProcessSupervisor sup;
  constexpr int kChildren = 50;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ProcessResult> results;
  std::set<int64_t> pids;
  for (int i = 0; i < kChildren; ++i) {
    ProcessSpec spec = Shell(dir, "echo child " + std::to_string(i) + "; sleep 1");
    spec.log_path = dir.Sub("logs/child" + std::to_string(i) + ".log");
    int64_t pid = 0;
    ASSERT_TRUE(sup.Start(
                       spec,
                       [&](const ProcessResult& r) {
                         std::lock_guard<std::mutex> lock(mu);
                         results.push_back(r);
                         cv.notify_all();
                       },
                       nullptr, &pid)
                    .ok());
    pids.insert(pid);
  }
  // One supervisor thread, however many children.
  EXPECT_EQ(testing::ThreadCount(), threads_before + 1);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(120), [&] { return results.size() == kChildren; }));
  }
  EXPECT_EQ(pids.size(), static_cast<size_t>(kChildren));
  for (const auto& r : results) {
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.stdout_tail.rfind("child ", 0), 0u);
  }
  EXPECT_EQ(sup.running(), 0u);
  // Every child was reaped: none is left for waitpid, none is a zombie.
  for (int64_t pid : pids) {
    EXPECT_EQ(waitpid(static_cast<pid_t>(pid), nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    EXPECT_TRUE(ProcessGone(pid));
  }
}

TEST(ProcessSupervisor, ShutdownStopsRunningChildrenAndReportsThem) {
  TempDir dir;
  Waiter<ProcessResult> w;
  int64_t pid = 0;
  {
    ProcessSupervisor sup;
    ASSERT_TRUE(sup.Start(
                       Shell(dir, "trap '' TERM; sleep 100000 & echo $! > ready; wait"),
                       [&](const ProcessResult& r) { w.Set(r); }, nullptr, &pid)
                    .ok());
    ASSERT_GT(ReadPid(dir.Sub("ready")), 0);  // the trap is in place
    sup.Shutdown(300);
    EXPECT_EQ(sup.running(), 0u);
    EXPECT_TRUE(sup.Start(
                       Shell(dir, "true"), [](const ProcessResult&) {}, nullptr, nullptr)
                    .IsUnavailable());
  }
  auto r = w.Wait(std::chrono::milliseconds(0));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_TRUE(ProcessGone(pid));
}

TEST(ProcessSupervisor, CallbackMayStartAnotherChild) {
  TempDir dir;
  ProcessSupervisor sup;
  Waiter<ProcessResult> second;
  ProcessSpec spec2 = Shell(dir, "echo second");
  ASSERT_TRUE(sup.Start(
                     Shell(dir, "echo first"),
                     [&](const ProcessResult&) {
                       Status s = sup.Start(
                           spec2, [&](const ProcessResult& r) { second.Set(r); }, nullptr, nullptr);
                       EXPECT_TRUE(s.ok());
                     },
                     nullptr, nullptr)
                  .ok());
  auto r = second.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->stdout_tail, "second\n");
}

}  // namespace
}  // namespace taskexec
