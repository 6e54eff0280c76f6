#include "core/pairs.hpp"

#include <algorithm>
#include <cstring>

#include "core/core_only.hpp"

namespace exp_assign {

int ComparePairKeys(const Pair &a, const Pair &b) noexcept
{
	size_t common = std::min(a.user_len, b.user_len);
	int c = common ? std::memcmp(a.user, b.user, common) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a.user_len != b.user_len)
		return a.user_len < b.user_len ? -1 : 1;
	if (a.experiment_id != b.experiment_id)
		return a.experiment_id < b.experiment_id ? -1 : 1;
	return 0;
}

size_t SortDistinct(Pair *pairs, size_t n) noexcept
{
	// std::sort works in place: no allocation, nothing to throw.
	std::sort(pairs, pairs + n, [](const Pair &a, const Pair &b) {
		int c = ComparePairKeys(a, b);
		return c != 0 ? c < 0 : a.position < b.position;
	});
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (kept > 0 && ComparePairKeys(pairs[kept - 1], pairs[i]) == 0)
			continue;
		pairs[kept++] = pairs[i];
	}
	return kept;
}

ptrdiff_t FindPair(const Pair *sorted, size_t n, const Pair &key) noexcept
{
	const Pair *end = sorted + n;
	const Pair *it = std::lower_bound(sorted, end, key,
									  [](const Pair &a, const Pair &b) { return ComparePairKeys(a, b) < 0; });
	if (it == end || ComparePairKeys(*it, key) != 0)
		return -1;
	return it - sorted;
}

void RequestOrder(const Pair *pairs, size_t n, uint32_t *order) noexcept
{
	for (size_t i = 0; i < n; i++)
		order[i] = static_cast<uint32_t>(i);
	std::sort(order, order + n,
			  [pairs](uint32_t a, uint32_t b) { return pairs[a].position < pairs[b].position; });
}

}  // namespace exp_assign
