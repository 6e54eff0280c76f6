// How long the push worker waits before it tries Redis again.
#pragma once

namespace exp_assign {

// Milliseconds to wait after the given number of consecutive failures:
// 100 ms doubling up to cap_ms, so a Redis outage costs at most one attempt
// per cap_ms and a blip costs 100 ms.
int BackoffMs(int failures, int cap_ms) noexcept;

}  // namespace exp_assign
