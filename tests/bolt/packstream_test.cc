// PackStream encoding: exact bytes at every size boundary, round trips for
// every type, and the decoder's refusals of malformed input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "bolt/graph_types.h"
#include "bolt/packstream.h"

namespace taskexec::bolt {
namespace {

Bytes Enc(const Value& v) {
  Bytes b;
  EXPECT_TRUE(Pack(v, &b).ok());
  return b;
}

Value Dec(const Bytes& b) {
  Value v;
  Status s = UnpackAll(b, &v);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return v;
}

void ExpectRoundTrip(const Value& v) {
  Bytes b = Enc(v);
  EXPECT_EQ(Dec(b), v) << v.DebugString().substr(0, 200);
}

TEST(PackStream, NullAndBooleans) {
  EXPECT_EQ(Enc(Value()), (Bytes{0xC0}));
  EXPECT_EQ(Enc(Value(false)), (Bytes{0xC2}));
  EXPECT_EQ(Enc(Value(true)), (Bytes{0xC3}));
  ExpectRoundTrip(Value());
  ExpectRoundTrip(Value(true));
  ExpectRoundTrip(Value(false));
}

struct IntCase {
  int64_t value;
  uint8_t marker;  // first byte
  size_t size;     // total encoded size
};

TEST(PackStream, IntegersUseTheSmallestFormAtEveryBoundary) {
  const int64_t kMin64 = std::numeric_limits<int64_t>::min();
  const int64_t kMax64 = std::numeric_limits<int64_t>::max();
  const IntCase cases[] = {
      {0, 0x00, 1},
      {1, 0x01, 1},
      {127, 0x7F, 1},
      {-1, 0xFF, 1},
      {-16, 0xF0, 1},
      {-17, 0xC8, 2},
      {-128, 0xC8, 2},
      {128, 0xC9, 3},
      {-129, 0xC9, 3},
      {32767, 0xC9, 3},
      {-32768, 0xC9, 3},
      {32768, 0xCA, 5},
      {-32769, 0xCA, 5},
      {2147483647, 0xCA, 5},
      {-2147483648LL, 0xCA, 5},
      {2147483648LL, 0xCB, 9},
      {-2147483649LL, 0xCB, 9},
      {kMax64, 0xCB, 9},
      {kMin64, 0xCB, 9},
  };
  for (const auto& c : cases) {
    Bytes b = Enc(Value(c.value));
    ASSERT_EQ(b.size(), c.size) << c.value;
    EXPECT_EQ(b[0], c.marker) << c.value;
    EXPECT_EQ(Dec(b), Value(c.value)) << c.value;
  }
  EXPECT_EQ(Enc(Value(int64_t{-17})), (Bytes{0xC8, 0xEF}));
  EXPECT_EQ(Enc(Value(int64_t{1234})), (Bytes{0xC9, 0x04, 0xD2}));
}

TEST(PackStream, DecoderAcceptsWiderThanNeededIntegers) {
  // Other encoders may not pick the smallest form; the value is what counts.
  EXPECT_EQ(Dec({0xCB, 0, 0, 0, 0, 0, 0, 0, 0x01}), Value(1));
  EXPECT_EQ(Dec({0xC9, 0xFF, 0xFF}), Value(-1));
}

TEST(PackStream, Floats) {
  EXPECT_EQ(Enc(Value(1.1)), (Bytes{0xC1, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}));
  for (double d : {0.0, -0.0, 1.0, -1.5, 1e300, -1e-300, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::nan(""),
                   std::numeric_limits<double>::denorm_min()}) {
    ExpectRoundTrip(Value(d));
  }
  EXPECT_FALSE(Value(0.0) == Value(-0.0));
}

TEST(PackStream, StringsAtEverySizeBoundary) {
  EXPECT_EQ(Enc(Value("")), (Bytes{0x80}));
  EXPECT_EQ(Enc(Value("A")), (Bytes{0x81, 0x41}));
  // UTF-8: length in bytes, not characters.
  EXPECT_EQ(Enc(Value("\xC3\xA9")), (Bytes{0x82, 0xC3, 0xA9}));
  struct {
    size_t n;
    Bytes header;
  } cases[] = {{15, {0x8F}},
               {16, {0xD0, 16}},
               {255, {0xD0, 0xFF}},
               {256, {0xD1, 0x01, 0x00}},
               {65535, {0xD1, 0xFF, 0xFF}},
               {65536, {0xD2, 0x00, 0x01, 0x00, 0x00}}};
  for (const auto& c : cases) {
    std::string s(c.n, 'x');
    Bytes b = Enc(Value(s));
    ASSERT_EQ(b.size(), c.header.size() + c.n);
    EXPECT_TRUE(std::equal(c.header.begin(), c.header.end(), b.begin())) << c.n;
    EXPECT_EQ(Dec(b), Value(s));
  }
}

TEST(PackStream, BytesAtEverySizeBoundary) {
  struct {
    size_t n;
    Bytes header;
  } cases[] = {{0, {0xCC, 0}},
               {1, {0xCC, 1}},
               {255, {0xCC, 0xFF}},
               {256, {0xCD, 0x01, 0x00}},
               {65535, {0xCD, 0xFF, 0xFF}},
               {65536, {0xCE, 0x00, 0x01, 0x00, 0x00}}};
  for (const auto& c : cases) {
    Bytes data(c.n);
    for (size_t i = 0; i < c.n; ++i) data[i] = static_cast<uint8_t>(i * 7);
    Bytes b = Enc(Value(data));
    ASSERT_EQ(b.size(), c.header.size() + c.n);
    EXPECT_TRUE(std::equal(c.header.begin(), c.header.end(), b.begin())) << c.n;
    EXPECT_EQ(Dec(b), Value(data));
  }
}

TEST(PackStream, ListsAtEverySizeBoundary) {
  EXPECT_EQ(Enc(Value(List{})), (Bytes{0x90}));
  EXPECT_EQ(Enc(Value(List{1, 2, 3})), (Bytes{0x93, 1, 2, 3}));
  struct {
    size_t n;
    Bytes header;
  } cases[] = {{15, {0x9F}},
               {16, {0xD4, 16}},
               {255, {0xD4, 0xFF}},
               {256, {0xD5, 0x01, 0x00}},
               {65535, {0xD5, 0xFF, 0xFF}},
               {65536, {0xD6, 0x00, 0x01, 0x00, 0x00}}};
  for (const auto& c : cases) {
    List l(c.n, Value(1));
    Bytes b = Enc(Value(l));
    ASSERT_EQ(b.size(), c.header.size() + c.n);
    EXPECT_TRUE(std::equal(c.header.begin(), c.header.end(), b.begin())) << c.n;
    EXPECT_EQ(Dec(b), Value(l));
  }
}

TEST(PackStream, MapsAtEverySizeBoundaryKeepOrder) {
  Map small;
  small.Set("b", 1);
  small.Set("a", 2);
  EXPECT_EQ(Enc(Value(small)), (Bytes{0xA2, 0x81, 'b', 0x01, 0x81, 'a', 0x02}));
  struct {
    size_t n;
    Bytes header;
  } cases[] = {{0, {0xA0}},
               {15, {0xAF}},
               {16, {0xD8, 16}},
               {255, {0xD8, 0xFF}},
               {256, {0xD9, 0x01, 0x00}},
               {65536, {0xDA, 0x00, 0x01, 0x00, 0x00}}};
  for (const auto& c : cases) {
    Map m;
    for (size_t i = 0; i < c.n; ++i) m.entries.emplace_back("k" + std::to_string(i), Value(i));
    Bytes b = Enc(Value(m));
    EXPECT_TRUE(std::equal(c.header.begin(), c.header.end(), b.begin())) << c.n;
    EXPECT_EQ(Dec(b), Value(m));
  }
}

TEST(PackStream, Structures) {
  EXPECT_EQ(Enc(Value(Structure{0x70, {}})), (Bytes{0xB0, 0x70}));
  EXPECT_EQ(Enc(Value(Structure{0x4E, {1, List{}, Map{}}})), (Bytes{0xB3, 0x4E, 1, 0x90, 0xA0}));
  for (size_t n = 0; n <= 15; ++n) {
    ExpectRoundTrip(Value(Structure{0x42, List(n, Value("f"))}));
  }
  Bytes out;
  EXPECT_TRUE(Pack(Value(Structure{0x42, List(16, Value(1))}), &out).IsInvalidArgument());
}

TEST(PackStream, NestedValues) {
  Map inner;
  inner.Set("list", List{1, 2.5, "three", Value(), true, Bytes{1, 2}});
  inner.Set("struct", Structure{0x58, {7203, 1.0, 2.0}});
  Map outer;
  outer.Set("inner", inner);
  outer.Set("deep", List{List{List{Map{}}}});
  ExpectRoundTrip(Value(outer));
}

TEST(PackStream, DecoderRefusesEveryTruncation) {
  Map m;
  m.Set("name", "a long enough string value to span more than one tiny size");
  m.Set("items", List{1, 1000, 100000, 10000000000LL, 1.5, Bytes{9, 9}, Structure{0x44, {19000}}});
  Bytes full = Enc(Value(m));
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    Value v;
    EXPECT_TRUE(UnpackAll(prefix, &v).code() == Status::Code::kCorruption) << n;
  }
}

TEST(PackStream, DecoderRefusesSizesLargerThanTheInput) {
  Value v;
  // A 4-billion-entry list/map/string/bytes in a few bytes must fail fast
  // without allocating.
  for (Bytes b : {Bytes{0xD6, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, Bytes{0xDA, 0xFF, 0xFF, 0xFF, 0xFF},
                  Bytes{0xD2, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}, Bytes{0xCE, 0x7F, 0xFF, 0xFF, 0xFF},
                  Bytes{0xD9, 0x00, 0x02, 0x81, 'a', 0x01}}) {
    Status s = UnpackAll(b, &v);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  }
}

TEST(PackStream, DecoderRefusesUnknownMarkersAndBadKeys) {
  Value v;
  for (int m :
       {0xC4, 0xC5, 0xC6, 0xC7, 0xCF, 0xD3, 0xD7, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xE0, 0xE5, 0xEF}) {
    EXPECT_EQ(UnpackAll(Bytes{static_cast<uint8_t>(m)}, &v).code(), Status::Code::kCorruption) << m;
  }
  EXPECT_EQ(UnpackAll(Bytes{0xA1, 0x01, 0x01}, &v).code(), Status::Code::kCorruption);
  EXPECT_EQ(UnpackAll(Bytes{0x01, 0x02}, &v).code(), Status::Code::kCorruption);  // trailing byte
}

TEST(PackStream, DecoderCapsNesting) {
  Bytes deep(100, 0x91);
  deep.push_back(0x01);
  Value v;
  EXPECT_EQ(UnpackAll(deep, &v).code(), Status::Code::kCorruption);
  Bytes ok(64, 0x91);
  ok.push_back(0x01);
  EXPECT_TRUE(UnpackAll(ok, &v).ok());
  DecodeLimits tight;
  tight.max_depth = 3;
  size_t pos = 0;
  EXPECT_FALSE(Unpack(ok.data(), ok.size(), &pos, &v, tight).ok());
}

}  // namespace
}  // namespace taskexec::bolt
