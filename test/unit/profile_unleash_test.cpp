// The 'unleash' profile against Unleash's client-specification cases
// (test/unit/vectors/unleash_*.tsv; sources in their headers).
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bucket.hpp"
#include "core/profile_unleash.hpp"
#include "core/rule.hpp"
#include "table.hpp"

namespace exp_assign {
namespace {

using unit::Table;
using unit::TableRow;

int32_t ToInt32(std::string_view field)
{
	int32_t out = 0;
	auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
	EXPECT_TRUE(ec == std::errc() && ptr == field.data() + field.size()) << "not a number: " << field;
	return out;
}

TEST(UnleashVectors, GradualRollout)
{
	Table table;
	std::string error;
	ASSERT_TRUE(unit::LoadTable("unleash_rollout.tsv", {"group_id", "user_id", "rollout_pct", "enrolled"},
								&table, &error))
		<< error;
	ASSERT_GE(table.rows.size(), 8u);
	size_t g = table.Column("group_id"), u = table.Column("user_id"), p = table.Column("rollout_pct"),
		   e = table.Column("enrolled");
	for (const TableRow &row : table.rows) {
		const std::string &user = row.fields[u], &seed = row.fields[g];
		std::vector<char> scratch(UnleashKeyLength(user.size(), seed.size()));
		int32_t pct = ToInt32(row.fields[p]);
		bool enrolled = UnleashEnrolled(user, seed, pct, scratch.data());
		EXPECT_EQ(enrolled ? "true" : "false", row.fields[e]) << table.Where(row);
		// BucketOf(kUnleash) is the same rollout on the basis-point scale.
		std::vector<char> wide(BucketKeyLength(user.size(), seed.size()));
		EXPECT_EQ(BucketOf(HashProfile::kUnleash, user, seed, wide.data()) < static_cast<uint32_t>(pct) * 100,
				  enrolled)
			<< table.Where(row);
	}
}

TEST(UnleashVectors, Variants)
{
	Table table;
	std::string error;
	ASSERT_TRUE(unit::LoadTable("unleash_variants.tsv",
								{"group_id", "user_id", "rollout_pct", "variants", "expected"}, &table,
								&error))
		<< error;
	ASSERT_GE(table.rows.size(), 17u);
	size_t g = table.Column("group_id"), u = table.Column("user_id"), p = table.Column("rollout_pct"),
		   v = table.Column("variants"), x = table.Column("expected");
	for (const TableRow &row : table.rows) {
		std::vector<std::string> names;
		std::vector<int32_t> weights;
		std::string_view list = row.fields[v];
		while (!list.empty()) {
			size_t comma = list.find(',');
			std::string_view item = list.substr(0, comma);
			list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
			size_t colon = item.rfind(':');
			ASSERT_NE(colon, std::string_view::npos) << table.Where(row);
			names.emplace_back(item.substr(0, colon));
			weights.push_back(ToInt32(item.substr(colon + 1)));
		}
		const std::string &user = row.fields[u], &seed = row.fields[g];
		std::vector<char> scratch(UnleashKeyLength(user.size(), seed.size()));
		int32_t index =
			UnleashAssign(user, seed, ToInt32(row.fields[p]), weights.data(), weights.size(), scratch.data());
		EXPECT_EQ(index == kNotEnrolled ? std::string("-") : names[index], row.fields[x]) << table.Where(row);
	}
}

TEST(UnleashVectors, NonAsciiIds)
{
	Table table;
	std::string error;
	ASSERT_TRUE(unit::LoadTable("unleash_non_ascii.tsv",
								{"user_id", "group_id", "rollout_value", "variant_value"}, &table, &error))
		<< error;
	ASSERT_GE(table.rows.size(), 32u);
	size_t u = table.Column("user_id"), g = table.Column("group_id"), r = table.Column("rollout_value"),
		   w = table.Column("variant_value");
	size_t non_ascii = 0;
	for (const TableRow &row : table.rows) {
		const std::string &user = row.fields[u], &seed = row.fields[g];
		std::vector<char> scratch(UnleashKeyLength(user.size(), seed.size()));
		EXPECT_EQ(UnleashNormalized(user, seed, 100, kUnleashRolloutSeed, scratch.data()),
				  static_cast<uint32_t>(ToInt32(row.fields[r])))
			<< table.Where(row);
		EXPECT_EQ(UnleashNormalized(user, seed, 1000, kUnleashVariantSeed, scratch.data()),
				  static_cast<uint32_t>(ToInt32(row.fields[w])))
			<< table.Where(row);
		non_ascii += unit::HasNonAscii(user);
	}
	EXPECT_GE(non_ascii, 32u);
}

TEST(UnleashVariant, WeightsAndEdges)
{
	std::string scratch(UnleashKeyLength(3, 5), '\0');
	const int32_t none[] = {0, 0};
	EXPECT_EQ(UnleashVariant("122", "AB12A", none, 2, scratch.data()), kNotEnrolled);
	EXPECT_EQ(UnleashVariant("122", "AB12A", nullptr, 0, scratch.data()), kNotEnrolled);
	// A zero or negative weight is never chosen; the rest decide as without it.
	const int32_t with_zero[] = {0, 1, -5, 1};
	const int32_t without[] = {1, 1};
	int32_t a = UnleashVariant("122", "AB12A", with_zero, 4, scratch.data());
	int32_t b = UnleashVariant("122", "AB12A", without, 2, scratch.data());
	EXPECT_EQ(a, b == 0 ? 1 : 3);
	EXPECT_EQ(scratch, "AB12A:122");
	// A total above 2^32: the target is hash + 1, so the first variant takes it.
	const int32_t huge[] = {INT32_MAX, INT32_MAX, INT32_MAX};
	EXPECT_EQ(UnleashVariant("122", "AB12A", huge, 3, scratch.data()),
			  UnleashNormalized("122", "AB12A", UINT64_MAX, kUnleashVariantSeed, scratch.data()) >
					  static_cast<uint32_t>(INT32_MAX)
				  ? 1
				  : 0);
	EXPECT_FALSE(UnleashEnrolled("122", "AB12A", 0, scratch.data()));
	EXPECT_FALSE(UnleashEnrolled("122", "AB12A", -1, scratch.data()));
	EXPECT_TRUE(UnleashEnrolled("155", "AB12A", 100, scratch.data()));  // its value is 100
	EXPECT_FALSE(UnleashEnrolled("155", "AB12A", 99, scratch.data()));
}

}  // namespace
}  // namespace exp_assign
