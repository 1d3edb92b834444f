// One libFuzzer target per step of tests/fuzz/fuzz_bodies.h, chosen at
// build time (FUZZ_TARGET: notion, notion_lists, api, config, agent_output,
// command_template). Build and run (docs/security.md "Fuzzing"):
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DTASKEXEC_BUILD_FUZZ=ON \
//     -DTASKEXEC_BUILD_TESTS=OFF -DTASKEXEC_BUILD_BENCH=OFF
//   ninja -C build-fuzz notion_fuzz
//   mkdir -p /tmp/notion-corpus && build-fuzz/fuzz/notion_fuzz -runs=1000000 \
//     /tmp/notion-corpus fuzz/corpus/notion
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_bodies.h"  // tests/fuzz/fuzz_bodies.h

namespace {

bool (*Step())(const uint8_t*, size_t) {
  for (const auto& target : taskexec::fuzz::Targets())
    if (std::strcmp(target.name, FUZZ_TARGET) == 0) return target.once;
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // refusals are expected, by the million
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto step = Step();
  if (!step(data, size)) std::abort();
  return 0;
}
