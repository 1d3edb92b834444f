// libFuzzer target for the Bolt decoders (PackStream values, chunked
// message streams, typed graph values). Build with clang:
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DTASKEXEC_BUILD_FUZZ=ON \
//     -DTASKEXEC_BUILD_TESTS=OFF -DTASKEXEC_BUILD_BENCH=OFF
//   ninja -C build-fuzz packstream_fuzz
//   mkdir -p /tmp/ps-corpus && build-fuzz/fuzz/packstream_fuzz -max_len=4096 \
//     -rss_limit_mb=512 /tmp/ps-corpus fuzz/corpus/packstream
// The same step runs deterministically in bolt_test (DecoderFuzz) with gcc.
#include <cstdlib>

#include "bolt/fuzz_body.h"  // tests/bolt/fuzz_body.h

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!taskexec::bolt::FuzzDecodeOnce(data, size)) std::abort();
  return 0;
}
