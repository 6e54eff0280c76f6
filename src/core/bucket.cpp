#include "core/bucket.hpp"

#include <murmurhash.h>

#include <cstring>

#include "core/profile_optimizely.hpp"
#include "core/profile_unleash.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

bool ParseHashProfile(std::string_view name, HashProfile *out) noexcept
{
	if (name == "mmh3") {
		*out = HashProfile::kMmh3;
		return true;
	}
	if (name == "optimizely") {
		*out = HashProfile::kOptimizely;
		return true;
	}
	if (name == "unleash") {
		*out = HashProfile::kUnleash;
		return true;
	}
	return false;
}

uint32_t Murmur3(const void *data, size_t len) noexcept
{
	uint32_t hash;
	// Debian's libmurmurhash; a PostgreSQL text value is below 1 GB, so the
	// length always fits its unsigned int.
	lmmh_x86_32(data, static_cast<unsigned int>(len), 0, &hash);
	return hash;
}

uint32_t BucketOf(HashProfile profile, std::string_view user, std::string_view seed, char *scratch) noexcept
{
	switch (profile) {
	case HashProfile::kMmh3:
		break;
	case HashProfile::kOptimizely:
		return OptimizelyBucket(user, seed, scratch);
	case HashProfile::kUnleash:
		return (UnleashNormalized(user, seed, 100, kUnleashRolloutSeed, scratch) - 1) * 100;
	}
	if (!user.empty())
		std::memcpy(scratch, user.data(), user.size());
	scratch[user.size()] = ':';
	if (!seed.empty())
		std::memcpy(scratch + user.size() + 1, seed.data(), seed.size());
	return Murmur3(scratch, BucketKeyLength(user.size(), seed.size())) % kBucketCount;
}

}  // namespace exp_assign
