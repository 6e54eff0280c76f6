#include "core/murmur3_seeded.hpp"

#include <murmurhash.h>

#include "core/core_only.hpp"

namespace exp_assign {

uint32_t Murmur3Seeded(const void *data, size_t len, uint32_t seed) noexcept
{
	uint32_t hash;
	// Debian's libmurmurhash; a PostgreSQL text value is below 1 GB, so the
	// length always fits its unsigned int.
	lmmh_x86_32(data, static_cast<unsigned int>(len), seed, &hash);
	return hash;
}

}  // namespace exp_assign
