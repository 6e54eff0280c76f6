// The hash half of the assignment rule (DESIGN.md section 3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exp_assign {

constexpr uint32_t kBucketCount = 10000;

// How a profile turns (user id, seed) into a bucket. 'mmh3' is the default
// and never changes; the others reproduce other platforms (docs/profiles.md):
// 'optimizely' (core/profile_optimizely.hpp), 'unleash' (core/profile_unleash.hpp).
enum class HashProfile : uint8_t { kMmh3, kOptimizely, kUnleash };

// Parses a hash_profile column value; false for an unknown name.
bool ParseHashProfile(std::string_view name, HashProfile *out) noexcept;

// MurmurHash3_x86_32 with hash seed 0, as Python's mmh3.hash(..., signed=False).
uint32_t Murmur3(const void *data, size_t len) noexcept;

// Bytes BucketOf needs in its scratch buffer for these lengths.
constexpr size_t BucketKeyLength(size_t user_len, size_t seed_len) noexcept
{
	return user_len + 1 + seed_len;
}

// Bucket in [0, kBucketCount) of a UTF-8 user id and seed. The hashed key
// ("user_id:seed" for 'mmh3') is assembled in scratch, which holds at least
// BucketKeyLength(user.size(), seed.size()) bytes, so the hot loop never allocates.
// 'optimizely' gives OptimizelyBucket, chosen from by basis points like 'mmh3'.
// 'unleash' gives its rollout position on the same scale, (normalized value - 1)
// * 100, so the user is in a rollout of p percent exactly when the bucket is
// below p * 100; its variant comes from UnleashVariant, not from basis points.
uint32_t BucketOf(HashProfile profile, std::string_view user, std::string_view seed, char *scratch) noexcept;

}  // namespace exp_assign
