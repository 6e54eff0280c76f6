// Fuzz target "rule": the choice half of the rule (DESIGN.md section 3).
//
// Input: byte 0 picks the mode, bytes 1-4 a bucket (any uint32), the rest
// up to 64 int32 basis points. In the normal mode each is clamped to
// 0..10000, as allocations are; in the raw mode (byte 0 odd) they stay
// anything an int32 holds, negatives included.
// Checks:
// - RunningBounds returns the sum and fills bounds[i] with the running sum
//   of basis_points[0..i], computed here in int64; in the normal mode the
//   bounds never decrease;
// - ChooseVariant equals the naive rule, "the first i with bounds[i] >
//   bucket, else kNotEnrolled", for the input's bucket, the bucket mod
//   10000 and every bound and bound - 1 (the edges);
// - in the normal mode a chosen variant has a non-zero allocation and its
//   bucket lies in [bounds[i-1], bounds[i]).
// Why: the rule must give every client the same variant, and a variant at
// 0 % (equal bounds) must never be chosen.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/rule.hpp"

namespace {

constexpr size_t kMaxVariants = 64;

int32_t NaiveChoice(const std::vector<int64_t> &bounds, uint32_t bucket)
{
	for (size_t i = 0; i < bounds.size(); i++) {
		if (bounds[i] > static_cast<int64_t>(bucket))
			return static_cast<int32_t>(i);
	}
	return exp_assign::kNotEnrolled;
}

void CheckChoice(const std::vector<int32_t> &points, const std::vector<int64_t> &bounds, uint32_t bucket,
				 bool clamped)
{
	int32_t got = exp_assign::ChooseVariant(bounds.data(), bounds.size(), bucket);
	int32_t want = NaiveChoice(bounds, bucket);
	if (got != want)
		fuzz::Mismatch("ChooseVariant(" + std::to_string(bounds.size()) + " bounds, bucket " +
					   std::to_string(bucket) + ") = " + std::to_string(got) + ", naive " +
					   std::to_string(want));
	if (!clamped || got == exp_assign::kNotEnrolled)
		return;
	int64_t low = got == 0 ? 0 : bounds[got - 1];
	if (points[got] == 0 || static_cast<int64_t>(bucket) < low || static_cast<int64_t>(bucket) >= bounds[got])
		fuzz::Mismatch("ChooseVariant chose variant " + std::to_string(got) + " with " +
					   std::to_string(points[got]) + " basis points for bucket " + std::to_string(bucket) +
					   ", its range is [" + std::to_string(low) + ", " + std::to_string(bounds[got]) + ")");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	const bool clamped = (data[0] & 1) == 0;
	uint32_t bucket;
	std::memcpy(&bucket, data + 1, 4);
	data += 5;
	size -= 5;

	const size_t n = std::min(size / 4, kMaxVariants);
	std::vector<int32_t> points(n);
	for (size_t i = 0; i < n; i++) {
		std::memcpy(&points[i], data + i * 4, 4);
		if (clamped)
			points[i] = std::clamp(points[i], 0, 10000);
	}

	// Exactly n bounds: AddressSanitizer sees a write past them.
	std::vector<int64_t> bounds(n, INT64_MIN);
	int64_t total = exp_assign::RunningBounds(points.data(), bounds.data(), n);
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += points[i];
		if (bounds[i] != sum)
			fuzz::Mismatch("RunningBounds: bounds[" + std::to_string(i) + "] = " + std::to_string(bounds[i]) +
						   ", running sum " + std::to_string(sum));
		if (clamped && i > 0 && bounds[i] < bounds[i - 1])
			fuzz::Mismatch("RunningBounds: bounds decrease at " + std::to_string(i));
	}
	if (total != sum)
		fuzz::Mismatch("RunningBounds returned " + std::to_string(total) + ", sum " + std::to_string(sum));

	CheckChoice(points, bounds, bucket, clamped);
	CheckChoice(points, bounds, bucket % 10000, clamped);
	for (int64_t bound : bounds) {
		for (int64_t b : {bound - 1, bound}) {
			if (b >= 0 && b <= UINT32_MAX)
				CheckChoice(points, bounds, static_cast<uint32_t>(b), clamped);
		}
	}
	return 0;
}
