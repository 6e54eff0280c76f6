// What the push worker writes to Redis for one assignment (DESIGN.md
// section 5): the key and the JSON value. Clients parse both, so their shape
// is part of the contract.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace exp_assign {

// "<prefix>:<experiment_id>:<user_id>", the user id's bytes as they are.
std::string AssignmentKey(std::string_view prefix, int32_t experiment_id, std::string_view user);

// {"variant_id":3,"variant_key":"treatment","version":2,"assigned_at":"2026-11-24T08:00:00Z"}
// assigned_at is whole seconds (truncated), as in the contract's example.
std::string AssignmentValue(int32_t variant_id, std::string_view variant_key, int32_t version,
							int64_t assigned_unix_micros);

// Milliseconds to wait after the given number of consecutive failures:
// 100 ms doubling up to cap_ms, so a Redis outage costs at most one attempt
// per cap_ms and a blip costs 100 ms.
int BackoffMs(int failures, int cap_ms) noexcept;

}  // namespace exp_assign
