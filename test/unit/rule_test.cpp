// The choice half of the rule: running bounds and the first bound above the
// bucket.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <vector>

#include "core/bucket.hpp"
#include "core/rule.hpp"

namespace exp_assign {
namespace {

// Running bounds of basis_points.
std::vector<int64_t> Bounds(const std::vector<int32_t> &basis_points)
{
	std::vector<int64_t> bounds(basis_points.size(), -7);
	RunningBounds(basis_points.data(), bounds.data(), bounds.size());
	return bounds;
}

// The variant chosen for bucket under these allocations.
int32_t Choose(const std::vector<int32_t> &basis_points, uint32_t bucket)
{
	std::vector<int64_t> bounds = Bounds(basis_points);
	return ChooseVariant(bounds.data(), bounds.size(), bucket);
}

// How many of the kBucketCount buckets go to each variant; the last slot
// counts the buckets not enrolled.
std::vector<uint32_t> CountPerVariant(const std::vector<int32_t> &basis_points)
{
	std::vector<int64_t> bounds = Bounds(basis_points);
	std::vector<uint32_t> counts(basis_points.size() + 1, 0);
	for (uint32_t bucket = 0; bucket < kBucketCount; bucket++) {
		int32_t v = ChooseVariant(bounds.data(), bounds.size(), bucket);
		if (v == kNotEnrolled)
			counts.back()++;
		else
			counts.at(static_cast<size_t>(v))++;
	}
	return counts;
}

TEST(RunningBounds, SumsInOrderAndReturnsTheTotal)
{
	std::vector<int32_t> basis_points = {5000, 3000, 2000};
	std::vector<int64_t> bounds(3, -7);
	EXPECT_EQ(RunningBounds(basis_points.data(), bounds.data(), 3), 10000);
	EXPECT_EQ(bounds, (std::vector<int64_t>{5000, 8000, 10000}));
}

TEST(RunningBounds, RepeatsTheBoundOfAZeroAllocation)
{
	EXPECT_EQ(Bounds({0, 2500, 0, 2500, 0}), (std::vector<int64_t>{0, 2500, 2500, 5000, 5000}));
}

TEST(RunningBounds, NoVariantsWritesNothing)
{
	int64_t bound = -7;
	EXPECT_EQ(RunningBounds(nullptr, &bound, 0), 0);
	EXPECT_EQ(bound, -7);
}

TEST(RunningBounds, DoesNotOverflowInt32)
{
	std::vector<int32_t> basis_points = {INT32_MAX, INT32_MAX, INT32_MAX};
	std::vector<int64_t> bounds(3);
	EXPECT_EQ(RunningBounds(basis_points.data(), bounds.data(), 3), 3 * int64_t{INT32_MAX});
	EXPECT_EQ(bounds[1], 2 * int64_t{INT32_MAX});
}

TEST(ChooseVariant, BoundMinusOneStaysBoundMovesOn)
{
	std::vector<int32_t> split = {5000, 3000, 2000};
	EXPECT_EQ(Choose(split, 0), 0);
	EXPECT_EQ(Choose(split, 4999), 0);
	EXPECT_EQ(Choose(split, 5000), 1);
	EXPECT_EQ(Choose(split, 7999), 1);
	EXPECT_EQ(Choose(split, 8000), 2);
	EXPECT_EQ(Choose(split, 9999), 2);
}

TEST(ChooseVariant, PastTheTotalIsNotEnrolled)
{
	std::vector<int32_t> split = {2500, 2500};
	EXPECT_EQ(Choose(split, 4999), 1);
	EXPECT_EQ(Choose(split, 5000), kNotEnrolled);
	EXPECT_EQ(Choose(split, 9999), kNotEnrolled);
	EXPECT_EQ(Choose({10000}, UINT32_MAX), kNotEnrolled);
}

TEST(ChooseVariant, OneBasisPoint)
{
	EXPECT_EQ(Choose({1}, 0), 0);
	EXPECT_EQ(Choose({1}, 1), kNotEnrolled);
	EXPECT_EQ(Choose({0, 1}, 0), 1);
}

TEST(ChooseVariant, NoVariantsIsNotEnrolled)
{
	EXPECT_EQ(ChooseVariant(nullptr, 0, 0), kNotEnrolled);
	EXPECT_EQ(ChooseVariant(nullptr, 0, 9999), kNotEnrolled);
}

TEST(ChooseVariant, ZeroAllocationsNeverChosen)
{
	EXPECT_EQ(CountPerVariant({0, 5000, 0, 5000, 0}), (std::vector<uint32_t>{0, 5000, 0, 5000, 0, 0}));
	EXPECT_EQ(CountPerVariant({0, 0}), (std::vector<uint32_t>{0, 0, 10000}));
}

TEST(ChooseVariant, FullAllocationCoversEveryBucket)
{
	// Every bucket lands in a variant, each variant gets exactly its basis points.
	EXPECT_EQ(CountPerVariant({3333, 3333, 3334}), (std::vector<uint32_t>{3333, 3333, 3334, 0}));
	EXPECT_EQ(CountPerVariant({10000}), (std::vector<uint32_t>{10000, 0}));
}

TEST(ChooseVariant, PartialAllocationLeavesTheRestOut)
{
	EXPECT_EQ(CountPerVariant({1250, 1250}), (std::vector<uint32_t>{1250, 1250, 7500}));
}

TEST(Rule, BucketThenVariant)
{
	// "user_1:seed_abc" hashes to bucket 4933 (DESIGN.md section 3).
	std::vector<char> scratch(BucketKeyLength(6, 8));
	uint32_t bucket = BucketOf(HashProfile::kMmh3, "user_1", "seed_abc", scratch.data());
	ASSERT_EQ(bucket, 4933u);
	EXPECT_EQ(Choose({5000, 5000}, bucket), 0);
	EXPECT_EQ(Choose({4934, 5066}, bucket), 0);  // bound - 1
	EXPECT_EQ(Choose({4933, 5067}, bucket), 1);  // bound
	EXPECT_EQ(Choose({4933}, bucket), kNotEnrolled);
}

}  // namespace
}  // namespace exp_assign
