#include "core/rule.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

int64_t RunningBounds(const int32_t *basis_points, int64_t *bounds, size_t n) noexcept
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += basis_points[i];
		bounds[i] = sum;
	}
	return sum;
}

int32_t ChooseVariant(const int64_t *bounds, size_t n, uint32_t bucket) noexcept
{
	// Linear on purpose: experiments have a handful of variants, and a
	// zero-allocation variant (bound equal to its predecessor's) must be skipped.
	for (size_t i = 0; i < n; i++) {
		if (bounds[i] > static_cast<int64_t>(bucket))
			return static_cast<int32_t>(i);
	}
	return kNotEnrolled;
}

}  // namespace exp_assign
