// A deterministic fuzz run of the decoders (100k inputs from a fixed seed):
// random bytes, and mutations of valid encodings, which reach much deeper.
// The same step runs under libFuzzer in fuzz/ when built with clang.
#include <gtest/gtest.h>

#include <random>

#include "bolt/fuzz_body.h"  // tests/bolt/fuzz_body.h

namespace taskexec::bolt {
namespace {

Bytes Seed(int which) {
  Map m;
  m.Set("code", "Neo.ClientError.Statement.SyntaxError");
  m.Set("list", List{1, -200, 70000, 5000000000LL, 1.5, Value(), true, Bytes{1, 2, 3}});
  m.Set("node", Structure{0x4E, {1, List{"Task"}, Map{}, "4:x:1"}});
  m.Set("path", Structure{0x50, {List{Structure{0x4E, {1, List{}, Map{}}}}, List{}, List{}}});
  m.Set("dt", Structure{0x49, {1764067321, 5, 3600}});
  m.Set("s", std::string(300, 'x'));
  Bytes b;
  if (which == 0) {
    (void)Pack(Value(m), &b);
  } else {
    Bytes body;
    (void)Pack(Value(Structure{0x71, {List{Value(m), Value(m)}}}), &body);
    AppendChunked(body, &b, 7);
  }
  return b;
}

TEST(DecoderFuzz, HundredThousandHostileInputs) {
  std::mt19937_64 rng(20261125);
  const Bytes seeds[] = {Seed(0), Seed(1)};
  for (int i = 0; i < 100000; ++i) {
    Bytes in;
    if (i % 3 == 0) {
      in.resize(rng() % 64);
      for (auto& b : in) b = static_cast<uint8_t>(rng());
      // Bias towards markers so sizes and nesting get exercised.
      if (!in.empty()) in[0] = static_cast<uint8_t>(0x80 + rng() % 0x60);
    } else {
      in = seeds[i % 2];
      int mutations = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < mutations; ++k) {
        size_t at = rng() % in.size();
        switch (rng() % 4) {
          case 0:
            in[at] = static_cast<uint8_t>(rng());
            break;
          case 1:
            in[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
          case 2:
            in.resize(at + 1);
            break;
          case 3:
            in.insert(in.begin() + at, static_cast<uint8_t>(rng()));
            break;
        }
      }
    }
    ASSERT_TRUE(FuzzDecodeOnce(in.data(), in.size())) << "input #" << i;
  }
}

}  // namespace
}  // namespace taskexec::bolt
