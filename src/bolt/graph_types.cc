#include "bolt/graph_types.h"

#include <string>

#include "core/clock.h"

namespace taskexec::bolt {
namespace {

Status Shape(const char* what) {
  return Status::Corruption(std::string("Bolt: malformed ") + what + " structure");
}

// Checks the tag and that the field count is one of `n1`/`n2`.
bool IsStruct(const Value& v, uint8_t t, size_t n1, size_t n2 = SIZE_MAX) {
  if (!v.is_struct()) return false;
  const auto& s = v.as_struct();
  return s.tag == t && (s.fields.size() == n1 || s.fields.size() == n2);
}

bool OptString(const Value& v, std::optional<std::string>* out) {
  if (!v.is_string()) return false;
  *out = v.as_string();
  return true;
}

}  // namespace

Status Node::FromValue(const Value& v, Node* out) {
  if (!IsStruct(v, tag::kNode, 3, 4)) return Shape("Node");
  const auto& f = v.as_struct().fields;
  if (!f[0].is_int() || !f[1].is_list() || !f[2].is_map()) return Shape("Node");
  Node n;
  n.id = f[0].as_int();
  for (const auto& l : f[1].as_list()) {
    if (!l.is_string()) return Shape("Node");
    n.labels.push_back(l.as_string());
  }
  n.properties = f[2].as_map();
  if (f.size() == 4 && !OptString(f[3], &n.element_id)) return Shape("Node");
  *out = std::move(n);
  return Status::OK();
}

Value Node::ToValue() const {
  List labs(labels.begin(), labels.end());
  Structure s{tag::kNode, {Value(id), Value(std::move(labs)), Value(properties)}};
  if (element_id) s.fields.emplace_back(*element_id);
  return Value(std::move(s));
}

Status Relationship::FromValue(const Value& v, Relationship* out) {
  if (!IsStruct(v, tag::kRelationship, 5, 8)) return Shape("Relationship");
  const auto& f = v.as_struct().fields;
  if (!f[0].is_int() || !f[1].is_int() || !f[2].is_int() || !f[3].is_string() || !f[4].is_map()) {
    return Shape("Relationship");
  }
  Relationship r;
  r.id = f[0].as_int();
  r.start_id = f[1].as_int();
  r.end_id = f[2].as_int();
  r.type = f[3].as_string();
  r.properties = f[4].as_map();
  if (f.size() == 8 && !(OptString(f[5], &r.element_id) && OptString(f[6], &r.start_element_id) &&
                         OptString(f[7], &r.end_element_id))) {
    return Shape("Relationship");
  }
  *out = std::move(r);
  return Status::OK();
}

Value Relationship::ToValue() const {
  Structure s{tag::kRelationship,
              {Value(id), Value(start_id), Value(end_id), Value(type), Value(properties)}};
  if (element_id) {
    s.fields.emplace_back(*element_id);
    s.fields.emplace_back(start_element_id.value_or(""));
    s.fields.emplace_back(end_element_id.value_or(""));
  }
  return Value(std::move(s));
}

Status UnboundRelationship::FromValue(const Value& v, UnboundRelationship* out) {
  if (!IsStruct(v, tag::kUnboundRelationship, 3, 4)) return Shape("UnboundRelationship");
  const auto& f = v.as_struct().fields;
  if (!f[0].is_int() || !f[1].is_string() || !f[2].is_map()) return Shape("UnboundRelationship");
  UnboundRelationship r;
  r.id = f[0].as_int();
  r.type = f[1].as_string();
  r.properties = f[2].as_map();
  if (f.size() == 4 && !OptString(f[3], &r.element_id)) return Shape("UnboundRelationship");
  *out = std::move(r);
  return Status::OK();
}

Value UnboundRelationship::ToValue() const {
  Structure s{tag::kUnboundRelationship, {Value(id), Value(type), Value(properties)}};
  if (element_id) s.fields.emplace_back(*element_id);
  return Value(std::move(s));
}

Status Path::FromValue(const Value& v, Path* out) {
  if (!IsStruct(v, tag::kPath, 3)) return Shape("Path");
  const auto& f = v.as_struct().fields;
  if (!f[0].is_list() || !f[1].is_list() || !f[2].is_list()) return Shape("Path");
  Path p;
  for (const auto& n : f[0].as_list()) {
    p.nodes.emplace_back();
    if (Status s = Node::FromValue(n, &p.nodes.back()); !s.ok()) return s;
  }
  for (const auto& r : f[1].as_list()) {
    p.relationships.emplace_back();
    if (Status s = UnboundRelationship::FromValue(r, &p.relationships.back()); !s.ok()) return s;
  }
  for (const auto& i : f[2].as_list()) {
    if (!i.is_int()) return Shape("Path");
    p.indices.push_back(i.as_int());
  }
  // The indices alternate relationship/node; each must point inside the path.
  for (size_t k = 0; k < p.indices.size(); ++k) {
    int64_t i = p.indices[k];
    if (k % 2 == 0) {
      int64_t r = i < 0 ? -i : i;
      if (r < 1 || r > static_cast<int64_t>(p.relationships.size())) return Shape("Path");
    } else if (i < 0 || i >= static_cast<int64_t>(p.nodes.size())) {
      return Shape("Path");
    }
  }
  *out = std::move(p);
  return Status::OK();
}

Value Path::ToValue() const {
  List n, r, i;
  for (const auto& x : nodes) n.push_back(x.ToValue());
  for (const auto& x : relationships) r.push_back(x.ToValue());
  for (auto x : indices) i.emplace_back(x);
  return Value(
      Structure{tag::kPath, {Value(std::move(n)), Value(std::move(r)), Value(std::move(i))}});
}

Status DateTime::FromValue(const Value& v, DateTime* out) {
  bool utc = IsStruct(v, tag::kDateTime, 3);
  bool legacy = IsStruct(v, tag::kLegacyDateTime, 3);
  if (!utc && !legacy) return Shape("DateTime");
  const auto& f = v.as_struct().fields;
  if (!f[0].is_int() || !f[1].is_int() || !f[2].is_int()) return Shape("DateTime");
  DateTime d;
  d.offset_seconds = f[2].as_int();
  d.nanoseconds = f[1].as_int();
  // Legacy 4.x values carry local seconds: subtract the offset for UTC.
  if (utc) {
    d.epoch_seconds = f[0].as_int();
  } else if (__builtin_sub_overflow(f[0].as_int(), d.offset_seconds, &d.epoch_seconds)) {
    return Shape("DateTime");
  }
  *out = d;
  return Status::OK();
}

Value DateTime::ToValue() const {
  return Value(
      Structure{tag::kDateTime, {Value(epoch_seconds), Value(nanoseconds), Value(offset_seconds)}});
}

DateTime DateTime::FromEpochMillis(int64_t ms) {
  DateTime d;
  int64_t sec = ms / 1000, rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    sec -= 1;
  }
  d.epoch_seconds = sec;
  d.nanoseconds = rem * 1000000;
  return d;
}

