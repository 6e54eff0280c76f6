// The whole decision (core/decide.hpp): holdout, then layer, then the
// profile's allocation, against the three hashes computed separately.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/bucket.hpp"
#include "core/decide.hpp"
#include "core/rule.hpp"

namespace exp_assign {
namespace {

uint32_t Mmh3(const std::string &user, const std::string &seed)
{
	std::vector<char> scratch(BucketKeyLength(user.size(), seed.size()));
	return BucketOf(HashProfile::kMmh3, user, seed, scratch.data());
}

struct Fixture {
	int64_t bounds[2] = {5000, 10000};
	int32_t weights[2] = {1, 1};
	ExperimentRule Rule() const
	{
		ExperimentRule rule{};
		rule.profile = HashProfile::kMmh3;
		rule.seed = "exp-seed";
		rule.nvariants = 2;
		rule.bounds = bounds;
		rule.weights = weights;
		rule.rollout_pct = 100;
		return rule;
	}
};

Decision DecideFor(const ExperimentRule &rule, const std::string &user, bool full = false)
{
	std::vector<char> scratch(DecideScratchLength(rule, user.size()));
	return Decide(rule, user, scratch.data(), full);
}

TEST(Decide, PlainRuleIsDesignSection3)
{
	Fixture f;
	ExperimentRule rule = f.Rule();
	for (int i = 0; i < 2000; i++) {
		std::string user = "user-" + std::to_string(i);
		Decision d = DecideFor(rule, user);
		uint32_t bucket = Mmh3(user, "exp-seed");
		EXPECT_EQ(d.outcome, Outcome::kVariant);
		EXPECT_EQ(d.bucket, bucket);
		EXPECT_EQ(d.choice, bucket < 5000 ? 0 : 1);
	}
}

TEST(Decide, LayerRangeAndHoldoutUseTheirOwnSeeds)
{
	Fixture f;
	ExperimentRule rule = f.Rule();
	rule.in_layer = true;
	rule.layer_seed = "layer-seed";
	rule.layer_start = 2000;
	rule.layer_end = 7000;
	rule.has_holdout = true;
	rule.holdout_seed = "holdout-seed";
	rule.holdout_basis_points = 1500;
	int counts[4] = {0, 0, 0, 0};
	for (int i = 0; i < 5000; i++) {
		std::string user = "u" + std::to_string(i);
		uint32_t layer = Mmh3(user, "layer-seed"), holdout = Mmh3(user, "holdout-seed");
		uint32_t bucket = Mmh3(user, "exp-seed");
		Decision d = DecideFor(rule, user);
		Outcome want = holdout < 1500                    ? Outcome::kHeldOut
					   : (layer < 2000 || layer >= 7000) ? Outcome::kOutsideLayer
														 : Outcome::kVariant;
		ASSERT_EQ(d.outcome, want) << user;
		counts[static_cast<int>(d.outcome)]++;
		if (want == Outcome::kVariant)
			EXPECT_EQ(d.choice, bucket < 5000 ? 0 : 1);
		else
			EXPECT_EQ(d.choice, kNotEnrolled);
		Decision full = DecideFor(rule, user, true);
		EXPECT_EQ(full.outcome, want);
		EXPECT_EQ(full.layer_bucket, layer);
		EXPECT_EQ(full.holdout_bucket, holdout);
		EXPECT_EQ(full.bucket, bucket);
		EXPECT_EQ(full.choice, bucket < 5000 ? 0 : 1) << "full computes the rule's variant anyway";
	}
	// About 15 % held out, 85 % x 50 % in range: every outcome occurs.
	EXPECT_GT(counts[static_cast<int>(Outcome::kHeldOut)], 500);
	EXPECT_GT(counts[static_cast<int>(Outcome::kOutsideLayer)], 1500);
	EXPECT_GT(counts[static_cast<int>(Outcome::kVariant)], 1500);
}

TEST(Decide, NotEnrolledPastTheAllocation)
{
	Fixture f;
	f.bounds[0] = 1000;
	f.bounds[1] = 2000;
	ExperimentRule rule = f.Rule();
	for (int i = 0; i < 1000; i++) {
		std::string user = "n" + std::to_string(i);
		Decision d = DecideFor(rule, user);
		EXPECT_EQ(d.outcome == Outcome::kNotEnrolled, Mmh3(user, "exp-seed") >= 2000);
	}
}

TEST(Decide, ScratchFitsTheLongestSeed)
{
	Fixture f;
	ExperimentRule rule = f.Rule();
	rule.in_layer = true;
	rule.layer_seed = std::string(300, 'l');
	rule.has_holdout = true;
	rule.holdout_seed = "h";
	EXPECT_EQ(DecideScratchLength(rule, 10), BucketKeyLength(10, 300));
	rule.profile = HashProfile::kUnleash;
	EXPECT_GE(DecideScratchLength(rule, 10), BucketKeyLength(10, rule.seed.size()));
}

}  // namespace
}  // namespace exp_assign
