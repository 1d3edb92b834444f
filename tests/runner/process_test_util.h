// Helpers for the tests that start children through a ProcessSupervisor:
// a shell command's spec, and starting one and waiting for its result.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "runner/exit_record.h"
#include "runner/output_frames.h"
#include "runner/process_supervisor.h"
#include "runner_test_util.h"

namespace taskexec::testing {

// `sh -c script` in `dir`, logging to dir/logs/out.log, with our environment.
inline ProcessSpec ShellSpec(const TempDir& dir, const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.cwd = dir.path();
  spec.log_path = dir.Sub("logs/out.log");
  spec.kill_grace_ms = 5000;
  spec.env = MergeEnvironment({});
  return spec;
}

// ShellSpec through the per-attempt supervisor the build made.
inline ProcessSpec ShimmedSpec(const TempDir& dir, const std::string& script) {
  ProcessSpec spec = ShellSpec(dir, script);
  spec.shim = AttemptShim();
  spec.exit_record = ExitRecordPath(spec.log_path);
  return spec;
}

// What a per-attempt supervisor sent on its channel (`bytes`, every frame),
// split back into stdout and stderr.
struct Unframed {
  std::string out, err;
  bool broken = false;  // bytes that were not frames came
};
inline Unframed Unframe(const std::string& bytes) {
  Unframed u;
  FrameReader reader;
  const auto take = [&](uint8_t stream, const char* data, size_t n) {
    (stream == kStdoutFrame ? u.out : u.err).append(data, n);
  };
  reader.Feed(bytes.data(), bytes.size(), take);
  reader.Finish(take);
  u.broken = reader.broken();
  return u;
}

// Starts `spec`, runs `meanwhile` (if any), and waits for the result;
// *handle = the child's handle when asked.
inline ProcessResult RunToEnd(ProcessSupervisor& sup, const ProcessSpec& spec,
                              uint64_t* handle = nullptr,
                              const std::function<void()>& meanwhile = {}) {
  Waiter<ProcessResult> w;
  Status s = sup.Start(
      spec, [&](const ProcessResult& r) { w.Set(r); }, handle, nullptr);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return ProcessResult{};
  if (meanwhile) meanwhile();
  auto r = w.Wait();
  EXPECT_TRUE(r.has_value()) << "no result within the timeout";
  return r.value_or(ProcessResult{});
}

}  // namespace taskexec::testing
