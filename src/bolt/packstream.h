// PackStream v1 encoding and decoding (big-endian; the markers are listed in
// /work/shared/reference/bolt-protocol.md and docs/bolt.md).
//
// The encoder always picks the smallest representation, as the official
// drivers do, so encodings can be compared byte for byte.
//
// The decoder is written for hostile input: nesting depth is capped, and
// every declared size is checked against the bytes that remain before
// anything is allocated (a list of n items needs at least n bytes, a map of n
// entries at least 2n), so memory use is bounded by a small multiple of the
// input size whatever the input says.
//
// Thread-safety: free functions over caller-owned data.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bolt/value.h"
#include "core/status.h"

namespace taskexec::bolt {

struct DecodeLimits {
  int max_depth = 64;  // nesting of lists, maps and structures
};

// Appends the encoding of `v` to `out`. Fails (InvalidArgument) only for
// sizes PackStream cannot express (more than 2^32-1 bytes/items, or a
// structure with more than 15 fields).
Status Pack(const Value& v, Bytes* out);

// Decodes one value from data[*pos, size) and advances *pos past it.
// Corruption on malformed or truncated input; *pos is then unspecified.
Status Unpack(const uint8_t* data, size_t size, size_t* pos, Value* out,
              const DecodeLimits& limits = {});

// Decodes exactly one value occupying all of `data` (Corruption on trailing
// bytes).
Status UnpackAll(const Bytes& data, Value* out, const DecodeLimits& limits = {});

}  // namespace taskexec::bolt
