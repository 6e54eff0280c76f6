// Batching of requested (experiment, user) pairs: one lock order for every
// caller, duplicates folded, results handed back in request order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace exp_assign {

// One requested pair. The user bytes belong to the caller; tag is the
// caller's own index (where the user id came from) and position the pair's
// place in the request.
struct Pair {
	int32_t experiment_id;
	uint32_t user_len;
	const char *user;
	uint32_t position;
	uint32_t tag;

	std::string_view User() const noexcept { return {user, user_len}; }
};

// Orders by user id bytes, then experiment id: the order every bulk call
// inserts in, so two calls over overlapping pairs never deadlock. User first
// because rows are stored in the order they are inserted: a matrix call
// then lays each user's rows side by side, and the page load that reads
// them later (one user, many experiments) finds them together.
int ComparePairKeys(const Pair &a, const Pair &b) noexcept;

// Sorts pairs into lock order and compacts them to the distinct pairs, each
// keeping its first position in the request. Returns how many remain.
size_t SortDistinct(Pair *pairs, size_t n) noexcept;

// Index of the pair equal to key in pairs sorted by SortDistinct, or -1.
ptrdiff_t FindPair(const Pair *sorted, size_t n, const Pair &key) noexcept;

// Fills order with 0..n-1 sorted by the pairs' request position.
void RequestOrder(const Pair *pairs, size_t n, uint32_t *order) noexcept;

}  // namespace exp_assign
