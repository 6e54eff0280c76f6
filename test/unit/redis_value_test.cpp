// Keys, values and retry pauses of the Redis push (DESIGN.md section 5):
// clients parse the key and value, so their exact bytes are the contract.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/redis_value.hpp"
#include "core/utc_time.hpp"
#include "hash_tag.hpp"

namespace exp_assign {
namespace {

std::string AssignmentKey(std::string_view prefix, int32_t experiment_id, std::string_view user)
{
	std::string out = "already here|";
	AppendAssignmentKey(&out, prefix, experiment_id, user);
	EXPECT_EQ(out.substr(0, 13), "already here|");  // appends, never overwrites
	return out.substr(13);
}

std::string AssignmentValue(int32_t variant_id, std::string_view variant_key, int32_t version,
							int64_t assigned_unix_micros)
{
	std::string out;
	AppendAssignmentValue(&out, variant_id, variant_key, version,
						  AssignedAtText(assigned_unix_micros - kPostgresEpochUnixSeconds * 1000000));
	return out;
}

TEST(AssignmentKey, PrefixExperimentAndUserBytes)
{
	EXPECT_EQ(AssignmentKey("assign", 42, "user_1"), "assign:42:user_1");
	EXPECT_EQ(AssignmentKey("exp", -7, ""), "exp:-7:");
	EXPECT_EQ(AssignmentKey("a:b", 2147483647, "u"), "a:b:2147483647:u");
}

using exp_assign::test_support::HashTag;

std::string ClusterKey(std::string_view prefix, int32_t experiment_id, std::string_view user)
{
	std::string out;
	AppendAssignmentKey(&out, prefix, experiment_id, user, KeyLayout::kCluster);
	return out;
}

TEST(AssignmentKey, ClusterLayoutTagsTheUser)
{
	EXPECT_EQ(ClusterKey("assign", 42, "user_1"), "assign:{user_1}:42");
	EXPECT_EQ(ClusterKey("exp", -7, "u"), "exp:{u}:-7");
	// Every key of one user hashes the same bytes, whatever the experiment,
	// and two users' keys hash different bytes.
	for (const char *user : {"user_1", "a b", "ünï", "x}y", "{z}", "a:b"}) {
		EXPECT_EQ(HashTag(ClusterKey("assign", 1, user)), HashTag(ClusterKey("assign", 987654, user)))
			<< user;
		EXPECT_NE(HashTag(ClusterKey("assign", 1, user)), "1") << user;
	}
	EXPECT_NE(HashTag(ClusterKey("assign", 1, "user_1")), HashTag(ClusterKey("assign", 1, "user_2")));
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
	EXPECT_EQ(
		AssignmentValue(3, "treatment", 2, micros),
		R"({"variant_id":3,"variant_key":"treatment","version":2,"assigned_at":"2026-11-24T08:00:00Z"})");
}

TEST(AssignmentValue, TruncatesToWholeSeconds)
{
	const int64_t micros = 1795507200LL * 1000000 + 999999;
	EXPECT_NE(AssignmentValue(1, "a", 1, micros).find("\"2026-11-24T08:00:00Z\""), std::string::npos);
	// Before 1970 truncation goes to the earlier second, as to_char does.
	EXPECT_NE(AssignmentValue(1, "a", 1, -1).find("\"1969-12-31T23:59:59Z\""), std::string::npos);
}

TEST(AssignedAtText, InfinitiesAreNamed)
{
	EXPECT_EQ(AssignedAtText(INT64_MAX), "infinity");
	EXPECT_EQ(AssignedAtText(INT64_MIN), "-infinity");
	EXPECT_EQ(AssignedAtText(0), "2000-01-01T00:00:00Z");  // PostgreSQL's epoch
}

TEST(AssignedAtText, WholeSecondsTowardsThePast)
{
	constexpr int64_t kShift = kPostgresEpochUnixSeconds * 1000000;
	EXPECT_EQ(AssignedAtText(1795507200999999LL - kShift), "2026-11-24T08:00:00Z");
	EXPECT_EQ(AssignedAtText(-1 - kShift), "1969-12-31T23:59:59Z");
	EXPECT_EQ(AssignedAtText(-1), "1999-12-31T23:59:59Z");
	// Just above -infinity: the floor in seconds is formatted as it is, not
	// multiplied back to microseconds, which would overflow.
	EXPECT_EQ(AssignedAtText(INT64_MIN + 1), IsoUtcWholeSecond(INT64_MIN + 1 + kShift));
	// PostgreSQL's last finite instant, which shifted to the Unix epoch would
	// pass INT64_MAX.
	EXPECT_EQ(AssignedAtText(9223371331199999999LL), "294276-12-31T23:59:59Z");
}

TEST(AssignmentValue, EscapesTheVariantKey)
{
	EXPECT_EQ(
		AssignmentValue(1, "say \"hi\"\n", 1, 0),
		R"({"variant_id":1,"variant_key":"say \"hi\"\n","version":1,"assigned_at":"1970-01-01T00:00:00Z"})");
}

}  // namespace
}  // namespace exp_assign
