// Fuzz target "pairs": batching of requested (experiment, user) pairs.
//
// Input: a pool of up to 8 user ids of 0-6 arbitrary bytes (NULs and high
// bytes included), then pairs: each takes a pool id, sometimes shortened
// (so ids that are prefixes of others are common), copied into a heap
// block of its own, exactly its length (equal ids at different addresses,
// and AddressSanitizer sees a read past one), and an experiment id from
// -2..5 or INT32_MIN / INT32_MAX (duplicates are common). position is the
// pair's index, tag a value unique to the element.
// The oracle is a std::map keyed by (user bytes, experiment id) holding the
// first index of each key; std::string compares as unsigned bytes, then
// length, which is the documented lock order.
// Checks:
// - ComparePairKeys has the oracle's sign for every two elements (all of
//   them up to 32 pairs, a sample beyond);
// - SortDistinct keeps exactly the oracle's keys, in the oracle's order
//   (strictly increasing under ComparePairKeys), and each kept pair is the
//   whole element of the key's smallest position, i.e. its first
//   occurrence in the request (position, tag and user pointer agree);
// - FindPair finds every requested pair at the oracle's rank, and returns -1
//   exactly for probes the oracle lacks (neighbouring experiment ids, the
//   user id one byte longer or shorter, an id absent from the pool);
// - RequestOrder gives a permutation ordering the pairs by position: the
//   distinct keys in order of first appearance, the whole request as 0..n-1.
// Why: one lock order for every caller is what keeps bulk calls from
// deadlocking, and results go back in request order with one row per
// distinct pair.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"
#include "core/pairs.hpp"
#include "json_check.hpp"

namespace {

using exp_assign::ComparePairKeys;
using exp_assign::FindPair;
using exp_assign::Pair;

using Key = std::pair<std::string, int32_t>;

constexpr size_t kMaxPairs = 512;

Key KeyOf(const Pair &p)
{
	return {std::string(p.user, p.user_len), p.experiment_id};
}

std::string Show(const Pair &p)
{
	return "(" + json_check::Show({p.user, p.user_len}) + ", " + std::to_string(p.experiment_id) +
		   ", position " + std::to_string(p.position) + ")";
}

int Sign(int c)
{
	return (c > 0) - (c < 0);
}

int OracleCompare(const Key &a, const Key &b)
{
	return a < b ? -1 : (b < a ? 1 : 0);
}

void CheckCompare(const Pair &a, const Pair &b)
{
	int got = Sign(ComparePairKeys(a, b));
	int want = OracleCompare(KeyOf(a), KeyOf(b));
	if (got != want)
		fuzz::Mismatch("ComparePairKeys" + Show(a) + ", " + Show(b) + " has sign " + std::to_string(got) +
					   ", oracle " + std::to_string(want));
}

// Owns the user bytes of a probe.
struct Probe {
	std::unique_ptr<char[]> bytes;
	Pair pair;

	Probe(const std::string &user, int32_t experiment_id)
		: bytes(new char[user.size()])
	{
		if (!user.empty())
			std::memcpy(bytes.get(), user.data(), user.size());
		pair = Pair{experiment_id, static_cast<uint32_t>(user.size()), bytes.get(), 0, 0};
	}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider in(data, size);

	std::vector<std::string> pool(in.ConsumeIntegralInRange<size_t>(1, 8));
	for (std::string &user : pool)
		user = in.ConsumeRandomLengthString(6);

	std::vector<std::unique_ptr<char[]>> storage;
	std::vector<Pair> request;
	while (in.remaining_bytes() > 0 && request.size() < kMaxPairs) {
		uint8_t pick = in.ConsumeIntegral<uint8_t>();
		uint8_t ex = in.ConsumeIntegral<uint8_t>();
		std::string user = pool[pick % pool.size()];
		if (pick & 0x80)
			user.resize(user.size() - std::min<size_t>(user.size(), (pick >> 3) & 3));
		int32_t experiment_id = ex == 0xff ? INT32_MAX : ex == 0xfe ? INT32_MIN : ex % 8 - 2;
		storage.emplace_back(new char[user.size()]);
		if (!user.empty())
			std::memcpy(storage.back().get(), user.data(), user.size());
		uint32_t index = static_cast<uint32_t>(request.size());
		request.push_back(Pair{experiment_id, static_cast<uint32_t>(user.size()), storage.back().get(), index,
							   index ^ 0x5a5a5a5au});
	}
	const size_t n = request.size();

	std::map<Key, uint32_t> oracle;  // key -> first index
	for (const Pair &p : request)
		oracle.emplace(KeyOf(p), p.position);

