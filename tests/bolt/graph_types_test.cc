// Typed graph, temporal and spatial values: round trips through PackStream
// and refusal of malformed structures.
#include <gtest/gtest.h>

#include "bolt/graph_types.h"
#include "bolt/packstream.h"

namespace taskexec::bolt {
namespace {

Value Reencode(const Value& v) {
  Bytes b;
  EXPECT_TRUE(Pack(v, &b).ok());
  Value out;
  EXPECT_TRUE(UnpackAll(b, &out).ok());
  return out;
}

TEST(GraphTypes, NodeBolt4And5) {
  Node n;
  n.id = 42;
  n.labels = {"Task", "Adopted"};
  n.properties.Set("id", "task-1");
  n.properties.Set("retry_count", 2);
  Node back;
  ASSERT_TRUE(Node::FromValue(Reencode(n.ToValue()), &back).ok());
  EXPECT_EQ(back.id, 42);
  EXPECT_EQ(back.labels, n.labels);
  EXPECT_EQ(back.properties, n.properties);
  EXPECT_FALSE(back.element_id.has_value());
  n.element_id = "4:abc:42";
  ASSERT_TRUE(Node::FromValue(Reencode(n.ToValue()), &back).ok());
  EXPECT_EQ(back.element_id, "4:abc:42");
  EXPECT_EQ(back.ToValue(), n.ToValue());
}

TEST(GraphTypes, RelationshipAndPath) {
  Relationship r;
  r.id = 7;
  r.start_id = 1;
  r.end_id = 2;
  r.type = "HAS_EXECUTION";
  r.element_id = "5:x:7";
  r.start_element_id = "4:x:1";
  r.end_element_id = "4:x:2";
  Relationship rb;
  ASSERT_TRUE(Relationship::FromValue(Reencode(r.ToValue()), &rb).ok());
  EXPECT_EQ(rb.ToValue(), r.ToValue());

  Path p;
  p.nodes.resize(2);
  p.nodes[0].id = 1;
  p.nodes[1].id = 2;
  UnboundRelationship u;
  u.id = 7;
  u.type = "PRODUCED";
  p.relationships = {u};
  p.indices = {1, 1};
  Path pb;
  ASSERT_TRUE(Path::FromValue(Reencode(p.ToValue()), &pb).ok());
  EXPECT_EQ(pb.ToValue(), p.ToValue());
  // Indices pointing outside the path are refused.
  p.indices = {2, 1};
  EXPECT_FALSE(Path::FromValue(p.ToValue(), &pb).ok());
  p.indices = {1, 5};
  EXPECT_FALSE(Path::FromValue(p.ToValue(), &pb).ok());
}

TEST(GraphTypes, TemporalAndSpatial) {
  DateTime dt = DateTime::FromEpochMillis(1764067321123);
  dt.offset_seconds = 3600;
  DateTime back;
  ASSERT_TRUE(DateTime::FromValue(Reencode(dt.ToValue()), &back).ok());
  EXPECT_EQ(back.EpochMillis(), 1764067321123);
  EXPECT_EQ(back.offset_seconds, 3600);
  // Bolt 4.x legacy DateTime carries local seconds (UTC + offset).
  Value legacy(Structure{tag::kLegacyDateTime, {1764067321 + 3600, 0, 3600}});
  ASSERT_TRUE(DateTime::FromValue(legacy, &back).ok());
  EXPECT_EQ(back.epoch_seconds, 1764067321);
  EXPECT_EQ(DateTime::FromEpochMillis(-1).nanoseconds, 999000000);

  Date d{20417};
  Date db;
  ASSERT_TRUE(Date::FromValue(Reencode(d.ToValue()), &db).ok());
  EXPECT_EQ(db.days, 20417);
  Duration du{14, 3, 3600, 5};
  Duration dub;
  ASSERT_TRUE(Duration::FromValue(Reencode(du.ToValue()), &dub).ok());
  EXPECT_EQ(dub.ToValue(), du.ToValue());
  Point p2{7203, 1.5, -2.5, std::nullopt}, p3{4979, 1, 2, 3.0}, pb;
  ASSERT_TRUE(Point::FromValue(Reencode(p2.ToValue()), &pb).ok());
  EXPECT_EQ(pb.ToValue(), p2.ToValue());
  ASSERT_TRUE(Point::FromValue(Reencode(p3.ToValue()), &pb).ok());
  EXPECT_EQ(pb.z, 3.0);
  // Time, LocalTime, LocalDateTime, DateTimeZoneId travel as structures.
  for (Value v :
       {Value(Structure{tag::kTime, {1000, 3600}}), Value(Structure{tag::kLocalTime, {5}}),
        Value(Structure{tag::kLocalDateTime, {1, 2}}),
        Value(Structure{tag::kDateTimeZoneId, {1, 2, "Europe/Paris"}})}) {
    EXPECT_EQ(Reencode(v), v);
  }
}

TEST(GraphTypes, EpochMillisFromEveryStoredForm) {
  int64_t ms = 0;
  EXPECT_TRUE(ToEpochMillis(Value(123), &ms));
  EXPECT_EQ(ms, 123);
  EXPECT_TRUE(ToEpochMillis(DateTime::FromEpochMillis(5000).ToValue(), &ms));
  EXPECT_EQ(ms, 5000);
  EXPECT_TRUE(ToEpochMillis(Value("1970-01-01T00:00:01.000Z"), &ms));
  EXPECT_EQ(ms, 1000);
  EXPECT_TRUE(ToEpochMillis(Value(Structure{tag::kLocalDateTime, {2, 0}}), &ms));
  EXPECT_EQ(ms, 2000);
  EXPECT_FALSE(ToEpochMillis(Value(), &ms));
  EXPECT_FALSE(ToEpochMillis(Value("yesterday"), &ms));
  // Out-of-range seconds are refused rather than overflowing.
  EXPECT_FALSE(ToEpochMillis(Value(Structure{tag::kDateTime, {INT64_MAX, 0, 0}}), &ms));
}

TEST(GraphTypes, MalformedStructuresAreRefused) {
  Node n;
  Relationship r;
  DateTime dt;
  Point p;
  EXPECT_FALSE(Node::FromValue(Value(1), &n).ok());
  EXPECT_FALSE(Node::FromValue(Value(Structure{tag::kNode, {1, "x", Map{}}}), &n).ok());
  EXPECT_FALSE(Node::FromValue(Value(Structure{tag::kNode, {1, List{2}, Map{}}}), &n).ok());
  EXPECT_FALSE(Relationship::FromValue(Value(Structure{tag::kRelationship, {1}}), &r).ok());
  EXPECT_FALSE(DateTime::FromValue(Value(Structure{tag::kDateTime, {1, 2}}), &dt).ok());
  EXPECT_FALSE(Point::FromValue(Value(Structure{tag::kPoint2D, {1, 2, 3}}), &p).ok());
}

}  // namespace
}  // namespace taskexec::bolt
