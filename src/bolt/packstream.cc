#include "bolt/packstream.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

namespace taskexec::bolt {
namespace {

// Markers (see the table in docs/bolt.md).
constexpr uint8_t kNull = 0xC0, kFloat = 0xC1, kFalse = 0xC2, kTrue = 0xC3;
constexpr uint8_t kInt8 = 0xC8, kInt16 = 0xC9, kInt32 = 0xCA, kInt64 = 0xCB;
constexpr uint8_t kBytes8 = 0xCC, kBytes16 = 0xCD, kBytes32 = 0xCE;
constexpr uint8_t kString8 = 0xD0, kString16 = 0xD1, kString32 = 0xD2;
constexpr uint8_t kList8 = 0xD4, kList16 = 0xD5, kList32 = 0xD6;
constexpr uint8_t kMap8 = 0xD8, kMap16 = 0xD9, kMap32 = 0xDA;
constexpr uint8_t kTinyString = 0x80, kTinyList = 0x90, kTinyMap = 0xA0, kTinyStruct = 0xB0;

void PutBE(uint64_t v, int bytes, Bytes* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Writes a size header: tiny marker when n < 16 (if the type has one), else
// the 8/16/32-bit form.
Status PutSize(size_t n, uint8_t tiny, uint8_t m8, uint8_t m16, uint8_t m32, Bytes* out) {
  if (tiny != 0 && n < 16) {
    out->push_back(static_cast<uint8_t>(tiny | n));
  } else if (n <= 0xFF) {
    out->push_back(m8);
    PutBE(n, 1, out);
  } else if (n <= 0xFFFF) {
    out->push_back(m16);
    PutBE(n, 2, out);
  } else if (n <= 0xFFFFFFFFu) {
    out->push_back(m32);
    PutBE(n, 4, out);
  } else {
    return Status::InvalidArgument("PackStream: size " + std::to_string(n) + " exceeds 2^32-1");
  }
  return Status::OK();
}

void PutInt(int64_t i, Bytes* out) {
  if (i >= -16 && i <= 127) {
    out->push_back(static_cast<uint8_t>(i));
  } else if (i >= std::numeric_limits<int8_t>::min() && i <= std::numeric_limits<int8_t>::max()) {
    out->push_back(kInt8);
    PutBE(static_cast<uint64_t>(i), 1, out);
  } else if (i >= std::numeric_limits<int16_t>::min() && i <= std::numeric_limits<int16_t>::max()) {
    out->push_back(kInt16);
    PutBE(static_cast<uint64_t>(i), 2, out);
  } else if (i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max()) {
    out->push_back(kInt32);
    PutBE(static_cast<uint64_t>(i), 4, out);
  } else {
    out->push_back(kInt64);
    PutBE(static_cast<uint64_t>(i), 8, out);
  }
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, size_t pos, const DecodeLimits& limits)
      : data_(data), size_(size), pos_(pos), limits_(limits) {}

  size_t pos() const { return pos_; }

  Status Read(Value* out, int depth) {
    if (depth > limits_.max_depth) {
      return Status::Corruption("PackStream: nesting deeper than " +
                                std::to_string(limits_.max_depth));
    }
    uint8_t m;
    if (!Byte(&m)) return Truncated();
    if (m <= 0x7F || m >= 0xF0) {  // tiny int
      *out = Value(static_cast<int64_t>(static_cast<int8_t>(m)));
      return Status::OK();
    }
    const uint8_t hi = m & 0xF0;
    if (hi == kTinyString) return ReadString(m & 0x0F, out);
    if (hi == kTinyList) return ReadList(m & 0x0F, out, depth);
    if (hi == kTinyMap) return ReadMap(m & 0x0F, out, depth);
    if (hi == kTinyStruct) return ReadStruct(m & 0x0F, out, depth);
    uint64_t n = 0;
    switch (m) {
      case kNull:
        *out = Value();
        return Status::OK();
      case kFalse:
        *out = Value(false);
        return Status::OK();
      case kTrue:
        *out = Value(true);
        return Status::OK();
      case kFloat: {
        if (!BE(8, &n)) return Truncated();
        *out = Value(std::bit_cast<double>(n));
        return Status::OK();
      }
      case kInt8:
        if (!BE(1, &n)) return Truncated();
        *out = Value(static_cast<int64_t>(static_cast<int8_t>(n)));
        return Status::OK();
      case kInt16:
        if (!BE(2, &n)) return Truncated();
        *out = Value(static_cast<int64_t>(static_cast<int16_t>(n)));
        return Status::OK();
      case kInt32:
        if (!BE(4, &n)) return Truncated();
        *out = Value(static_cast<int64_t>(static_cast<int32_t>(n)));
        return Status::OK();
      case kInt64:
        if (!BE(8, &n)) return Truncated();
        *out = Value(static_cast<int64_t>(n));
        return Status::OK();
      case kBytes8:
      case kBytes16:
      case kBytes32:
        if (!BE(1 << (m - kBytes8), &n)) return Truncated();
        return ReadBytes(n, out);
      case kString8:
      case kString16:
      case kString32:
        if (!BE(1 << (m - kString8), &n)) return Truncated();
        return ReadString(n, out);
      case kList8:
      case kList16:
      case kList32:
        if (!BE(1 << (m - kList8), &n)) return Truncated();
        return ReadList(n, out, depth);
      case kMap8:
      case kMap16:
      case kMap32:
        if (!BE(1 << (m - kMap8), &n)) return Truncated();
        return ReadMap(n, out, depth);
      default:
        break;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "PackStream: unknown marker 0x%02X at offset %zu", m, pos_ - 1);
    return Status::Corruption(buf);
  }

 private:
  static Status Truncated() { return Status::Corruption("PackStream: truncated value"); }
  size_t Remaining() const { return size_ - pos_; }
  bool Byte(uint8_t* b) {
    if (pos_ >= size_) return false;
    *b = data_[pos_++];
    return true;
  }
  bool BE(int bytes, uint64_t* v) {
    if (Remaining() < static_cast<size_t>(bytes)) return false;
    uint64_t r = 0;
    for (int i = 0; i < bytes; ++i) r = (r << 8) | data_[pos_++];
    *v = r;
    return true;
  }
  // Every item needs at least `min_bytes` bytes; reject sizes the remaining
  // input cannot hold before allocating anything.
  Status CheckFits(uint64_t n, uint64_t min_bytes) const {
    if (n > Remaining() / min_bytes) {
      return Status::Corruption("PackStream: declared size " + std::to_string(n) +
                                " exceeds the remaining " + std::to_string(Remaining()) + " bytes");
    }
    return Status::OK();
  }
  Status ReadBytes(uint64_t n, Value* out) {
    if (Status s = CheckFits(n, 1); !s.ok()) return s;
    Bytes b(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    *out = Value(std::move(b));
    return Status::OK();
  }
  Status ReadString(uint64_t n, Value* out) {
    if (Status s = CheckFits(n, 1); !s.ok()) return s;
    std::string str(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    *out = Value(std::move(str));
    return Status::OK();
  }
  Status ReadList(uint64_t n, Value* out, int depth) {
    if (Status s = CheckFits(n, 1); !s.ok()) return s;
    List items;
    items.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      items.emplace_back();
      if (Status s = Read(&items.back(), depth + 1); !s.ok()) return s;
    }
    *out = Value(std::move(items));
    return Status::OK();
  }
  Status ReadMap(uint64_t n, Value* out, int depth) {
    if (Status s = CheckFits(n, 2); !s.ok()) return s;
    Map map;
    map.entries.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      Value key;
      if (Status s = Read(&key, depth + 1); !s.ok()) return s;
      if (!key.is_string()) {
        return Status::Corruption(std::string("PackStream: map key is a ") + TypeName(key.type()) +
                                  ", not a string");
      }
      Value v;
      if (Status s = Read(&v, depth + 1); !s.ok()) return s;
      // Keep wire order. Duplicate keys are kept as sent (Map::Find returns
      // the first); de-duplicating here would make hostile input quadratic.
      map.entries.emplace_back(key.as_string(), std::move(v));
    }
    *out = Value(std::move(map));
    return Status::OK();
  }
  Status ReadStruct(uint64_t n, Value* out, int depth) {
    Structure st;
    if (!Byte(&st.tag)) return Truncated();
    if (Status s = CheckFits(n, 1); !s.ok()) return s;
    st.fields.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      st.fields.emplace_back();
      if (Status s = Read(&st.fields.back(), depth + 1); !s.ok()) return s;
    }
    *out = Value(std::move(st));
    return Status::OK();
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  const DecodeLimits& limits_;
};

}  // namespace

Status Pack(const Value& v, Bytes* out) {
  switch (v.type()) {
    case Type::kNull:
      out->push_back(kNull);
      return Status::OK();
    case Type::kBool:
      out->push_back(v.as_bool() ? kTrue : kFalse);
      return Status::OK();
    case Type::kInt:
      PutInt(v.as_int(), out);
      return Status::OK();
    case Type::kFloat:
      out->push_back(kFloat);
      PutBE(std::bit_cast<uint64_t>(v.as_float()), 8, out);
      return Status::OK();
    case Type::kBytes: {
      const Bytes& b = v.as_bytes();
      if (Status s = PutSize(b.size(), 0, kBytes8, kBytes16, kBytes32, out); !s.ok()) return s;
      out->insert(out->end(), b.begin(), b.end());
      return Status::OK();
    }
    case Type::kString: {
      const std::string& str = v.as_string();
      if (Status s = PutSize(str.size(), kTinyString, kString8, kString16, kString32, out);
          !s.ok()) {
        return s;
      }
      out->insert(out->end(), str.begin(), str.end());
      return Status::OK();
    }
    case Type::kList: {
      const List& l = v.as_list();
      if (Status s = PutSize(l.size(), kTinyList, kList8, kList16, kList32, out); !s.ok()) return s;
      for (const auto& item : l) {
        if (Status s = Pack(item, out); !s.ok()) return s;
      }
      return Status::OK();
    }
    case Type::kMap: {
      const Map& m = v.as_map();
      if (Status s = PutSize(m.size(), kTinyMap, kMap8, kMap16, kMap32, out); !s.ok()) return s;
      for (const auto& [k, item] : m.entries) {
        if (Status s = Pack(Value(k), out); !s.ok()) return s;
        if (Status s = Pack(item, out); !s.ok()) return s;
      }
      return Status::OK();
    }
    case Type::kStructure: {
      const Structure& st = v.as_struct();
      if (st.fields.size() > 15) {
        return Status::InvalidArgument("PackStream: a structure has at most 15 fields");
      }
      out->push_back(static_cast<uint8_t>(kTinyStruct | st.fields.size()));
      out->push_back(st.tag);
      for (const auto& f : st.fields) {
        if (Status s = Pack(f, out); !s.ok()) return s;
      }
      return Status::OK();
    }
  }
  return Status::Internal("PackStream: unknown value type");
}

Status Unpack(const uint8_t* data, size_t size, size_t* pos, Value* out,
              const DecodeLimits& limits) {
  Reader r(data, size, *pos, limits);
  Status s = r.Read(out, 0);
  *pos = r.pos();
  return s;
}

Status UnpackAll(const Bytes& data, Value* out, const DecodeLimits& limits) {
  size_t pos = 0;
  if (Status s = Unpack(data.data(), data.size(), &pos, out, limits); !s.ok()) return s;
  if (pos != data.size()) {
    return Status::Corruption("PackStream: " + std::to_string(data.size() - pos) +
                              " trailing bytes after the value");
  }
  return Status::OK();
}

}  // namespace taskexec::bolt
