// Bolt message framing: a message is sent as chunks of at most 65535 bytes,
// each prefixed with its big-endian 16-bit length, and ended by a zero-length
// chunk. A zero-length chunk between messages is a keep-alive (NOOP).
//
// Thread-safety: ChunkDecoder is a value with no internal locking; use one
// per connection from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "bolt/value.h"
#include "core/status.h"

namespace taskexec::bolt {

constexpr size_t kMaxChunkSize = 0xFFFF;

// Appends `message` framed as chunks of at most `max_chunk` (1..65535) bytes
// plus the end marker.
void AppendChunked(const Bytes& message, Bytes* out, size_t max_chunk = kMaxChunkSize);

// Reassembles messages from a byte stream fed in arbitrary pieces.
class ChunkDecoder {
 public:
  // Messages larger than `max_message_bytes` are refused (Corruption), so a
  // peer cannot make us buffer without bound.
  explicit ChunkDecoder(size_t max_message_bytes = 256u << 20)
      : max_message_bytes_(max_message_bytes) {}

  // Consumes `size` bytes; completed messages become available via Next().
  Status Feed(const uint8_t* data, size_t size);
  // Pops the next complete message into *out; false when none is complete.
  bool Next(Bytes* out);
  // True when a message has started but is not complete.
  bool InMessage() const { return !current_.empty() || header_bytes_ > 0 || chunk_left_ > 0; }

 private:
  size_t max_message_bytes_;
  uint8_t header_[2] = {0, 0};
  int header_bytes_ = 0;   // bytes of the current chunk header seen
  size_t chunk_left_ = 0;  // payload bytes of the current chunk still to come
  Bytes current_;
  std::deque<Bytes> done_;
};

}  // namespace taskexec::bolt
