#include "core/srm.hpp"
namespace exp_assign {
SrmResult ComputeSrm(const int64_t *, const double *, size_t) noexcept { return {0, 0, 1, false}; }
}
