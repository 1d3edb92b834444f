// Output frames (output_frames.h): the per-attempt supervisor's two streams
// on one descriptor, split back however the reads cut them.
#include "runner/output_frames.h"

#include <gtest/gtest.h>

#include <string>

namespace taskexec {
namespace {

struct Split {
  std::string out, err, order;  // order: 'o' / 'e' per payload handed on
};

Split Read(const std::string& bytes, size_t chunk) {
  Split s;
  FrameReader reader;
  const auto take = [&](uint8_t stream, const char* data, size_t n) {
    EXPECT_GT(n, 0u);
    (stream == kStdoutFrame ? s.out : s.err).append(data, n);
    s.order += stream == kStdoutFrame ? 'o' : 'e';
  };
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    reader.Feed(bytes.data() + at, std::min(chunk, bytes.size() - at), take);
  }
  reader.Finish(take);
  return s;
}

TEST(OutputFrames, FramesComeBackWholeAndInOrderHoweverTheReadsCutThem) {
  std::string bytes;
  AppendFrame(&bytes, kStdoutFrame, "hello ", 6);
  AppendFrame(&bytes, kStderrFrame, "oops\n", 5);
  const std::string big(70000, 'x');
  AppendFrame(&bytes, kStdoutFrame, big.data(), big.size());
  AppendFrame(&bytes, kStderrFrame, "!", 1);
  for (size_t chunk :
       {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}, size_t{4096}, bytes.size()}) {
    const Split s = Read(bytes, chunk);
    EXPECT_EQ(s.out, "hello " + big) << "chunk " << chunk;
    EXPECT_EQ(s.err, "oops\n!") << "chunk " << chunk;
    // A frame cut by the reads may come in pieces, never out of order.
    EXPECT_EQ(s.order.front(), 'o');
    EXPECT_EQ(s.order.back(), 'e');
  }
  EXPECT_EQ(Read(bytes, 7).order, "oeoe");
}

TEST(OutputFrames, BytesThatAreNotFramesAreKeptAsStderr) {
  std::string bytes;
  AppendFrame(&bytes, kStdoutFrame, "ok\n", 3);
  bytes += "Fatal glibc error: something\n";  // written by someone else
  AppendFrame(&bytes, kStdoutFrame, "late\n", 5);
  for (size_t chunk : {size_t{1}, size_t{4}, bytes.size()}) {
    const Split s = Read(bytes, chunk);
    EXPECT_EQ(s.out, "ok\n");
    EXPECT_EQ(s.err.substr(0, 29), "Fatal glibc error: something\n") << "chunk " << chunk;
    EXPECT_EQ(s.err.size(), bytes.size() - 3 - kFrameHeaderBytes);  // nothing lost
  }
  // A length of zero or past the limit is not a frame either.
  std::string zero = std::string("\x01\x00\x00\x00\x00", 5) + "rest";
  EXPECT_EQ(Read(zero, zero.size()).err, zero);
  std::string huge = std::string("\x02\x7f\x00\x00\x00", 5) + "rest";
  EXPECT_EQ(Read(huge, huge.size()).err, huge);
}

TEST(OutputFrames, AFrameCutShortByTheEndKeepsWhatCame) {
  std::string bytes;
  AppendFrame(&bytes, kStdoutFrame, "complete", 8);
  AppendFrame(&bytes, kStdoutFrame, "cut short", 9);
  bytes.resize(bytes.size() - 5);  // its writer died mid-frame
  const Split s = Read(bytes, 3);
  EXPECT_EQ(s.out, "completecut ");
  // A header alone carries nothing.
  std::string header_only;
  AppendFrame(&header_only, kStderrFrame, "x", 1);
  header_only.resize(3);
  EXPECT_EQ(Read(header_only, 1).err, "");
}

}  // namespace
}  // namespace taskexec
