// The value corpus of the PackStream interoperability test, mirrored in
// tests/node/packstream_interop.js (same names, same values, same order of
// map keys). Covers every type and every size boundary of the encoding.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bolt/graph_types.h"
#include "bolt/value.h"

namespace taskexec::bolt {

inline std::vector<std::pair<std::string, Value>> InteropCorpus() {
  std::vector<std::pair<std::string, Value>> c;
  c.emplace_back("null", Value());
  c.emplace_back("true", Value(true));
  c.emplace_back("false", Value(false));
  const int64_t ints[] = {0,
                          1,
                          -1,
                          127,
                          128,
                          -16,
                          -17,
                          -128,
                          -129,
                          32767,
                          32768,
                          -32768,
                          -32769,
                          2147483647LL,
                          2147483648LL,
                          -2147483648LL,
                          -2147483649LL,
                          std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min()};
  for (int64_t i : ints) c.emplace_back("int " + std::to_string(i), Value(i));
  for (double d : {0.0, -0.0, 1.5, -1.1, 1e300, 5e-324, std::numeric_limits<double>::infinity()}) {
    char name[64];
    std::snprintf(name, sizeof name, "float %.17g%s", d, std::signbit(d) && d == 0 ? "neg" : "");
    c.emplace_back(name, Value(d));
  }
  c.emplace_back("float nan", Value(std::nan("")));
  for (size_t n : {0, 1, 15, 16, 255, 256, 65535, 65536}) {
    c.emplace_back("string " + std::to_string(n), Value(std::string(n, 'a')));
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % 128);
    c.emplace_back("bytes " + std::to_string(n), Value(std::move(b)));
    List l;
    for (size_t i = 0; i < n; ++i) l.emplace_back(static_cast<int64_t>(i % 100));
    c.emplace_back("list " + std::to_string(n), Value(std::move(l)));
    Map m;
    for (size_t i = 0; i < n; ++i) m.entries.emplace_back("k" + std::to_string(i), Value(true));
    c.emplace_back("map " + std::to_string(n), Value(std::move(m)));
  }
  c.emplace_back("string utf8", Value("h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xF0\x9F\x9A\x80"));
  Map nested;
  nested.Set("name", "taskexec");
  nested.Set("tags", List{"a", 1, 2.5, Value(), List{}, Map{}});
  Map inner;
  inner.Set("deep", List{List{List{Value(42)}}});
  nested.Set("inner", inner);
  c.emplace_back("nested", Value(nested));
  // Graph and temporal structures as Bolt 5 sends them.
  Node node;
  node.id = 7;
  node.labels = {"Task", "Adopted"};
  node.properties.Set("id", "task-1");
  node.element_id = "4:db:7";
  c.emplace_back("node", node.ToValue());
  Relationship rel;
  rel.id = 3;
  rel.start_id = 7;
  rel.end_id = 8;
  rel.type = "HAS_EXECUTION";
  rel.element_id = "5:db:3";
  rel.start_element_id = "4:db:7";
  rel.end_element_id = "4:db:8";
  c.emplace_back("relationship", rel.ToValue());
  Path path;
  path.nodes = {node};
  Node other = node;
  other.id = 8;
  other.element_id = "4:db:8";
  path.nodes.push_back(other);
  UnboundRelationship ur;
  ur.id = 3;
  ur.type = "HAS_EXECUTION";
  ur.element_id = "5:db:3";
  path.relationships = {ur};
  path.indices = {1, 1};
  c.emplace_back("path", path.ToValue());
  c.emplace_back("date", Date{20417}.ToValue());
  DateTime dt{1764067321, 123000000, 3600};
  c.emplace_back("datetime", dt.ToValue());
  c.emplace_back("datetime zone id",
                 Value(Structure{tag::kDateTimeZoneId, {1764067321, 0, "Europe/Paris"}}));
  c.emplace_back("local datetime", Value(Structure{tag::kLocalDateTime, {1764067321, 5}}));
  c.emplace_back("time", Value(Structure{tag::kTime, {3600000000000LL, 3600}}));
  c.emplace_back("local time", Value(Structure{tag::kLocalTime, {3600000000000LL}}));
  c.emplace_back("duration", Duration{14, 3, 3600, 5}.ToValue());
  c.emplace_back("point2d", Point{7203, 1.5, -2.5, std::nullopt}.ToValue());
  c.emplace_back("point3d", Point{9157, 1.5, -2.5, 3.25}.ToValue());
  for (size_t n = 0; n <= 15; ++n) {
    c.emplace_back("struct " + std::to_string(n), Value(Structure{0x42, List(n, Value(1))}));
  }
  return c;
}

}  // namespace taskexec::bolt
