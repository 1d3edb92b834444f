// The one fuzzing step shared by the libFuzzer target (fuzz/) and the
// deterministic gtest that runs without clang: decode arbitrary bytes as a
// PackStream value, as a chunked message stream and as typed graph values;
// anything that decodes must re-encode and decode to an equal value.
// Returns false on a property violation (the callers abort/fail on it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "bolt/chunking.h"
#include "bolt/graph_types.h"
#include "bolt/messages.h"
#include "bolt/packstream.h"

namespace taskexec::bolt {

inline bool FuzzDecodeOnce(const uint8_t* data, size_t size) {
  size_t pos = 0;
  Value v;
  if (Unpack(data, size, &pos, &v).ok()) {
    if (pos > size) return false;
    Bytes again;
    if (!Pack(v, &again).ok()) {
      // Only structures with more than 15 fields cannot be re-encoded, and
      // the decoder cannot produce them.
      return false;
    }
    Value back;
    if (!UnpackAll(again, &back).ok() || !(back == v)) return false;
    Node n;
    Relationship r;
    Path p;
    DateTime dt;
    Duration du;
    Point pt;
    int64_t ms;
    (void)Node::FromValue(v, &n);
    (void)Relationship::FromValue(v, &r);
    (void)Path::FromValue(v, &p);
    (void)DateTime::FromValue(v, &dt);
    (void)Duration::FromValue(v, &du);
    (void)Point::FromValue(v, &pt);
    (void)ToEpochMillis(v, &ms);
  }
  ChunkDecoder dec(1 << 20);
  if (dec.Feed(data, size).ok()) {
    Bytes body;
    while (dec.Next(&body)) {
      Structure m;
      if (DecodeMessage(body, &m).ok() && m.tag == msg::kFailure) (void)ParseFailure(m);
    }
  }
  return true;
}

}  // namespace taskexec::bolt
