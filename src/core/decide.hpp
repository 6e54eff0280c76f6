// The whole decision for a user without a stored row or an override: the
// holdout, then the layer, then the experiment's own profile and allocation
// (DESIGN.md section 3 and docs/layers.md). The three hashes use different
// seeds, so being held out, a layer slot and a variant stay independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bucket.hpp"

namespace exp_assign {

// What the rule knows of one experiment, as plain data: the glue fills it
// from the catalog, explain and the unit tests from their own values.
struct ExperimentRule {
	HashProfile profile;
	std::string_view seed;  // UTF-8
	size_t nvariants;  // in ascending id
	const int64_t *bounds;  // running sums of basis points ('mmh3', 'optimizely')
	const int32_t *weights;  // 'unleash' weights
	int32_t rollout_pct;  // 'unleash' gradual rollout
	bool in_layer;
	std::string_view layer_seed;
	uint32_t layer_start, layer_end;  // [start, end) of layer buckets
	bool has_holdout;
	std::string_view holdout_seed;
	uint32_t holdout_basis_points;  // round(pct * 100): buckets below it are held out
};

enum class Outcome : uint8_t {
	kVariant,  // choice names the variant
	kHeldOut,  // the holdout keeps the user out
	kOutsideLayer,  // the layer bucket lies outside the experiment's range
	kNotEnrolled,  // the profile's allocation leaves the user out
};

struct Decision {
	Outcome outcome;
	int32_t choice;  // variant index, or kNotEnrolled
	uint32_t bucket;  // the profile's bucket (BucketOf); 0 when not reached
	uint32_t layer_bucket;  // when in_layer and reached
	uint32_t holdout_bucket;  // when has_holdout
};

// Bytes Decide needs in its scratch buffer for a user id of user_len bytes.
size_t DecideScratchLength(const ExperimentRule &rule, size_t user_len) noexcept;

// The "user_id:seed" bucket of DESIGN section 3, also the layer's and the
// holdout's hash; scratch holds BucketKeyLength(user, seed) bytes.
uint32_t SeedBucket(std::string_view user, std::string_view seed, char *scratch) noexcept;

// The variant the profile gives the user from allocation alone (no layer, no
// holdout), or kNotEnrolled; *bucket receives BucketOf's bucket.
int32_t ProfileChoice(const ExperimentRule &rule, std::string_view user, char *scratch,
					  uint32_t *bucket) noexcept;

// Holdout, layer, profile, in that order, stopping at the first that keeps
// the user out. full computes every bucket even then (explain shows them all).
Decision Decide(const ExperimentRule &rule, std::string_view user, char *scratch, bool full = false) noexcept;

}  // namespace exp_assign
