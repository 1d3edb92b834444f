// Output frames: how the per-attempt supervisor (taskexec-attempt) passes
// its agent's stdout and stderr to the service over one descriptor, so a
// running attempt costs the service one descriptor instead of two pipes and
// a pidfd (ten thousand sessions must fit an open-file limit of 20,000).
//
// A frame is one byte naming the stream (kStdoutFrame, kStderrFrame), the
// payload's length as 4 bytes big-endian (1..kMaxFramePayload), then the
// payload. The order of frames is the order the supervisor read the
// agent's two pipes in.
//
// Header-only and libc-only: the static supervisor includes it too.
// Thread-safety: a FrameReader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace taskexec {

constexpr uint8_t kStdoutFrame = 1;
constexpr uint8_t kStderrFrame = 2;
constexpr size_t kFrameHeaderBytes = 5;
constexpr uint32_t kMaxFramePayload = 1u << 20;

// Appends one frame of `n` (1..kMaxFramePayload) bytes of `stream`.
inline void AppendFrame(std::string* out, uint8_t stream, const char* data, size_t n) {
  const auto len = static_cast<uint32_t>(n);
  const char header[kFrameHeaderBytes] = {static_cast<char>(stream), static_cast<char>(len >> 24),
                                          static_cast<char>(len >> 16), static_cast<char>(len >> 8),
                                          static_cast<char>(len)};
  out->append(header, kFrameHeaderBytes);
  out->append(data, n);
}

// Splits a byte stream back into frames, however the reads cut it. Bytes
// that are not frames (something other than the supervisor wrote to the
// descriptor: a C library's own message on a crash) are not lost: from the
// first bad header on, every byte is handed on as stderr.
class FrameReader {
 public:
  // Takes the next `n` bytes read; calls on_output(stream, data, size) for
  // each whole frame's payload (or raw stderr, see above).
  template <typename OnOutput>
  void Feed(const char* data, size_t n, OnOutput&& on_output) {
    if (broken_) {
      on_output(kStderrFrame, data, n);
      return;
    }
    // First the frame begun in an earlier read.
    while (!partial_.empty()) {
      const size_t want = Needed(partial_.data(), partial_.size());
      if (broken_) return Flush(on_output, data, n);
      if (partial_.size() < want) {
        if (n == 0) return;
        const size_t used = want - partial_.size() < n ? want - partial_.size() : n;
        partial_.append(data, used);
        data += used;
        n -= used;
        continue;
      }
      on_output(static_cast<uint8_t>(partial_[0]), partial_.data() + kFrameHeaderBytes,
                partial_.size() - kFrameHeaderBytes);
      partial_.clear();
    }
    while (n > 0) {
      const size_t want = Needed(data, n);
      if (broken_) return Flush(on_output, data, n);
      if (want > n) {
        partial_.assign(data, n);
        return;
      }
      on_output(static_cast<uint8_t>(data[0]), data + kFrameHeaderBytes, want - kFrameHeaderBytes);
      data += want;
      n -= want;
    }
  }

  // At the end of the stream: the payload of a frame cut short (its writer
  // died mid-frame) is handed on as far as it came.
  template <typename OnOutput>
  void Finish(OnOutput&& on_output) {
    if (partial_.size() > kFrameHeaderBytes) {
      on_output(static_cast<uint8_t>(partial_[0]), partial_.data() + kFrameHeaderBytes,
                partial_.size() - kFrameHeaderBytes);
    }
    partial_.clear();
  }

  // Bytes of a frame not yet whole.
  size_t partial() const { return partial_.size(); }
  // Whether bytes that were not frames came.
  bool broken() const { return broken_; }

 private:
  // The whole frame's size as far as `n` bytes at `p` tell it (a header
  // not yet whole asks for the header); marks the stream broken on a bad
  // header.
  size_t Needed(const char* p, size_t n) {
    if (n < kFrameHeaderBytes) {
      if (n >= 1 && p[0] != kStdoutFrame && p[0] != kStderrFrame) broken_ = true;
      return kFrameHeaderBytes;
    }
    const uint32_t len = (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 24) |
                         (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16) |
                         (static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 8) |
                         static_cast<uint32_t>(static_cast<uint8_t>(p[4]));
    if ((p[0] != kStdoutFrame && p[0] != kStderrFrame) || len == 0 || len > kMaxFramePayload) {
      broken_ = true;
    }
    return kFrameHeaderBytes + len;
  }

  // From a bad header on: what was held and what is left, as stderr.
  template <typename OnOutput>
  void Flush(OnOutput&& on_output, const char* data, size_t n) {
    if (!partial_.empty()) on_output(kStderrFrame, partial_.data(), partial_.size());
    partial_.clear();
    if (n > 0) on_output(kStderrFrame, data, n);
  }

  std::string partial_;
  bool broken_ = false;
};

}  // namespace taskexec
