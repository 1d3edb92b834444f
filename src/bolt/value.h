// bolt::Value: the PackStream value model (null, boolean, integer, float,
// bytes, string, list, map, structure). Typed views of the structures Neo4j
// sends (nodes, relationships, paths, temporal and spatial values) live in
// bolt/graph_types.h; the wire encoding lives in bolt/packstream.h.
//
// Maps keep their entries in insertion (wire) order, so a decoded map
// re-encodes to the same bytes. Lookups are linear, which is what Bolt's
// small metadata maps want.
//
// Thread-safety: plain values; distinct objects may be used from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace taskexec::bolt {

class Value;
using List = std::vector<Value>;
using Bytes = std::vector<uint8_t>;

struct Map {
  std::vector<std::pair<std::string, Value>> entries;

  // The value of the first entry named `key`, or nullptr.
  const Value* Find(std::string_view key) const;
  // Replaces the first entry named `key` or appends one.
  void Set(std::string key, Value value);
  size_t size() const;
  bool empty() const;
  friend bool operator==(const Map& a, const Map& b);
};

struct Structure {
  uint8_t tag = 0;
  List fields;
  friend bool operator==(const Structure& a, const Structure& b);
};

enum class Type { kNull, kBool, kInt, kFloat, kString, kBytes, kList, kMap, kStructure };
const char* TypeName(Type t);

class Value {
 public:
  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  template <typename I,
            typename = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  Value(I i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::move(l)) {}
  Value(Map m) : v_(std::move(m)) {}
  Value(Structure s) : v_(std::move(s)) {}

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_float() const { return type() == Type::kFloat; }
  bool is_string() const { return type() == Type::kString; }
  bool is_bytes() const { return type() == Type::kBytes; }
  bool is_list() const { return type() == Type::kList; }
  bool is_map() const { return type() == Type::kMap; }
  bool is_struct() const { return type() == Type::kStructure; }

  // Accessors; calling one for the wrong type throws std::bad_variant_access
  // (a programming error: check type() first for data from the network).
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const List& as_list() const { return std::get<List>(v_); }
  List& as_list() { return std::get<List>(v_); }
  const Map& as_map() const { return std::get<Map>(v_); }
  Map& as_map() { return std::get<Map>(v_); }
  const Structure& as_struct() const { return std::get<Structure>(v_); }

  // Lenient getters for protocol metadata: the fallback when absent or of
  // another type.
  std::string StringOr(std::string fallback) const {
    if (is_string()) return as_string();
    return fallback;  // moved: a returned parameter is an rvalue
  }
  int64_t IntOr(int64_t fallback) const { return is_int() ? as_int() : fallback; }

  // Equality is structural; floats compare by bit pattern so that NaN equals
  // itself and 0.0 differs from -0.0 (what a round-trip test needs).
  friend bool operator==(const Value& a, const Value& b);

  // A Cypher-like rendering for logs and test failures.
  std::string DebugString() const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Bytes, List, Map, Structure> v_;
};

inline size_t Map::size() const { return entries.size(); }
inline bool Map::empty() const { return entries.empty(); }

// Looks up `key` in `map` when it is a map; nullptr otherwise.
const Value* FindIn(const Value& map, std::string_view key);

}  // namespace taskexec::bolt
