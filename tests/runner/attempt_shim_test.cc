// taskexec-attempt, the per-attempt supervisor (attempt_shim_main.cc): what
// the service sees through it, and what it records when the service is not
// there to see.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "process_test_util.h"
#include "runner/exit_record.h"
#include "runner/process_supervisor.h"
#include "runner/spawn_setup.h"
#include "runner/zygote_protocol.h"
#include "runner_test_util.h"

namespace taskexec {
namespace {

using testing::AttemptShim;
using testing::ReadFile;
using testing::RunToEnd;
using testing::ShimmedSpec;
using testing::TempDir;
using testing::Waiter;
using testing::WaitUntil;

ExitRecord Record(const std::string& path) {
  ExitRecord record;
  Status s = ReadExitRecord(path, &record);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return record;
}

TEST(AttemptShim, TheServiceSeesTheChildAsWithoutIt) {
  TempDir dir;
  ProcessSupervisor sup;
  const ProcessSpec spec =
      ShimmedSpec(dir, "echo out1; echo err1 >&2; printf 'x\\377y\\n'; echo \"$FOO\"; exit 7");
  ProcessSpec with_env = spec;
  with_env.env = MergeEnvironment({"FOO=bar"});
  ProcessResult r = RunToEnd(sup, with_env);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.stdout_tail, "out1\nx\xffy\nbar\n");
  EXPECT_EQ(r.stderr_tail, "err1\n");
  EXPECT_EQ(r.stdout_bytes, 13);
  // Written once, by the supervisor.
  const std::string log = ReadFile(spec.log_path);
  EXPECT_EQ(log.size(), std::string("out1\nerr1\nx\xffy\nbar\n").size()) << log;
  EXPECT_NE(log.find("err1\n"), std::string::npos);

  const ExitRecord record = Record(spec.exit_record);
  EXPECT_EQ(record.process.exit_code, 7);
  EXPECT_FALSE(record.process.term_signal.has_value());
  EXPECT_EQ(record.stop_signal, 0);
  EXPECT_EQ(record.process.stdout_tail, r.stdout_tail);
  EXPECT_EQ(record.process.stderr_tail, "err1\n");
  EXPECT_EQ(record.process.stdout_bytes, 13);
  EXPECT_GE(record.process.last_output_ms, 0);
  EXPECT_FALSE(record.log_failed);
}

TEST(AttemptShim, AChildKilledBySignalIsReportedSo) {
  TempDir dir;
  ProcessSupervisor sup;
  const ProcessSpec spec = ShimmedSpec(dir, "kill -KILL $$");
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.term_signal, SIGKILL);
  const ExitRecord record = Record(spec.exit_record);
  EXPECT_EQ(record.process.term_signal, SIGKILL);
  EXPECT_EQ(record.stop_signal, 0);  // it ended; nobody stopped it
}

TEST(AttemptShim, AStoppedAttemptsRecordSaysSo) {
  TempDir dir;
  ProcessSupervisor sup;
  const ProcessSpec spec = ShimmedSpec(dir, "echo started > started; exec sleep 30");
  uint64_t handle = 0;
  ProcessResult r = RunToEnd(sup, spec, &handle, [&] {
    ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(dir.Sub("started")); }));
    ASSERT_TRUE(sup.Cancel(handle).ok());
  });
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.term_signal, SIGTERM);
  const ExitRecord record = Record(spec.exit_record);
  EXPECT_EQ(record.stop_signal, SIGTERM);
  EXPECT_EQ(record.process.term_signal, SIGTERM);
}

size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// A running attempt through the supervisor holds one descriptor of ours:
// its channel (no pidfd, no stderr pipe, no log, no stdin once handed over).
TEST(AttemptShim, ARunningAttemptHoldsOneDescriptorOfTheService) {
  TempDir dir;
  ProcessSupervisor sup;
  RunToEnd(sup, ShimmedSpec(dir, "true"));  // the zygote, started once, stays
  const size_t before = OpenDescriptors();
  constexpr int kAttempts = 8;
  std::vector<Waiter<ProcessResult>> ends(kAttempts);
  for (int i = 0; i < kAttempts; ++i) {
    ProcessSpec spec = ShimmedSpec(
        dir, "echo $$ > started-" + std::to_string(i) + "; while [ ! -e go ]; do sleep 0.05; done");
    spec.stdin_data = "the prompt\n";
    ASSERT_TRUE(
        sup.Start(
               spec, [&ends, i](const ProcessResult& r) { ends[i].Set(r); }, nullptr, nullptr)
            .ok());
  }
  ASSERT_TRUE(WaitUntil([&] {
    for (int i = 0; i < kAttempts; ++i) {
      if (ReadFile(dir.Sub("started-" + std::to_string(i))).empty()) return false;
    }
    return true;
  }));
  EXPECT_EQ(OpenDescriptors(), before + kAttempts);
  testing::WriteFile(dir.Sub("go"), "");
  for (auto& end : ends) {
    auto r = end.Wait();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->exit_code, 0);
  }
  EXPECT_EQ(OpenDescriptors(), before);
}

