// The 'unleash' hash profile: Unleash's gradual rollout (flexibleRollout,
// gradualRolloutUserId with userId stickiness) and its variant choice, so
// users moved from Unleash keep their variants. Unleash's groupId is the
// experiment's seed; allocation is a rollout percentage and integer weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exp_assign {

// Unleash's STRATEGY_SEED and VARIANT_SEED (unleash-node-sdk
// src/strategy/util.ts; yggdrasil's VARIANT_NORMALIZATION_SEED).
constexpr uint32_t kUnleashRolloutSeed = 0;
constexpr uint32_t kUnleashVariantSeed = 86028157;

// Bytes the functions below need in their scratch buffer for "seed:user_id";
// the same count as BucketKeyLength, the order reversed.
constexpr size_t UnleashKeyLength(size_t user_len, size_t seed_len) noexcept
{
	return seed_len + 1 + user_len;
}

// Unleash's normalizedValue: murmur3(seed ':' user, hash_seed) % normalizer
// + 1, in [1, normalizer]; normalizer is at least 1. scratch holds at least
// UnleashKeyLength(user.size(), seed.size()) bytes and is left holding the key.
uint32_t UnleashNormalized(std::string_view user, std::string_view seed, uint64_t normalizer,
						   uint32_t hash_seed, char *scratch) noexcept;

// Whether the user is in a rollout of rollout_pct percent: the normalized
// value over 100 (hash seed 0) is at most rollout_pct, and rollout_pct > 0.
bool UnleashEnrolled(std::string_view user, std::string_view seed, int32_t rollout_pct,
					 char *scratch) noexcept;

// Index of the variant Unleash gives the user among variants of these integer
// weights (in the experiment's order), or kNotEnrolled when the weights sum
// to 0 or nothing: target = normalized value over the total weight with hash
// seed 86028157, the first variant whose running weight is >= target. A
// negative weight counts as 0 (the SQL side refuses them).
int32_t UnleashVariant(std::string_view user, std::string_view seed, const int32_t *weights, size_t n,
					   char *scratch) noexcept;

// The whole decision: kNotEnrolled outside the rollout, else UnleashVariant.
int32_t UnleashAssign(std::string_view user, std::string_view seed, int32_t rollout_pct,
					  const int32_t *weights, size_t n, char *scratch) noexcept;

}  // namespace exp_assign
