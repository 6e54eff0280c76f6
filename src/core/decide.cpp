#include "core/decide.hpp"

#include <algorithm>

#include "core/profile_unleash.hpp"
#include "core/rule.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

size_t DecideScratchLength(const ExperimentRule &rule, size_t user_len) noexcept
{
	// The profiles' keys are never longer than BucketKeyLength (see
	// OptimizelyKeyLength and UnleashKeyLength).
	size_t length = BucketKeyLength(user_len, rule.seed.size());
	if (rule.in_layer)
		length = std::max(length, BucketKeyLength(user_len, rule.layer_seed.size()));
	if (rule.has_holdout)
		length = std::max(length, BucketKeyLength(user_len, rule.holdout_seed.size()));
	return length;
}

uint32_t SeedBucket(std::string_view user, std::string_view seed, char *scratch) noexcept
{
	return BucketOf(HashProfile::kMmh3, user, seed, scratch);
}

int32_t ProfileChoice(const ExperimentRule &rule, std::string_view user, char *scratch,
					  uint32_t *bucket) noexcept
{
	*bucket = BucketOf(rule.profile, user, rule.seed, scratch);
	if (rule.profile == HashProfile::kUnleash)
		return UnleashAssign(user, rule.seed, rule.rollout_pct, rule.weights, rule.nvariants, scratch);
	return ChooseVariant(rule.bounds, rule.nvariants, *bucket);
}

Decision Decide(const ExperimentRule &rule, std::string_view user, char *scratch, bool full) noexcept
{
	Decision d{Outcome::kVariant, kNotEnrolled, 0, 0, 0};
	if (rule.has_holdout) {
		d.holdout_bucket = SeedBucket(user, rule.holdout_seed, scratch);
		if (d.holdout_bucket < rule.holdout_basis_points)
			d.outcome = Outcome::kHeldOut;
	}
	if (rule.in_layer && (full || d.outcome == Outcome::kVariant)) {
		d.layer_bucket = SeedBucket(user, rule.layer_seed, scratch);
		bool inside = d.layer_bucket >= rule.layer_start && d.layer_bucket < rule.layer_end;
		if (!inside && d.outcome == Outcome::kVariant)
			d.outcome = Outcome::kOutsideLayer;
	}
	if (full || d.outcome == Outcome::kVariant) {
		d.choice = ProfileChoice(rule, user, scratch, &d.bucket);
		if (d.choice == kNotEnrolled && d.outcome == Outcome::kVariant)
			d.outcome = Outcome::kNotEnrolled;
	}
	if (d.outcome != Outcome::kVariant && !full)
		d.choice = kNotEnrolled;
	return d;
}

}  // namespace exp_assign