// A supervisor ends its channel by exiting, but the kernel closes a process's
// files before its parent can see it exit: the end is reported at the exit,
// with its status, and what watched for it is let go.
TEST(AttemptShim, AChannelThatEndsBeforeItsSupervisorIsReportedAtTheExit) {
  TempDir dir;
  ProcessSupervisor sup;
  const size_t before = OpenDescriptors();
  // A stand-in supervisor that closes its channel, then lives on until the
  // test lets it go. It cannot be a zygote: an argument larger than a
  // zygote takes has it exec'd.
  const std::string shim = dir.Sub("lingering-shim.sh");
  testing::WriteFile(shim,
                     "#!/bin/sh\n"
                     "exec >&- 2>&-\n"
                     ": > " +
                         dir.Sub("closed") +
                         "\n"
                         "while [ ! -e " +
                         dir.Sub("go") +
                         " ]; do sleep 0.01; done\n"
                         "exit 7\n");
  ASSERT_EQ(chmod(shim.c_str(), 0755), 0);
  ProcessSpec spec = ShimmedSpec(dir, "true");
  spec.shim = shim;
  spec.argv.push_back(std::string(zygote::kMaxRequestBytes / 2, 'x'));
  spec.argv.push_back(std::string(zygote::kMaxRequestBytes / 2, 'y'));
  Waiter<ProcessResult> end;
  ASSERT_TRUE(sup.Start(
                     spec, [&end](const ProcessResult& r) { end.Set(r); }, nullptr, nullptr)
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(dir.Sub("closed")); }));
  // Its channel ended; it did not.
  EXPECT_FALSE(end.Wait(std::chrono::milliseconds(50)).has_value());
  testing::WriteFile(dir.Sub("go"), "");
  const auto r = end.Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(OpenDescriptors(), before);
}

// The supervisor started by hand, as the service does, with a test in the
// service's place that reads its pipe only when it chooses to.
struct HandStarted {
  pid_t pid = -1;
  int out = -1;  // our read end of its stdout
  int go = -1;   // our write end of the go pipe
};