	// ComparePairKeys against the oracle's order.
	if (n <= 32) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				CheckCompare(request[i], request[j]);
	} else {
		for (size_t i = 0; i < n; i++) {
			CheckCompare(request[i], request[(i * 7 + 3) % n]);
			CheckCompare(request[i], request[(i + 1) % n]);
		}
	}

	// SortDistinct.
	std::vector<Pair> sorted = request;
	const size_t kept = exp_assign::SortDistinct(sorted.data(), n);
	if (kept != oracle.size())
		fuzz::Mismatch("SortDistinct kept " + std::to_string(kept) + " of " + std::to_string(n) +
					   " pairs, the oracle has " + std::to_string(oracle.size()) + " distinct");
	size_t rank = 0;
	for (const auto &[key, first] : oracle) {
		const Pair &p = sorted[rank];
		if (KeyOf(p) != key)
			fuzz::Mismatch("SortDistinct: pair " + std::to_string(rank) + " is " + Show(p) +
						   ", the oracle's is " + json_check::Show(key.first) + ", " +
						   std::to_string(key.second));
		const Pair &original = request[first];
		if (p.position != first || p.tag != original.tag || p.user != original.user)
			fuzz::Mismatch("SortDistinct kept " + Show(p) + " (tag " + std::to_string(p.tag) +
						   "), not the first occurrence at position " + std::to_string(first));
		if (rank > 0 && ComparePairKeys(sorted[rank - 1], p) >= 0)
			fuzz::Mismatch("SortDistinct: " + Show(sorted[rank - 1]) + " is not below " + Show(p));
		rank++;
	}

	// FindPair: every requested pair, at the oracle's rank.
	for (const Pair &p : request) {
		ptrdiff_t at = FindPair(sorted.data(), kept, p);
		auto it = oracle.find(KeyOf(p));
		ptrdiff_t want = std::distance(oracle.begin(), it);
		if (at != want)
			fuzz::Mismatch("FindPair" + Show(p) + " = " + std::to_string(at) + ", oracle rank " +
						   std::to_string(want));
	}

	// FindPair: neighbours of each distinct pair, present or not.
	std::vector<Probe> probes;
	for (const auto &entry : oracle) {
		const std::string &user = entry.first.first;
		int32_t ex = entry.first.second;
		if (ex != INT32_MAX)
			probes.emplace_back(user, ex + 1);
		if (ex != INT32_MIN)
			probes.emplace_back(user, ex - 1);
		probes.emplace_back(user + std::string(1, '\0'), ex);
		probes.emplace_back(user + "\xff", ex);
		if (!user.empty())
			probes.emplace_back(user.substr(0, user.size() - 1), ex);
	}
	probes.emplace_back(std::string(7, 'z'), 1);  // longer than any pool id
	for (const Probe &probe : probes) {
		ptrdiff_t at = FindPair(sorted.data(), kept, probe.pair);
		auto it = oracle.find(KeyOf(probe.pair));
		ptrdiff_t want = it == oracle.end() ? -1 : std::distance(oracle.begin(), it);
		if (at != want)
			fuzz::Mismatch("FindPair(probe " + Show(probe.pair) + ") = " + std::to_string(at) + ", oracle " +
						   std::to_string(want));
	}

	// RequestOrder of the distinct pairs: their keys by first appearance.
	std::vector<std::pair<uint32_t, Key>> by_first;
	for (const auto &[key, first] : oracle)
		by_first.emplace_back(first, key);
	std::sort(by_first.begin(), by_first.end());
	std::vector<uint32_t> order(kept);
	exp_assign::RequestOrder(sorted.data(), kept, order.data());
	std::vector<bool> seen(kept, false);
	for (size_t i = 0; i < kept; i++) {
		if (order[i] >= kept || seen[order[i]])
			fuzz::Mismatch("RequestOrder is not a permutation at " + std::to_string(i));
		seen[order[i]] = true;
		const Pair &p = sorted[order[i]];
		if (p.position != by_first[i].first || KeyOf(p) != by_first[i].second)
			fuzz::Mismatch("RequestOrder: element " + std::to_string(i) + " is " + Show(p) +
						   ", expected position " + std::to_string(by_first[i].first));
	}

	// RequestOrder of the whole request: positions are indices, so 0..n-1.
	std::vector<uint32_t> identity(n);
	exp_assign::RequestOrder(request.data(), n, identity.data());
	for (size_t i = 0; i < n; i++) {
		if (identity[i] != i)
			fuzz::Mismatch("RequestOrder of the request: element " + std::to_string(i) + " is " +
						   std::to_string(identity[i]));
	}
	return 0;
}
