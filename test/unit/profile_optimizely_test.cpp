// The 'optimizely' profile against Optimizely's own published vectors
// (test/unit/vectors/optimizely_*.tsv; sources in their headers and in
// docs/profiles.md), and the exactness of its integer scaling.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bucket.hpp"
#include "core/profile_optimizely.hpp"
#include "core/rule.hpp"
#include "table.hpp"

namespace exp_assign {
namespace {

using unit::Table;
using unit::TableRow;

uint32_t ToUint32(std::string_view field)
{
	uint32_t out = 0;
	auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
	EXPECT_TRUE(ec == std::errc() && ptr == field.data() + field.size()) << "not a number: " << field;
	return out;
}

// OptimizelyBucket in a scratch buffer of exactly the documented size,
// checking that BucketOf(kOptimizely) agrees.
uint32_t Bucket(std::string_view user, std::string_view seed)
{
	std::vector<char> scratch(OptimizelyKeyLength(user.size(), seed.size()));
	uint32_t bucket = OptimizelyBucket(user, seed, scratch.data());
	std::vector<char> wide(BucketKeyLength(user.size(), seed.size()));
	EXPECT_EQ(BucketOf(HashProfile::kOptimizely, user, seed, wide.data()), bucket);
	return bucket;
}

// Checks every row of a user_id/seed/bucket file; returns how many have a
// non-ASCII user id.
size_t CheckBucketFile(const std::string &name, size_t minimum_rows)
{
	Table table;
	std::string error;
	EXPECT_TRUE(unit::LoadTable(name, {"user_id", "seed", "bucket"}, &table, &error)) << error;
	EXPECT_GE(table.rows.size(), minimum_rows) << table.path;
	size_t user = table.Column("user_id"), seed = table.Column("seed"), bucket = table.Column("bucket");
	size_t non_ascii = 0;
	for (const TableRow &row : table.rows) {
		EXPECT_EQ(Bucket(row.fields[user], row.fields[seed]), ToUint32(row.fields[bucket]))
			<< table.Where(row);
		non_ascii += unit::HasNonAscii(row.fields[user]);
	}
	return non_ascii;
}

TEST(OptimizelyVectors, PublishedBucketValues)
{
	// test_bucket_number's five cases.
	CheckBucketFile("optimizely_bucketing.tsv", 5);
}

TEST(OptimizelyVectors, NonAsciiIds)
{
	EXPECT_GE(CheckBucketFile("optimizely_non_ascii.tsv", 32), 32u);
}

// Optimizely's trafficAllocation (entity:endOfRange, cumulative) expressed as
// exp_assign's basis points: the differences of the ends, a range with no
// entity standing for traffic that enrols nobody.
TEST(OptimizelyVectors, TrafficAllocationIsTheDefaultRulesChoice)
{
	Table table;
	std::string error;
	ASSERT_TRUE(
		unit::LoadTable("optimizely_allocation.tsv", {"ranges", "bucket", "expected"}, &table, &error))
		<< error;
	ASSERT_GE(table.rows.size(), 9u);
	size_t ranges_col = table.Column("ranges"), bucket_col = table.Column("bucket"),
		   expected_col = table.Column("expected");
	for (const TableRow &row : table.rows) {
		std::vector<std::string> entities;
		std::vector<int32_t> basis_points;
		int64_t previous_end = 0;
		std::string_view ranges = row.fields[ranges_col];
		while (!ranges.empty()) {
			size_t comma = ranges.find(',');
			std::string_view range = ranges.substr(0, comma);
			ranges = comma == std::string_view::npos ? std::string_view() : ranges.substr(comma + 1);
			size_t colon = range.rfind(':');
			ASSERT_NE(colon, std::string_view::npos) << table.Where(row);
			int64_t end = ToUint32(range.substr(colon + 1));
			entities.emplace_back(range.substr(0, colon));
			basis_points.push_back(static_cast<int32_t>(end - previous_end));
			previous_end = end;
		}
		std::vector<int64_t> bounds(basis_points.size());
		RunningBounds(basis_points.data(), bounds.data(), basis_points.size());
		int32_t index = ChooseVariant(bounds.data(), bounds.size(), ToUint32(row.fields[bucket_col]));
		std::string got = index == kNotEnrolled || entities[index].empty() ? "-" : entities[index];
		EXPECT_EQ(got, row.fields[expected_col]) << table.Where(row);
	}
}

TEST(OptimizelyBucket, HashesUserThenSeedWithoutSeparator)
{
	EXPECT_EQ(OptimizelyKeyLength(5, 10), 15u);
	static_assert(OptimizelyKeyLength(0, 0) == 0, "usable in constant expressions");
	std::string scratch(15, '\0');
	OptimizelyBucket("ppid1", "1886780721", scratch.data());
	EXPECT_EQ(scratch, "ppid11886780721");
	// Moving a byte across the boundary keeps the key, so the bucket.
	EXPECT_EQ(Bucket("ppid1", "1886780721"), Bucket("ppid11", "886780721"));
	EXPECT_EQ(Bucket("", ""), OptimizelyScale(0x514E28B7u));  // MurmurHash3("" , seed 1)
}

// Optimizely computes floor(float(h) / 2^32 * 10000) in doubles; the integer
// form must agree on both sides of every one of the 10000 bucket edges.
TEST(OptimizelyScale, EqualsTheSdksFloatFormulaAtEveryEdge)
{
	auto sdk = [](uint32_t h) {
		return static_cast<uint32_t>(std::floor(static_cast<double>(h) / std::pow(2.0, 32) * 10000));
	};
	for (uint64_t k = 1; k < 10000; k++) {
		uint32_t edge =
			static_cast<uint32_t>((k * (uint64_t{1} << 32) + 9999) / 10000);  // first h of bucket k
		EXPECT_EQ(OptimizelyScale(edge), k);
		EXPECT_EQ(OptimizelyScale(edge - 1), k - 1);
		EXPECT_EQ(OptimizelyScale(edge), sdk(edge)) << edge;
		EXPECT_EQ(OptimizelyScale(edge - 1), sdk(edge - 1)) << edge - 1;
	}
	EXPECT_EQ(OptimizelyScale(0), 0u);
	EXPECT_EQ(OptimizelyScale(UINT32_MAX), 9999u);
	EXPECT_EQ(sdk(UINT32_MAX), 9999u);
}

TEST(ParseHashProfile, AcceptsTheCompatibleProfiles)
{
	HashProfile profile = HashProfile::kMmh3;
	ASSERT_TRUE(ParseHashProfile("optimizely", &profile));
	EXPECT_EQ(profile, HashProfile::kOptimizely);
	ASSERT_TRUE(ParseHashProfile("unleash", &profile));
	EXPECT_EQ(profile, HashProfile::kUnleash);
	EXPECT_FALSE(ParseHashProfile("Optimizely", &profile));
	EXPECT_FALSE(ParseHashProfile("unleash ", &profile));
	EXPECT_FALSE(ParseHashProfile(std::string_view("optimizely\0", 11), &profile));
	EXPECT_FALSE(ParseHashProfile(std::string_view("unleash\0", 8), &profile));
	EXPECT_EQ(profile, HashProfile::kUnleash);  // untouched on refusal
}

}  // namespace
}  // namespace exp_assign
