#include "core/backoff.hpp"

#include <cstdint>

#include "core/core_only.hpp"

namespace exp_assign {

int BackoffMs(int failures, int cap_ms) noexcept
{
	constexpr int kFirstMs = 100;
	if (failures <= 0)
		return 0;
	int64_t delay = kFirstMs;
	for (int i = 1; i < failures && delay < cap_ms; i++)
		delay *= 2;
	return static_cast<int>(delay < cap_ms ? delay : cap_ms);
}

}  // namespace exp_assign
