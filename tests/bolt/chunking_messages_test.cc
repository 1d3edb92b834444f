// Chunked framing and message encodings.
#include <gtest/gtest.h>

#include <random>

#include "bolt/chunking.h"
#include "bolt/messages.h"
#include "bolt/packstream.h"

namespace taskexec::bolt {
namespace {

TEST(Chunking, SmallMessageIsOneChunkPlusEndMarker) {
  Bytes out;
  AppendChunked(Bytes{0xB0, 0x0F}, &out);
  EXPECT_EQ(out, (Bytes{0x00, 0x02, 0xB0, 0x0F, 0x00, 0x00}));
}

TEST(Chunking, LargeMessagesSplitAtTheLimitAndReassemble) {
  for (size_t size : {size_t{65535}, size_t{65536}, size_t{200000}}) {
    Bytes msg(size);
    for (size_t i = 0; i < size; ++i) msg[i] = static_cast<uint8_t>(i);
    Bytes wire;
    AppendChunked(msg, &wire);
    EXPECT_EQ(wire[0], 0xFF);
    EXPECT_EQ(wire[1], 0xFF);
    ChunkDecoder dec;
    ASSERT_TRUE(dec.Feed(wire.data(), wire.size()).ok());
    Bytes got;
    ASSERT_TRUE(dec.Next(&got));
    EXPECT_EQ(got, msg);
    EXPECT_FALSE(dec.Next(&got));
  }
}

TEST(Chunking, ByteAtATimeWithNoopsBetweenMessages) {
  Bytes wire = {0x00, 0x00};  // NOOP before the first message
  AppendChunked(Bytes{1, 2, 3}, &wire, 2);
  wire.push_back(0);
  wire.push_back(0);  // NOOP between messages
  AppendChunked(Bytes{4}, &wire);
  ChunkDecoder dec;
  for (uint8_t b : wire) ASSERT_TRUE(dec.Feed(&b, 1).ok());
  Bytes got;
  ASSERT_TRUE(dec.Next(&got));
  EXPECT_EQ(got, (Bytes{1, 2, 3}));
  ASSERT_TRUE(dec.Next(&got));
  EXPECT_EQ(got, (Bytes{4}));
  EXPECT_FALSE(dec.Next(&got));
  EXPECT_FALSE(dec.InMessage());
}

TEST(Chunking, RefusesMessagesOverTheLimit) {
  ChunkDecoder dec(10);
  Bytes wire;
  AppendChunked(Bytes(11, 7), &wire, 4);
  EXPECT_EQ(dec.Feed(wire.data(), wire.size()).code(), Status::Code::kCorruption);
}

Bytes Body(const Structure& m) {
  Bytes b;
  EXPECT_TRUE(EncodeMessage(m, &b).ok());
  return b;
}

TEST(Messages, ExactEncodings) {
  EXPECT_EQ(Body(Pull(-1)), (Bytes{0xB1, 0x3F, 0xA1, 0x81, 'n', 0xFF}));
  EXPECT_EQ(Body(Pull(1000, 2)),
            (Bytes{0xB1, 0x3F, 0xA2, 0x81, 'n', 0xC9, 0x03, 0xE8, 0x83, 'q', 'i', 'd', 0x02}));
  EXPECT_EQ(Body(Reset()), (Bytes{0xB0, 0x0F}));
  EXPECT_EQ(Body(Goodbye()), (Bytes{0xB0, 0x02}));
  EXPECT_EQ(Body(Commit()), (Bytes{0xB0, 0x12}));
  EXPECT_EQ(Body(Rollback()), (Bytes{0xB0, 0x13}));
  EXPECT_EQ(Body(Begin(Map{})), (Bytes{0xB1, 0x11, 0xA0}));
  Structure decoded;
  ASSERT_TRUE(DecodeMessage(Body(Discard(-1, 3)), &decoded).ok());
  EXPECT_EQ(decoded.tag, msg::kDiscard);
  EXPECT_EQ(decoded.fields[0].as_map().Find("qid")->as_int(), 3);
}

TEST(Messages, HelloCarriesAuthOnlyBefore51) {
  AuthToken auth{"basic", "neo4j", "secret"};
  Structure h44 = Hello({4, 4}, "ua/1", Value(), auth);
  const Map& m44 = h44.fields[0].as_map();
  EXPECT_EQ(m44.Find("credentials")->as_string(), "secret");
  EXPECT_EQ(m44.Find("routing"), nullptr);
  Structure h50 = Hello({5, 0}, "ua/1", Value(), auth);
  EXPECT_NE(h50.fields[0].as_map().Find("principal"), nullptr);
  Structure h54 = Hello({5, 4}, "ua/1", Value(), auth);
  const Map& m54 = h54.fields[0].as_map();
  EXPECT_EQ(m54.Find("credentials"), nullptr);
  ASSERT_NE(m54.Find("bolt_agent"), nullptr);
  ASSERT_NE(m54.Find("routing"), nullptr);
  EXPECT_TRUE(m54.Find("routing")->is_null());
  Structure logon = Logon(auth);
  EXPECT_EQ(logon.tag, msg::kLogon);
  EXPECT_EQ(logon.fields[0].as_map().Find("scheme")->as_string(), "basic");
}

TEST(Messages, RunExtraAndRoute) {
  TxExtra extra;
  extra.bookmarks = {"bm:1"};
  extra.read_mode = true;
  extra.db = "tasks";
  extra.tx_timeout_ms = 5000;
  Map params;
  params.Set("id", "t1");
  Structure run = bolt::Run("MATCH (t:Task {id: $id}) RETURN t", params, extra.ToMap());
  ASSERT_EQ(run.fields.size(), 3u);
  const Map& e = run.fields[2].as_map();
  EXPECT_EQ(e.Find("mode")->as_string(), "r");
  EXPECT_EQ(e.Find("db")->as_string(), "tasks");
  EXPECT_EQ(e.Find("tx_timeout")->as_int(), 5000);
  EXPECT_EQ(e.Find("bookmarks")->as_list().size(), 1u);
  EXPECT_TRUE(TxExtra{}.ToMap().empty());
  Map ctx;
  ctx.Set("address", "db:7687");
  Structure route = Route(ctx, {"bm:1"}, "tasks");
  EXPECT_EQ(route.tag, msg::kRoute);
  EXPECT_EQ(route.fields[2].as_map().Find("db")->as_string(), "tasks");
}

TEST(Messages, FailureMetadataOldAndGqlStyle) {
  Map old;
  old.Set("code", "Neo.ClientError.Statement.SyntaxError");
  old.Set("message", "bad");
  ServerError e = ParseFailure(Structure{msg::kFailure, {Value(old)}});
  EXPECT_EQ(e.code, "Neo.ClientError.Statement.SyntaxError");
  EXPECT_EQ(e.message, "bad");
  Map gql;
  gql.Set("neo4j_code", "Neo.TransientError.General.DatabaseUnavailable");
  gql.Set("message", "later");
  e = ParseFailure(Structure{msg::kFailure, {Value(gql)}});
  EXPECT_EQ(e.code, "Neo.TransientError.General.DatabaseUnavailable");
  e = ParseFailure(Structure{msg::kFailure, {}});
  EXPECT_EQ(e.code, "Neo.DatabaseError.General.UnknownError");
}

}  // namespace
}  // namespace taskexec::bolt
