// Typed views of the PackStream structures Neo4j returns as values: graph
// entities (Node, Relationship, UnboundRelationship, Path), temporal values
// and points. Each converts from a bolt::Value (Corruption when the shape is
// wrong, never a crash) and back (ToValue), so they round-trip exactly.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bolt/messages.h"
#include "bolt/value.h"
#include "core/status.h"

namespace taskexec::bolt {

namespace tag {
constexpr uint8_t kNode = 0x4E, kRelationship = 0x52, kUnboundRelationship = 0x72, kPath = 0x50;
constexpr uint8_t kDate = 0x44, kTime = 0x54, kLocalTime = 0x74, kDateTime = 0x49,
                  kDateTimeZoneId = 0x69, kLegacyDateTime = 0x46, kLegacyDateTimeZoneId = 0x66,
                  kLocalDateTime = 0x64, kDuration = 0x45, kPoint2D = 0x58, kPoint3D = 0x59;
}  // namespace tag

// Node: id, labels, properties and (Bolt 5) element_id.
struct Node {
  int64_t id = 0;
  std::vector<std::string> labels;
  Map properties;
  std::optional<std::string> element_id;  // set for Bolt 5.x
  static Status FromValue(const Value& v, Node* out);
  Value ToValue() const;
};

struct Relationship {
  int64_t id = 0, start_id = 0, end_id = 0;
  std::string type;
  Map properties;
  std::optional<std::string> element_id, start_element_id, end_element_id;  // Bolt 5.x
  static Status FromValue(const Value& v, Relationship* out);
  Value ToValue() const;
};

struct UnboundRelationship {
  int64_t id = 0;
  std::string type;
  Map properties;
  std::optional<std::string> element_id;
  static Status FromValue(const Value& v, UnboundRelationship* out);
  Value ToValue() const;
};

// Path: distinct nodes and relationships plus the index sequence that walks
// them (relationship index, 1-based and negative when traversed backwards,
// then node index, alternating).
struct Path {
  std::vector<Node> nodes;
  std::vector<UnboundRelationship> relationships;
  std::vector<int64_t> indices;
  static Status FromValue(const Value& v, Path* out);
  Value ToValue() const;
};

// DateTime with a fixed offset. `seconds` are UTC epoch seconds for the Bolt 5
// tag 0x49 and local (offset-adjusted) seconds for the legacy 4.x tag 0x46;
// FromValue normalises both to UTC.
struct DateTime {
  int64_t epoch_seconds = 0;  // UTC
  int64_t nanoseconds = 0;
  int64_t offset_seconds = 0;
  static Status FromValue(const Value& v, DateTime* out);
  Value ToValue() const;  // Bolt 5 form (0x49)
  // Only for values known to be in range (see ToEpochMillis for untrusted ones).
  int64_t EpochMillis() const { return epoch_seconds * 1000 + nanoseconds / 1000000; }
  static DateTime FromEpochMillis(int64_t ms);
};

struct Date {
  int64_t days = 0;  // since 1970-01-01
  static Status FromValue(const Value& v, Date* out);
  Value ToValue() const;
};

struct Duration {
  int64_t months = 0, days = 0, seconds = 0, nanoseconds = 0;
  static Status FromValue(const Value& v, Duration* out);
  Value ToValue() const;
};

struct Point {
  int64_t srid = 0;
  double x = 0, y = 0;
  std::optional<double> z;  // set for Point3D
  static Status FromValue(const Value& v, Point* out);
  Value ToValue() const;
};

// Milliseconds since the epoch from a DateTime (either tag), a LocalDateTime
// (taken as UTC), a Date, an integer (already ms) or an ISO-8601 string.
// False for anything else (and for null).
bool ToEpochMillis(const Value& v, int64_t* ms);

}  // namespace taskexec::bolt
