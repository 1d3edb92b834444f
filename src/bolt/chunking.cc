#include "bolt/chunking.h"

#include <algorithm>
#include <string>

namespace taskexec::bolt {

void AppendChunked(const Bytes& message, Bytes* out, size_t max_chunk) {
  max_chunk = std::clamp<size_t>(max_chunk, 1, kMaxChunkSize);
  size_t off = 0;
  while (off < message.size()) {
    size_t n = std::min(max_chunk, message.size() - off);
    out->push_back(static_cast<uint8_t>(n >> 8));
    out->push_back(static_cast<uint8_t>(n & 0xFF));
    out->insert(out->end(), message.begin() + off, message.begin() + off + n);
    off += n;
  }
  out->push_back(0);
  out->push_back(0);
}

Status ChunkDecoder::Feed(const uint8_t* data, size_t size) {
  size_t i = 0;
  while (i < size) {
    if (chunk_left_ > 0) {
      size_t n = std::min(chunk_left_, size - i);
      if (current_.size() + n > max_message_bytes_) {
        return Status::Corruption("Bolt: message larger than " +
                                  std::to_string(max_message_bytes_) + " bytes");
      }
      current_.insert(current_.end(), data + i, data + i + n);
      chunk_left_ -= n;
      i += n;
      continue;
    }
    header_[header_bytes_++] = data[i++];
    if (header_bytes_ < 2) continue;
    header_bytes_ = 0;
    chunk_left_ = (static_cast<size_t>(header_[0]) << 8) | header_[1];
    if (chunk_left_ == 0) {
      // End of message, or a NOOP keep-alive when no message is open.
      if (!current_.empty()) done_.push_back(std::move(current_));
      current_.clear();
    }
  }
  return Status::OK();
}

bool ChunkDecoder::Next(Bytes* out) {
  if (done_.empty()) return false;
  *out = std::move(done_.front());
  done_.pop_front();
  return true;
}

}  // namespace taskexec::bolt
