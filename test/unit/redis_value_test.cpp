// Keys, values and retry pauses of the Redis push (DESIGN.md section 5):
// clients parse the key and value, so their exact bytes are the contract.
#include <gtest/gtest.h>

#include <string>

#include "core/redis_value.hpp"

namespace exp_assign {
namespace {

TEST(AssignmentKey, PrefixExperimentAndUserBytes)
{
	EXPECT_EQ(AssignmentKey("assign", 42, "user_1"), "assign:42:user_1");
	EXPECT_EQ(AssignmentKey("exp", -7, ""), "exp:-7:");
}

TEST(AssignmentKey, UserBytesPassUnchanged)
{
	const std::string user("a b\r\n{x}:\xc3\xbc\0z", 13);
	const std::string key = AssignmentKey("assign", 1, user);
	EXPECT_EQ(key.size(), std::string("assign:1:").size() + user.size());
	EXPECT_EQ(key.substr(9), user);
}

TEST(AssignmentValue, MatchesTheContractExample)
{
	// 2026-11-24T08:00:00Z
	const int64_t micros = 1795507200LL * 1000000;
	EXPECT_EQ(AssignmentValue(3, "treatment", 2, micros),
			  R"({"variant_id":3,"variant_key":"treatment","version":2,"assigned_at":"2026-11-24T08:00:00Z"})");
}

TEST(AssignmentValue, TruncatesToWholeSeconds)
{
	const int64_t micros = 1795507200LL * 1000000 + 999999;
	EXPECT_NE(AssignmentValue(1, "a", 1, micros).find("\"2026-11-24T08:00:00Z\""), std::string::npos);
	// Before 1970 truncation goes to the earlier second, as to_char does.
	EXPECT_NE(AssignmentValue(1, "a", 1, -1).find("\"1969-12-31T23:59:59Z\""), std::string::npos);
}

TEST(AssignmentValue, EscapesTheVariantKey)
{
	EXPECT_EQ(AssignmentValue(1, "say \"hi\"\n", 1, 0),
			  R"({"variant_id":1,"variant_key":"say \"hi\"\n","version":1,"assigned_at":"1970-01-01T00:00:00Z"})");
}

TEST(BackoffMs, DoublesFromOneHundredUpToTheCap)
{
	EXPECT_EQ(BackoffMs(0, 5000), 0);
	EXPECT_EQ(BackoffMs(1, 5000), 100);
	EXPECT_EQ(BackoffMs(2, 5000), 200);
	EXPECT_EQ(BackoffMs(6, 5000), 3200);
	EXPECT_EQ(BackoffMs(7, 5000), 5000);
	EXPECT_EQ(BackoffMs(1000, 5000), 5000);
}

}  // namespace
}  // namespace exp_assign
