// Batching of requested pairs: lock order, folding of duplicates, lookup and
// request order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/pairs.hpp"

namespace exp_assign {
namespace {

// A pair over user's bytes, which must outlive it.
Pair MakePair(int32_t experiment_id, std::string_view user, uint32_t position = 0, uint32_t tag = 0)
{
	return Pair{experiment_id, static_cast<uint32_t>(user.size()), user.data(), position, tag};
}

// The sign of ComparePairKeys: -1, 0 or 1.
int Sign(const Pair &a, const Pair &b)
{
	int c = ComparePairKeys(a, b);
	return (c > 0) - (c < 0);
}

// Expects a strictly before b, in both argument orders.
void ExpectBefore(const Pair &a, const Pair &b)
{
	EXPECT_EQ(Sign(a, b), -1) << a.experiment_id << ":" << a.User() << " vs " << b.experiment_id << ":"
							  << b.User();
	EXPECT_EQ(Sign(b, a), 1) << b.experiment_id << ":" << b.User() << " vs " << a.experiment_id << ":"
							 << a.User();
}

TEST(ComparePairKeys, UserBytesFirst)
{
	// One user's pairs are adjacent in lock order, so a matrix stores each
	// user's rows side by side for the page loads that read them.
	ExpectBefore(MakePair(2, "a"), MakePair(1, "b"));
	ExpectBefore(MakePair(1, "ab"), MakePair(1, "b"));
	ExpectBefore(MakePair(9, "user_10"), MakePair(1, "user_9"));  // bytes, not numbers
	ExpectBefore(MakePair(1, "B"), MakePair(1, "a"));  // bytes, not collation
}

TEST(ComparePairKeys, ThenExperiment)
{
	ExpectBefore(MakePair(1, "z"), MakePair(2, "z"));
	ExpectBefore(MakePair(-5, "b"), MakePair(3, "b"));
	ExpectBefore(MakePair(INT32_MIN, "a"), MakePair(INT32_MAX, "a"));
}

TEST(ComparePairKeys, PrefixFirst)
{
	ExpectBefore(MakePair(1, ""), MakePair(1, "a"));
	ExpectBefore(MakePair(1, "a"), MakePair(1, "ab"));
	ExpectBefore(MakePair(1, "a"), MakePair(1, std::string_view("a\0", 2)));
	// Lengths, not NUL terminators, end a user id.
	ExpectBefore(MakePair(1, std::string_view("a\0b", 3)), MakePair(1, std::string_view("a\0c", 3)));
}

TEST(ComparePairKeys, BytesAboveAsciiSortUnsigned)
{
	ExpectBefore(MakePair(1, "z"), MakePair(1, "\x80"));
	ExpectBefore(MakePair(1, "\x7f"), MakePair(1, "\x80"));
	ExpectBefore(MakePair(1, "\x80"), MakePair(1, "\xff"));
	ExpectBefore(MakePair(1, "\xc3\xa9"), MakePair(1, "\xe7\x94\xa8"));  // é before 用
}

TEST(ComparePairKeys, EqualKeysIgnorePositionTagAndAddress)
{
	std::string one = "user_1";
	std::string two = "user_1";
	ASSERT_NE(one.data(), two.data());
	EXPECT_EQ(ComparePairKeys(MakePair(7, one, 0, 0), MakePair(7, two, 9, 4)), 0);
	EXPECT_EQ(ComparePairKeys(MakePair(7, ""), MakePair(7, "")), 0);
	EXPECT_NE(ComparePairKeys(MakePair(7, one), MakePair(8, two)), 0);
}

TEST(SortDistinct, SortsIntoLockOrder)
{
	std::vector<Pair> pairs = {MakePair(2, "a", 0), MakePair(1, "b", 1), MakePair(1, "ab", 2),
							   MakePair(1, "a", 3), MakePair(1, "\x80", 4)};
	ASSERT_EQ(SortDistinct(pairs.data(), pairs.size()), 5u);
	std::vector<std::pair<int32_t, std::string>> keys;
	for (const Pair &p : pairs)
		keys.emplace_back(p.experiment_id, std::string(p.User()));
	EXPECT_EQ(keys, (std::vector<std::pair<int32_t, std::string>>{
						{1, "a"}, {2, "a"}, {1, "ab"}, {1, "b"}, {1, "\x80"}}));
}

TEST(SortDistinct, FoldsDuplicatesKeepingTheFirstPosition)
{
	std::string u_late = "u";  // the same bytes at different addresses
	std::string u_early = "u";
	std::string u_mid = "u";
	// Array order is not request order: the earliest request sits in the middle.
	std::vector<Pair> pairs = {MakePair(1, u_late, 5, 50), MakePair(2, "v", 4, 40),
							   MakePair(1, u_early, 1, 10), MakePair(1, u_mid, 3, 30),
							   MakePair(2, "v", 2, 20)};
	ASSERT_EQ(SortDistinct(pairs.data(), pairs.size()), 2u);
	EXPECT_EQ(pairs[0].experiment_id, 1);
	EXPECT_EQ(pairs[0].User(), "u");
	EXPECT_EQ(pairs[0].position, 1u);
	EXPECT_EQ(pairs[0].tag, 10u);
	EXPECT_EQ(pairs[0].user, u_early.data());
	EXPECT_EQ(pairs[1].experiment_id, 2);
	EXPECT_EQ(pairs[1].position, 2u);
	EXPECT_EQ(pairs[1].tag, 20u);
}

TEST(SortDistinct, SameUserInOtherExperimentsIsDistinct)
{
	std::vector<Pair> pairs = {MakePair(3, "u", 0), MakePair(1, "u", 1), MakePair(2, "u", 2)};
	ASSERT_EQ(SortDistinct(pairs.data(), pairs.size()), 3u);
	EXPECT_EQ(pairs[0].experiment_id, 1);
	EXPECT_EQ(pairs[1].experiment_id, 2);
	EXPECT_EQ(pairs[2].experiment_id, 3);
}

TEST(SortDistinct, EmptyAndSingle)
{
	EXPECT_EQ(SortDistinct(nullptr, 0), 0u);
	Pair one = MakePair(4, "x", 0, 9);
	EXPECT_EQ(SortDistinct(&one, 1), 1u);
	EXPECT_EQ(one.tag, 9u);
}

TEST(SortDistinct, MatchesAReferenceOnRandomPairs)
{
	// std::string orders by unsigned bytes with prefixes first, the contract.
	const std::vector<std::string> users = {
		"", "a", "ab", "abc", "b", "\x80", "\xff", "a\xff", "\xc3\xa9", std::string("\0", 1), "A", "a:b"};
	std::mt19937 rng(20240501);
	std::vector<Pair> pairs;
	std::map<std::pair<std::string, int32_t>, uint32_t> first_position;  // lock order
	for (uint32_t i = 0; i < 3000; i++) {
		int32_t experiment = static_cast<int32_t>(rng() % 7) - 3;
		const std::string &user = users[rng() % users.size()];
		pairs.push_back(MakePair(experiment, user, i, i + 100000));
		first_position.emplace(std::make_pair(user, experiment), i);  // keeps the first
	}
	std::shuffle(pairs.begin(), pairs.end(), rng);

	size_t kept = SortDistinct(pairs.data(), pairs.size());
	ASSERT_EQ(kept, first_position.size());
	size_t i = 0;
	for (const auto &[key, position] : first_position) {
		EXPECT_EQ(pairs[i].User(), key.first) << "index " << i;
		EXPECT_EQ(pairs[i].experiment_id, key.second) << "index " << i;
		EXPECT_EQ(pairs[i].position, position) << "index " << i;
		EXPECT_EQ(pairs[i].tag, position + 100000) << "index " << i;
		i++;
	}
}

class FindPairTest : public testing::Test {
protected:
	void SetUp() override
	{
		pairs_ = {MakePair(2, "b", 0), MakePair(1, "ab", 1), MakePair(1, "b", 2), MakePair(3, "\xff", 3),
				  MakePair(1, "ab", 4)};
		n_ = SortDistinct(pairs_.data(), pairs_.size());
		ASSERT_EQ(n_, 4u);  // 1:ab 1:b 2:b 3:\xff
	}