// `scope_fd` >= 0 goes to the supervisor as its descriptor 5 (the attempt's
// cgroup scope). Its stdout and stderr are one channel, as the service
// gives it.
HandStarted StartByHand(const TempDir& dir, const std::string& script,
                        const std::string& start_by = "0", int scope_fd = -1) {
  HandStarted h;
  int out[2], go[2];
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(go, O_CLOEXEC), 0);
  const int log = open(dir.Sub("out.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  EXPECT_GE(log, 0);
  SpawnSetup setup;
  std::vector<int> extra = {log, go[0]};
  if (scope_fd >= 0) extra.push_back(scope_fd);
  Status s = setup.Build(-1, out[1], out[1], dir.path(), extra);
  EXPECT_TRUE(s.ok()) << s.ToString();
  const std::string shim = AttemptShim();
  const std::string record = dir.Sub("out.log.exit");
  std::vector<std::string> args = {shim, record, "65536", start_by, "0", "/bin/sh", "-c", script};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  EXPECT_EQ(
      posix_spawn(&h.pid, shim.c_str(), setup.actions(), setup.attributes(), argv.data(), environ),
      0);
  close(out[1]);
  close(go[0]);
  close(log);
  h.out = out[0];
  h.go = go[1];
  return h;
}

// Sends the go (the service placed the supervisor).
void Go(HandStarted* h) {
  ASSERT_EQ(write(h->go, "g", 1), 1);
  close(h->go);
}

// Waits for the supervisor's end; its wait status.
int Reap(HandStarted* h) {
  int status = 0;
  EXPECT_EQ(waitpid(h->pid, &status, 0), h->pid);
  close(h->out);
  return status;
}

// A service frozen while its agent finishes reads nothing: the record and
// the log are whole all the same, and the output reaches the service when
// it reads again.
TEST(AttemptShim, TheEndIsRecordedWhileTheServiceDoesNotRead) {
  TempDir dir;
  // 300 KB: more than a pipe holds.
  HandStarted h = StartByHand(dir, "head -c 300000 /dev/zero | tr '\\0' x; echo; exit 3");
  Go(&h);
  const std::string record_path = dir.Sub("out.log.exit");
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(record_path); }))
      << "no record while the service does not read";
  EXPECT_EQ(ReadFile(dir.Sub("out.log")).size(), 300001u);
  const ExitRecord record = Record(record_path);
  EXPECT_EQ(record.process.exit_code, 3);
  EXPECT_EQ(record.process.stdout_bytes, 300001);
  EXPECT_EQ(record.process.stdout_tail.size(), 65536u);

  std::string got;
  char buf[65536];
  for (ssize_t n; (n = read(h.out, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  const testing::Unframed unframed = testing::Unframe(got);
  EXPECT_FALSE(unframed.broken);
  EXPECT_EQ(unframed.out.size(), 300001u);
  EXPECT_EQ(unframed.out.find_first_not_of('x'), 300000u);
  EXPECT_EQ(unframed.err, "");
  const int status = Reap(&h);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);  // the agent's own status
}

// A stop that reaches the supervisor after its agent ended on its own (the
// watchdog stopping a dead service's attempts while a straggler still
// holds the agent's pipes) does not make that end a stopped one.
TEST(AttemptShim, AStopAfterTheAgentsOwnEndDoesNotCount) {
  TempDir dir;
  HandStarted h =
      StartByHand(dir, "sleep 30 & echo $! > straggler.pid; echo $$ > agent.pid; exit 0");
  Go(&h);
  long agent = 0, straggler = 0;
  ASSERT_TRUE(WaitUntil([&] {
    const std::string a = ReadFile(dir.Sub("agent.pid")), s = ReadFile(dir.Sub("straggler.pid"));
    if (a.empty() || a.back() != '\n' || s.empty() || s.back() != '\n') return false;
    agent = std::stol(a);
    straggler = std::stol(s);
    return true;
  }));
  ASSERT_TRUE(WaitUntil([&] { return testing::ProcessGone(agent); }));
  ASSERT_EQ(kill(h.pid, SIGTERM), 0);  // while the straggler holds the pipe
  const int status = Reap(&h);
  kill(static_cast<pid_t>(straggler), SIGKILL);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const ExitRecord record = Record(dir.Sub("out.log.exit"));
  EXPECT_EQ(record.process.exit_code, 0);
  EXPECT_EQ(record.stop_signal, 0);
}

// The service died between starting the supervisor and placing it: the
// agent is never started.
TEST(AttemptShim, WithoutTheGoTheAgentIsNotStarted) {
  TempDir dir;
  HandStarted h = StartByHand(dir, "touch ran");
  close(h.go);
  const int status = Reap(&h);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 125);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("ran")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("out.log.exit")));
}

// A stop that comes before the go (a cancel, the watchdog) starts nothing.
TEST(AttemptShim, AStopBeforeTheStartStartsNothing) {
  TempDir dir;
  HandStarted h = StartByHand(dir, "touch ran");
  // Once its handler shows in /proc, the supervisor takes the signal as a
  // stop (before, it would simply die of it).
  ASSERT_TRUE(WaitUntil([&] {
    const std::string status = ReadFile("/proc/" + std::to_string(h.pid) + "/status");
    const size_t at = status.find("SigCgt:");
    return at != std::string::npos &&
           (std::stoull(status.substr(at + 7), nullptr, 16) & (1ull << (SIGTERM - 1))) != 0;
  }));
  ASSERT_EQ(kill(h.pid, SIGTERM), 0);
  Go(&h);
  const int status = Reap(&h);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("ran")));
}

