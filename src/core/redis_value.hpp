// What the push worker writes to Redis for one assignment (DESIGN.md
// section 5): the key and the JSON value. Clients parse both, so their shape
// is part of the contract. The Append forms let the worker build a whole
// batch in one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace exp_assign {

// How keys are spelled (exp_assign.redis_key_layout).
enum class KeyLayout {
	kPlain,  // <prefix>:<experiment_id>:<user_id>
	kCluster,  // <prefix>:{<user_id>}:<experiment_id>: one user's keys share a
	// Redis Cluster hash slot, so a page load's MGET works there
};

// Appends the key of an assignment, the user id's bytes as they are.
void AppendAssignmentKey(std::string *out, std::string_view prefix, int32_t experiment_id,
						 std::string_view user, KeyLayout layout = KeyLayout::kPlain);

// assigned_at as the value carries it: UTC, whole seconds (truncated, as in
// the contract's example), e.g. "2026-11-24T08:00:00Z". INT64_MAX and
// INT64_MIN stand for PostgreSQL's 'infinity' and '-infinity' and are
// written as those words, as PostgreSQL's own to_json does (InstantText).
std::string AssignedAtText(int64_t assigned_micros_since_2000);

// Appends {"variant_id":3,"variant_key":"treatment","version":2,"assigned_at":"2026-11-24T08:00:00Z"}
// with assigned_at from AssignedAtText.
void AppendAssignmentValue(std::string *out, int32_t variant_id, std::string_view variant_key,
						   int32_t version, std::string_view assigned_at_text);

}  // namespace exp_assign
