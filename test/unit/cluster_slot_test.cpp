#include "core/cluster_slot.hpp"

#include <gtest/gtest.h>

#include "hash_tag.hpp"

namespace exp_assign {
namespace {

TEST(ClusterSlot, MatchesRedisKeyslot)
{
	// Values of CLUSTER KEYSLOT on Redis 7 (test/redis/run checks more
	// against a live node).
	EXPECT_EQ(ClusterSlot("foo"), 12182);
	EXPECT_EQ(ClusterSlot("bar"), 5061);
	EXPECT_EQ(ClusterSlot("123456789"), 0x31C3 & 16383);  // CRC16/XMODEM's check value
	EXPECT_EQ(ClusterSlot(""), 0);
}

TEST(ClusterSlot, HashTagRule)
{
	EXPECT_EQ(ClusterSlot("{user1000}.following"), ClusterSlot("{user1000}.followers"));
	EXPECT_EQ(ClusterSlot("{user1000}.following"), ClusterSlot("user1000"));
	EXPECT_EQ(ClusterSlot("foo{}{bar}"), ClusterSlot(std::string_view("foo{}{bar}")));  // "{}": whole key
	EXPECT_NE(ClusterSlot("foo{}{bar}"), ClusterSlot("bar"));
	EXPECT_EQ(ClusterSlot("foo{{bar}}zap"), ClusterSlot("{bar"));
	EXPECT_EQ(ClusterSlot("foo{bar}{zap}"), ClusterSlot("bar"));
	EXPECT_EQ(ClusterSlot("assign:{u}:1"), ClusterSlot("assign:{u}:2"));
	EXPECT_EQ(ClusterSlot(test_support::HashTag("assign:{u}:1")), ClusterSlot("u"));
}

}  // namespace
}  // namespace exp_assign
