// TEMPORARY stub until the helper's srm core is merged.
#pragma once
#include <cstddef>
#include <cstdint>
namespace exp_assign {
struct SrmResult { double chi_square; int32_t df; double p_value; bool srm; };
SrmResult ComputeSrm(const int64_t *observed, const double *expected_share, size_t n) noexcept;
}