Status Date::FromValue(const Value& v, Date* out) {
  if (!IsStruct(v, tag::kDate, 1) || !v.as_struct().fields[0].is_int()) return Shape("Date");
  out->days = v.as_struct().fields[0].as_int();
  return Status::OK();
}

Value Date::ToValue() const { return Value(Structure{tag::kDate, {Value(days)}}); }

Status Duration::FromValue(const Value& v, Duration* out) {
  if (!IsStruct(v, tag::kDuration, 4)) return Shape("Duration");
  const auto& f = v.as_struct().fields;
  for (const auto& x : f) {
    if (!x.is_int()) return Shape("Duration");
  }
  *out = Duration{f[0].as_int(), f[1].as_int(), f[2].as_int(), f[3].as_int()};
  return Status::OK();
}

Value Duration::ToValue() const {
  return Value(
      Structure{tag::kDuration, {Value(months), Value(days), Value(seconds), Value(nanoseconds)}});
}

Status Point::FromValue(const Value& v, Point* out) {
  bool p2 = IsStruct(v, tag::kPoint2D, 3), p3 = IsStruct(v, tag::kPoint3D, 4);
  if (!p2 && !p3) return Shape("Point");
  const auto& f = v.as_struct().fields;
  if (!f[0].is_int()) return Shape("Point");
  for (size_t i = 1; i < f.size(); ++i) {
    if (!f[i].is_float()) return Shape("Point");
  }
  Point p;
  p.srid = f[0].as_int();
  p.x = f[1].as_float();
  p.y = f[2].as_float();
  if (p3) p.z = f[3].as_float();
  *out = p;
  return Status::OK();
}

Value Point::ToValue() const {
  if (z) return Value(Structure{tag::kPoint3D, {Value(srid), Value(x), Value(y), Value(*z)}});
  return Value(Structure{tag::kPoint2D, {Value(srid), Value(x), Value(y)}});
}

bool ToEpochMillis(const Value& v, int64_t* ms) {
  if (v.is_int()) {
    *ms = v.as_int();
    return true;
  }
  if (v.is_string()) return ParseIso8601(v.as_string(), ms);
  // Seconds (or days) to milliseconds, refusing values that overflow.
  auto scale = [ms](int64_t units, int64_t factor, int64_t extra_ms) {
    int64_t r = 0;
    return !__builtin_mul_overflow(units, factor, &r) && !__builtin_add_overflow(r, extra_ms, ms);
  };
  DateTime dt;
  if (DateTime::FromValue(v, &dt).ok())
    return scale(dt.epoch_seconds, 1000, dt.nanoseconds / 1000000);
  if (IsStruct(v, tag::kLocalDateTime, 2)) {
    const auto& f = v.as_struct().fields;
    if (!f[0].is_int() || !f[1].is_int()) return false;
    return scale(f[0].as_int(), 1000, f[1].as_int() / 1000000);
  }
  Date d;
  if (Date::FromValue(v, &d).ok()) return scale(d.days, 86400000, 0);
  return false;
}

}  // namespace taskexec::bolt
