#include "core/json_read.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

using nlohmann::json;

// A field of another type, a missing one and a non-object all read as
// absent; none throws (json's value(key, default) throws on the first).
TEST(JsonRead, AFieldOfAnotherTypeReadsAsAbsent) {
  const json j = json::parse(R"({"s": "text", "b": true, "n": 42, "wrong": [1], "x": 1.5})");
  EXPECT_EQ(JsonString(j, "s"), "text");
  EXPECT_EQ(JsonString(j, "n"), "");
  EXPECT_EQ(JsonString(j, "missing"), "");
  EXPECT_TRUE(JsonBool(j, "b"));
  EXPECT_FALSE(JsonBool(j, "s"));
  EXPECT_TRUE(JsonBool(j, "wrong", true));
  EXPECT_EQ(JsonInt(j, "n"), 42);
  EXPECT_EQ(JsonInt(j, "x", -1), -1) << "a fraction is not an integer";
  EXPECT_EQ(JsonInt(j, "s", 7), 7);
  for (const json& not_object : {json(), json(3), json("s"), json::array({1, 2})}) {
    EXPECT_EQ(JsonString(not_object, "s"), "");
    EXPECT_FALSE(JsonBool(not_object, "b"));
    EXPECT_EQ(JsonInt(not_object, "n"), 0);
  }
}

}  // namespace
}  // namespace taskexec
