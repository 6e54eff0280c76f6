#include "core/profile_optimizely.hpp"

#include <cstring>

#include "core/murmur3_seeded.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

uint32_t OptimizelyBucket(std::string_view user, std::string_view seed, char *scratch) noexcept
{
	if (!user.empty())
		std::memcpy(scratch, user.data(), user.size());
	if (!seed.empty())
		std::memcpy(scratch + user.size(), seed.data(), seed.size());
	return OptimizelyScale(
		Murmur3Seeded(scratch, OptimizelyKeyLength(user.size(), seed.size()), kOptimizelyHashSeed));
}

}  // namespace exp_assign
