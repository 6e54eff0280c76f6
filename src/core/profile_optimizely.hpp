// The 'optimizely' hash profile: Optimizely Full Stack's bucketing (the
// python-sdk's optimizely/bucketer.py), so users moved from Optimizely keep
// their variants. Allocation is the default rule's: running sums of basis
// points, first bound above the bucket (Optimizely's endOfRange).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exp_assign {

// Optimizely's HASH_SEED.
constexpr uint32_t kOptimizelyHashSeed = 1;

// Bytes OptimizelyBucket needs in its scratch buffer: the key has no
// separator, so it never needs more than BucketKeyLength.
constexpr size_t OptimizelyKeyLength(size_t user_len, size_t seed_len) noexcept
{
	return user_len + seed_len;
}

// floor(h * 10000 / 2^32) of a 32-bit hash h, in [0, 10000). Exactly
// Optimizely's floor(float(h) / 2^32 * 10000) in doubles: h * 10000 / 2^32
// is either an integer or at least 2^-28 from one, far above the double's
// rounding error below 10000, so the float formula never rounds across.
constexpr uint32_t OptimizelyScale(uint32_t hash) noexcept
{
	return static_cast<uint32_t>((static_cast<uint64_t>(hash) * 10000u) >> 32);
}

// Bucket in [0, 10000) of "user_id || seed" (the seed holds the Optimizely
// experiment id, or the group id for a mutually exclusive group), hashed with
// seed 1. The key is assembled in scratch, which holds at least
// OptimizelyKeyLength(user.size(), seed.size()) bytes.
uint32_t OptimizelyBucket(std::string_view user, std::string_view seed, char *scratch) noexcept;

}  // namespace exp_assign
