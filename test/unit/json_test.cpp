// The JSON text writer and the value formats of Redis values and explain
// documents.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "core/utc_time.hpp"

namespace exp_assign {
namespace {

// value written as one JSON string.
std::string Quoted(std::string_view value)
{
	JsonWriter json;
	json.String(value);
	return json.Text();
}

TEST(JsonWriter, StartsEmpty)
{
	EXPECT_EQ(JsonWriter().Text(), "");
}

TEST(JsonWriter, PlainStringsAndUtf8PassThrough)
{
	EXPECT_EQ(Quoted(""), "\"\"");
	EXPECT_EQ(Quoted("treatment"), "\"treatment\"");
	EXPECT_EQ(Quoted("a/b:c 'd'"), "\"a/b:c 'd'\"");
	EXPECT_EQ(Quoted("\xc3\xa9\xe7\x94\xa8\xf0\x9f\x98\x80"), "\"\xc3\xa9\xe7\x94\xa8\xf0\x9f\x98\x80\"");
	EXPECT_EQ(Quoted("\x7f"), "\"\x7f\"");
}

TEST(JsonWriter, EscapesQuoteAndBackslash)
{
	EXPECT_EQ(Quoted("say \"hi\""), R"("say \"hi\"")");
	EXPECT_EQ(Quoted("C:\\dir\\"), R"("C:\\dir\\")");
	EXPECT_EQ(Quoted("\\\""), R"("\\\"")");
}

TEST(JsonWriter, EscapesControlCharacters)
{
	EXPECT_EQ(Quoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
	EXPECT_EQ(Quoted("\x01"), R"("\u0001")");
	EXPECT_EQ(Quoted("a\x1f"
					 "b"),
			  R"("a\u001fb")");
	EXPECT_EQ(Quoted(std::string_view("\0", 1)), R"("\u0000")");
	EXPECT_EQ(Quoted("\x0b"), R"("\u000b")");
	EXPECT_EQ(Quoted(" "), R"(" ")");  // 0x20 is not a control character
}

TEST(JsonWriter, Scalars)
{
	JsonWriter json;
	json.BeginArray()
		.Int(0)
		.Int(-1)
		.Int(INT64_MAX)
		.Int(INT64_MIN)
		.Bool(true)
		.Bool(false)
		.Null()
		.RawNumber("50.00")
		.String("s")
		.EndArray();
	EXPECT_EQ(json.Text(), "[0,-1,9223372036854775807,-9223372036854775808,true,false,null,50.00,\"s\"]");
}

TEST(JsonWriter, CommasBetweenKeysNotAfterColons)
{
	JsonWriter json;
	json.BeginObject().Key("a").Int(1).Key("b").String("x").Key("c").Null().EndObject();
	EXPECT_EQ(json.Text(), R"({"a":1,"b":"x","c":null})");
}

TEST(JsonWriter, EscapesKeys)
{
	JsonWriter json;
	json.BeginObject().Key("k\"\\\x01").Bool(true).EndObject();
	EXPECT_EQ(json.Text(), R"({"k\"\\\u0001":true})");
}

TEST(JsonWriter, EmptyContainers)
{
	JsonWriter object;
	object.BeginObject().EndObject();
	EXPECT_EQ(object.Text(), "{}");
	JsonWriter array;
	array.BeginArray().EndArray();
	EXPECT_EQ(array.Text(), "[]");
}

TEST(JsonWriter, NestedObjectsAndArrays)
{
	JsonWriter json;
	json.BeginObject()
		.Key("bounds")
		.BeginArray()
		.Int(5000)
		.Int(10000)
		.EndArray()
		.Key("stored")
		.BeginObject()
		.Key("variant")
		.BeginObject()
		.Key("id")
		.Int(3)
		.EndObject()
		.Key("empty")
		.BeginArray()
		.EndArray()
		.EndObject()
		.Key("list")
		.BeginArray()
		.BeginObject()
		.EndObject()
		.BeginObject()
		.Key("x")
		.BeginArray()
		.BeginArray()
		.EndArray()
		.BeginArray()
		.Int(1)
		.EndArray()
		.EndArray()
		.EndObject()
		.EndArray()
		.Key("last")
		.Bool(false)
		.EndObject();
	EXPECT_EQ(json.Text(), R"({"bounds":[5000,10000],"stored":{"variant":{"id":3},"empty":[]},)"
						   R"("list":[{},{"x":[[],[1]]}],"last":false})");
}

TEST(JsonWriter, RedisValue)
{
	// The value format of DESIGN.md section 5.
	JsonWriter json;
	json.BeginObject()
		.Key("variant_id")
		.Int(3)
		.Key("variant_key")
		.String("treatment")
		.Key("version")
		.Int(2)
		.Key("assigned_at")
		.String(IsoUtc(1795507200LL * 1000000))
		.EndObject();
	EXPECT_EQ(json.Text(), R"({"variant_id":3,"variant_key":"treatment","version":2,)"
						   R"("assigned_at":"2026-11-24T08:00:00Z"})");
}

TEST(BasisPointsToPercent, TwoDecimalPlaces)
{
	EXPECT_EQ(BasisPointsToPercent(0), "0.00");
	EXPECT_EQ(BasisPointsToPercent(1), "0.01");
	EXPECT_EQ(BasisPointsToPercent(10), "0.10");
	EXPECT_EQ(BasisPointsToPercent(99), "0.99");
	EXPECT_EQ(BasisPointsToPercent(100), "1.00");
	EXPECT_EQ(BasisPointsToPercent(3333), "33.33");
	EXPECT_EQ(BasisPointsToPercent(5000), "50.00");
	EXPECT_EQ(BasisPointsToPercent(10000), "100.00");
	EXPECT_EQ(BasisPointsToPercent(12345), "123.45");
}

TEST(BasisPointsToPercent, NegativeKeepsTheSignOnce)
{
	EXPECT_EQ(BasisPointsToPercent(-1), "-0.01");
	EXPECT_EQ(BasisPointsToPercent(-150), "-1.50");
	EXPECT_EQ(BasisPointsToPercent(INT64_MIN), "-92233720368547758.08");
}

}  // namespace
}  // namespace exp_assign
