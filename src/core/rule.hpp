// The choice half of the assignment rule (DESIGN.md section 3): exact integer
// basis points, so every client that reproduces the rule gets the same variant.
#pragma once

#include <cstddef>
#include <cstdint>

namespace exp_assign {

constexpr int32_t kNotEnrolled = -1;

// Fills bounds[i] with the running sum of basis_points[0..i] (variants in
// ascending id) and returns the total. int64 so any number of variants fits.
int64_t RunningBounds(const int32_t *basis_points, int64_t *bounds, size_t n) noexcept;

// Index of the first variant whose bound is above bucket, or kNotEnrolled when
// the bucket lies past the allocated traffic.
int32_t ChooseVariant(const int64_t *bounds, size_t n, uint32_t bucket) noexcept;

}  // namespace exp_assign
