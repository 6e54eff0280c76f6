#include "core/profile_unleash.hpp"

#include <cstring>

#include "core/murmur3_seeded.hpp"
#include "core/rule.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

namespace {

constexpr uint64_t kRolloutNormalizer = 100;

// Writes seed ':' user into scratch, the key both of Unleash's hashes read.
void BuildKey(std::string_view user, std::string_view seed, char *scratch) noexcept
{
	if (!seed.empty())
		std::memcpy(scratch, seed.data(), seed.size());
	scratch[seed.size()] = ':';
	if (!user.empty())
		std::memcpy(scratch + seed.size() + 1, user.data(), user.size());
}

}  // namespace

uint32_t UnleashNormalized(std::string_view user, std::string_view seed, uint64_t normalizer,
						   uint32_t hash_seed, char *scratch) noexcept
{
	BuildKey(user, seed, scratch);
	uint32_t hash = Murmur3Seeded(scratch, UnleashKeyLength(user.size(), seed.size()), hash_seed);
	// The result is at most normalizer, and above UINT32_MAX only when
	// normalizer is; then hash + 1 fits.
	return static_cast<uint32_t>(hash % normalizer + 1);
}

bool UnleashEnrolled(std::string_view user, std::string_view seed, int32_t rollout_pct,
					 char *scratch) noexcept
{
	if (rollout_pct <= 0)
		return false;
	return UnleashNormalized(user, seed, kRolloutNormalizer, kUnleashRolloutSeed, scratch) <=
		   static_cast<uint32_t>(rollout_pct);
}

int32_t UnleashVariant(std::string_view user, std::string_view seed, const int32_t *weights, size_t n,
					   char *scratch) noexcept
{
	// int64: n weights of at most INT32_MAX cannot overflow for any n that fits in memory.
	int64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += weights[i] > 0 ? weights[i] : 0;
	if (total <= 0)
		return kNotEnrolled;
	uint64_t target =
		UnleashNormalized(user, seed, static_cast<uint64_t>(total), kUnleashVariantSeed, scratch);
	int64_t running = 0;
	for (size_t i = 0; i < n; i++) {
		// Unleash skips weight-0 variants; the running sum alone would too,
		// unless an earlier one had already reached the target.
		if (weights[i] <= 0)
			continue;
		running += weights[i];
		if (static_cast<uint64_t>(running) >= target)
			return static_cast<int32_t>(i);
	}
	return kNotEnrolled;  // unreachable: target <= total
}

int32_t UnleashAssign(std::string_view user, std::string_view seed, int32_t rollout_pct,
					  const int32_t *weights, size_t n, char *scratch) noexcept
{
	if (!UnleashEnrolled(user, seed, rollout_pct, scratch))
		return kNotEnrolled;
	return UnleashVariant(user, seed, weights, n, scratch);
}

}  // namespace exp_assign
