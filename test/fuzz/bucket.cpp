// Fuzz target "bucket": the hash half of the rule (DESIGN.md section 3).
//
// Checks, for arbitrary bytes:
// - Murmur3 (Debian's libmurmurhash, lmmh_x86_32) equals an independent
//   MurmurHash3_x86_32 written below from Austin Appleby's public-domain
//   reference, for every length, with the data at 8 alignments in heap
//   blocks of exactly the data's size (AddressSanitizer sees an over-read
//   of the caller's copy; the archive itself is not instrumented), and with
//   arbitrary hash seeds on lmmh_x86_32 itself;
// - BucketOf(kMmh3, user, seed) is below 10000 and equals
//   reference(user ':' seed) mod 10000, with the first byte choosing where
//   the input splits into user and seed, in a scratch buffer of exactly
//   BucketKeyLength bytes, which then holds user ':' seed;
// - ParseHashProfile accepts "mmh3", "optimizely", "unleash" and nothing else.
// Why: every client reproduces the bucket bit for bit, so a wrong hash for
// one length or alignment assigns users to other variants than Python does.
#include <murmurhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "check.hpp"
#include "core/bucket.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
			  "the reference reads blocks with memcpy: little-endian hosts only");

namespace {

uint32_t Rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

uint32_t Fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

// MurmurHash3_x86_32 as in Austin Appleby's MurmurHash3.cpp (public domain).
uint32_t ReferenceMurmur3(const uint8_t *data, size_t len, uint32_t seed)
{
	constexpr uint32_t c1 = 0xcc9e2d51;
	constexpr uint32_t c2 = 0x1b873593;
	const size_t nblocks = len / 4;
	uint32_t h1 = seed;

	for (size_t i = 0; i < nblocks; i++) {
		uint32_t k1;
		std::memcpy(&k1, data + i * 4, 4);
		k1 *= c1;
		k1 = Rotl32(k1, 15);
		k1 *= c2;
		h1 ^= k1;
		h1 = Rotl32(h1, 13);
		h1 = h1 * 5 + 0xe6546b64;
	}

	const uint8_t *tail = data + nblocks * 4;
	uint32_t k1 = 0;
	switch (len & 3) {
	case 3:
		k1 ^= static_cast<uint32_t>(tail[2]) << 16;
		[[fallthrough]];
	case 2:
		k1 ^= static_cast<uint32_t>(tail[1]) << 8;
		[[fallthrough]];
	case 1:
		k1 ^= tail[0];
		k1 *= c1;
		k1 = Rotl32(k1, 15);
		k1 *= c2;
		h1 ^= k1;
	}

	h1 ^= static_cast<uint32_t>(len);
	return Fmix32(h1);
}

std::string Hex(uint32_t v)
{
	char buf[16];
	std::snprintf(buf, sizeof buf, "%08x", v);
	return buf;
}

}  // namespace

// Known answers (Python's mmh3.hash(..., signed=False)), so a wrong
// reference cannot agree with a wrong library.
extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	struct {
		const char *key;
		uint32_t hash;
	} const known[] = {
		{"", 0u},
		{"a", 1009084850u},
		{"ab", 2613040991u},
		{"abc", 3017643002u},
		{"abcd", 1139631978u},
		{"abcde", 3902511862u},
		{"hello", 613153351u},
		{"The quick brown fox jumps over the lazy dog", 0x2e4ff723u},
	};
	for (const auto &k : known) {
		uint32_t got = ReferenceMurmur3(reinterpret_cast<const uint8_t *>(k.key), std::strlen(k.key), 0);
		if (got != k.hash)
			fuzz::Mismatch("reference MurmurHash3 of \"" + std::string(k.key) + "\" is " + Hex(got) +
						   ", expected " + Hex(k.hash));
	}
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using exp_assign::BucketKeyLength;
	using exp_assign::BucketOf;
	using exp_assign::HashProfile;
	using exp_assign::kBucketCount;
	using exp_assign::Murmur3;

	const uint32_t expected = ReferenceMurmur3(data, size, 0);

	// Differential: the library at every alignment, from an exact-size block.
	for (size_t offset = 0; offset < 8; offset++) {
		std::unique_ptr<uint8_t[]> block(new uint8_t[offset + size]);
		if (size != 0)
			std::memcpy(block.get() + offset, data, size);
		uint32_t got = Murmur3(block.get() + offset, size);
		if (got != expected)
			fuzz::Mismatch("Murmur3 of " + std::to_string(size) + " bytes at offset " +
						   std::to_string(offset) + ": " + Hex(got) + ", reference " + Hex(expected));
	}

	// The library with a hash seed other than 0 (taken from the input's end).
	if (size >= 4) {
		uint32_t seed;
		std::memcpy(&seed, data + size - 4, 4);
		uint32_t got;
		lmmh_x86_32(data, static_cast<unsigned int>(size), seed, &got);
		uint32_t want = ReferenceMurmur3(data, size, seed);
		if (got != want)
			fuzz::Mismatch("lmmh_x86_32 with seed " + Hex(seed) + " of " + std::to_string(size) +
						   " bytes: " + Hex(got) + ", reference " + Hex(want));
	}

	// BucketOf: the first byte says where the rest splits into user and seed.
	std::string_view user, seed;
	if (size > 0) {
		std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
		size_t split = data[0] % (rest.size() + 1);
		user = rest.substr(0, split);
		seed = rest.substr(split);
	}
	const size_t key_len = BucketKeyLength(user.size(), seed.size());
	std::string key;
	key.append(user).append(1, ':').append(seed);
	if (key_len != key.size())
		fuzz::Mismatch("BucketKeyLength " + std::to_string(key_len) + ", key has " +
					   std::to_string(key.size()) + " bytes");

	std::unique_ptr<char[]> scratch(new char[key_len]);
	uint32_t bucket = BucketOf(HashProfile::kMmh3, user, seed, scratch.get());
	uint32_t want = ReferenceMurmur3(reinterpret_cast<const uint8_t *>(key.data()), key.size(), 0) % 10000;
	if (kBucketCount != 10000 || bucket >= 10000 || bucket != want)
		fuzz::Mismatch("BucketOf(" + std::to_string(user.size()) + "-byte user, " +
					   std::to_string(seed.size()) + "-byte seed) = " + std::to_string(bucket) +
					   ", reference " + std::to_string(want));
	if (std::memcmp(scratch.get(), key.data(), key_len) != 0)
		fuzz::Mismatch("BucketOf's scratch does not hold user ':' seed");

	// ParseHashProfile: the whole input as a profile name.
	std::string_view name(reinterpret_cast<const char *>(data), size);
	HashProfile profile = static_cast<HashProfile>(0xff);
	bool parsed = exp_assign::ParseHashProfile(name, &profile);
	bool known = name == "mmh3" || name == "optimizely" || name == "unleash";
	HashProfile want_profile = name == "optimizely" ? HashProfile::kOptimizely
							   : name == "unleash"  ? HashProfile::kUnleash
													: HashProfile::kMmh3;
	if (parsed != known || (parsed && profile != want_profile))
		fuzz::Mismatch("ParseHashProfile accepted or refused the wrong name");
	return 0;
}