	// FindPair of (experiment_id, user) over the sorted pairs.
	ptrdiff_t Find(int32_t experiment_id, std::string_view user, uint32_t position = 77)
	{
		return FindPair(pairs_.data(), n_, MakePair(experiment_id, user, position, 88));
	}

	std::vector<Pair> pairs_;
	size_t n_ = 0;
};

TEST_F(FindPairTest, FindsEveryPair)
{
	EXPECT_EQ(Find(1, "ab"), 0);
	EXPECT_EQ(Find(1, "b"), 1);
	EXPECT_EQ(Find(2, "b"), 2);
	EXPECT_EQ(Find(3, "\xff"), 3);
	std::string copy = "ab";  // other bytes at another address, any position
	EXPECT_EQ(Find(1, copy, 0), 0);
}

TEST_F(FindPairTest, MissesAbsentPairs)
{
	EXPECT_EQ(Find(1, "a"), -1);  // a prefix of 1:ab
	EXPECT_EQ(Find(1, "abc"), -1);  // 1:ab is its prefix
	EXPECT_EQ(Find(2, "ab"), -1);  // user known in another experiment
	EXPECT_EQ(Find(0, "ab"), -1);  // before the first
	EXPECT_EQ(Find(4, "\xff"), -1);  // after the last
	EXPECT_EQ(Find(3, "\x7f"), -1);
	EXPECT_EQ(FindPair(pairs_.data(), 0, MakePair(1, "ab")), -1);
}

TEST(RequestOrder, OrdersIndicesByPosition)
{
	std::vector<Pair> pairs = {MakePair(1, "a", 3), MakePair(1, "b", 0), MakePair(2, "a", 2),
							   MakePair(3, "a", 1)};
	std::vector<uint32_t> order(pairs.size(), 99);
	RequestOrder(pairs.data(), pairs.size(), order.data());
	EXPECT_EQ(order, (std::vector<uint32_t>{1, 3, 2, 0}));
}

TEST(RequestOrder, RestoresTheRequestAfterSortDistinct)
{
	// Request: 3:c 1:a 2:b 1:a 0:z; distinct in request order: 3:c 1:a 2:b 0:z.
	std::vector<Pair> pairs = {MakePair(3, "c", 0), MakePair(1, "a", 1), MakePair(2, "b", 2),
							   MakePair(1, "a", 3), MakePair(0, "z", 4)};
	size_t n = SortDistinct(pairs.data(), pairs.size());
	ASSERT_EQ(n, 4u);
	std::vector<uint32_t> order(n);
	RequestOrder(pairs.data(), n, order.data());
	std::vector<std::string> users;
	std::vector<uint32_t> positions;
	for (uint32_t i : order) {
		users.emplace_back(pairs[i].User());
		positions.push_back(pairs[i].position);
	}
	EXPECT_EQ(users, (std::vector<std::string>{"c", "a", "b", "z"}));
	EXPECT_EQ(positions, (std::vector<uint32_t>{0, 1, 2, 4}));
}

TEST(RequestOrder, NothingToOrder)
{
	uint32_t untouched = 99;
	RequestOrder(nullptr, 0, &untouched);
	EXPECT_EQ(untouched, 99u);
}

}  // namespace
}  // namespace exp_assign