// The service was frozen between deciding to start the agent and the
// start, past its lease fence: the agent is not started, and the end looks
// like the fence's stop.
TEST(AttemptShim, NoAgentStartsAfterTheLeaseFence) {
  TempDir dir;
  HandStarted h = StartByHand(dir, "touch ran", std::to_string(MonotonicMs() - 1));
  Go(&h);
  const int status = Reap(&h);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("ran")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("out.log.exit")));

  // Through the process supervisor: the same, and it says why on stderr;
  // a deadline still ahead starts the agent.
  ProcessSupervisor sup;
  ProcessSpec spec = ShimmedSpec(dir, "touch ran");
  spec.start_by_ms = MonotonicMs() - 1;
  ProcessResult r = RunToEnd(sup, spec);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_NE(r.stderr_tail.find("not started: the lease fence passed"), std::string::npos)
      << r.stderr_tail;
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("ran")));
  spec.start_by_ms = MonotonicMs() + 60'000;
  r = RunToEnd(sup, spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("ran")));
}

// A scope the kernel will not start a child in, nor move one into (here a
// plain directory): the agent still runs, outside it, and stderr says so.
TEST(AttemptShim, AScopeTheKernelRefusesStillStartsTheAgent) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("not-a-cgroup"));
  const int scope = open(dir.Sub("not-a-cgroup").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(scope, 0);
  HandStarted h = StartByHand(dir, "echo ran; exit 3", "0", scope);
  close(scope);
  Go(&h);
  std::string channel;
  char buf[256];
  for (ssize_t n; (n = read(h.out, buf, sizeof buf)) > 0;) channel.append(buf, n);
  const testing::Unframed got = testing::Unframe(channel);
  const int status = Reap(&h);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
  EXPECT_EQ(got.out, "ran\n");
  EXPECT_NE(got.err.find("the agent runs outside its cgroup scope"), std::string::npos) << got.err;
  EXPECT_EQ(Record(dir.Sub("out.log.exit")).process.exit_code, 3);
}

TEST(ExitRecord, ABadRecordIsCorruptionAndAMissingOneNotFound) {
  TempDir dir;
  ExitRecord record;
  EXPECT_TRUE(ReadExitRecord(dir.Sub("none.exit"), &record).IsNotFound());
  for (const char* text : {"", "{", "[]", "{\"version\":2,\"exit_code\":0}",
                           "{\"version\":1,\"stdout_tail\":\"\",\"stderr_tail\":\"\","
                           "\"recent_output\":\"\"}",
                           "{\"version\":1,\"exit_code\":0,\"stdout_tail\":\"%%%\","
                           "\"stderr_tail\":\"\",\"recent_output\":\"\"}"}) {
    testing::WriteFile(dir.Sub("bad.exit"), text);
    Status s = ReadExitRecord(dir.Sub("bad.exit"), &record);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << text << ": " << s.ToString();
  }
  testing::WriteFile(dir.Sub("good.exit"),
                     "{\"version\":1,\"exit_code\":0,\"stdout_tail\":\"aGk=\","
                     "\"stderr_tail\":\"\",\"recent_output\":\"aGkK\"}");
  ASSERT_TRUE(ReadExitRecord(dir.Sub("good.exit"), &record).ok());
  EXPECT_EQ(record.process.stdout_tail, "hi");
  EXPECT_EQ(record.process.recent_output, "hi\n");
}

// The supervisor writes its record in place, so a supervisor killed while
// it writes leaves a prefix of one: no prefix of a real record reads as a
// record (each is Corruption, which the recovery takes for none).
TEST(ExitRecord, NoPrefixOfARecordReadsAsOne) {
  TempDir dir;
  ProcessSupervisor sup;
  const ProcessSpec spec = ShimmedSpec(dir, "echo done; echo warn >&2; exit 0");
  ProcessResult r = RunToEnd(sup, spec);
  ASSERT_EQ(r.exit_code, 0);
  const std::string whole = ReadFile(spec.exit_record);
  ASSERT_GT(whole.size(), 20u);
  ASSERT_TRUE(Record(spec.exit_record).process.stdout_tail == "done\n");
  ExitRecord record;
  for (size_t n = 0; n < whole.size(); ++n) {
    if (n + 1 == whole.size() && whole.back() == '\n') continue;  // all but the newline: whole
    testing::WriteFile(dir.Sub("cut.exit"), whole.substr(0, n));
    Status s = ReadExitRecord(dir.Sub("cut.exit"), &record);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << n << " of " << whole.size() << " bytes";
  }
  EXPECT_FALSE(std::filesystem::exists(spec.exit_record + ".tmp"));
}

}  // namespace
}  // namespace taskexec
