// The hash half of the rule: profiles, MurmurHash3_x86_32 and BucketOf.
// Expected values are Python's mmh3.hash(key, signed=False) (published
// MurmurHash3 values, cross-checked with an independent implementation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/bucket.hpp"

namespace exp_assign {
namespace {

// Murmur3 of the bytes of key.
uint32_t HashOf(std::string_view key)
{
	return Murmur3(key.data(), key.size());
}

// BucketOf with a scratch buffer of exactly the documented size.
uint32_t Bucket(std::string_view user, std::string_view seed)
{
	std::vector<char> scratch(BucketKeyLength(user.size(), seed.size()));
	return BucketOf(HashProfile::kMmh3, user, seed, scratch.data());
}

TEST(ParseHashProfile, AcceptsMmh3)
{
	HashProfile profile = static_cast<HashProfile>(0xff);  // not a profile
	ASSERT_TRUE(ParseHashProfile("mmh3", &profile));
	EXPECT_EQ(profile, HashProfile::kMmh3);
}

TEST(ParseHashProfile, RejectsUnknownNames)
{
	HashProfile profile = HashProfile::kMmh3;
	EXPECT_FALSE(ParseHashProfile("", &profile));
	EXPECT_FALSE(ParseHashProfile("MMH3", &profile));
	EXPECT_FALSE(ParseHashProfile("mmh3 ", &profile));
	EXPECT_FALSE(ParseHashProfile(" mmh3", &profile));
	EXPECT_FALSE(ParseHashProfile("mmh", &profile));
	EXPECT_FALSE(ParseHashProfile("murmur3", &profile));
	EXPECT_FALSE(ParseHashProfile(std::string_view("mmh3\0", 5), &profile));
}

TEST(BucketKeyLength, CountsUserColonSeed)
{
	static_assert(BucketKeyLength(0, 0) == 1, "usable in constant expressions");
	EXPECT_EQ(BucketKeyLength(0, 0), 1u);
	EXPECT_EQ(BucketKeyLength(6, 0), 7u);
	EXPECT_EQ(BucketKeyLength(0, 8), 9u);
	EXPECT_EQ(BucketKeyLength(6, 8), 15u);
	EXPECT_EQ(BucketKeyLength(1000, 64), 1065u);
}

TEST(Murmur3, KnownValues)
{
	EXPECT_EQ(HashOf(""), 0u);
	EXPECT_EQ(HashOf("foo"), 4138058784u);
	EXPECT_EQ(HashOf("hello"), 613153351u);
	EXPECT_EQ(HashOf("The quick brown fox jumps over the lazy dog"), 0x2e4ff723u);
}

TEST(Murmur3, EveryTailLength)
{
	// 1, 2, 3 tail bytes, one whole block, a block and a tail.
	EXPECT_EQ(HashOf("a"), 1009084850u);
	EXPECT_EQ(HashOf("ab"), 2613040991u);
	EXPECT_EQ(HashOf("abc"), 3017643002u);
	EXPECT_EQ(HashOf("abcd"), 1139631978u);
	EXPECT_EQ(HashOf("abcde"), 3902511862u);
}

TEST(Murmur3, HashesBytesNotCStrings)
{
	EXPECT_EQ(HashOf(std::string_view("\0", 1)), 1364076727u);
	EXPECT_EQ(HashOf("\xff\xfe\xfd:\x80"), 4110152936u);  // bytes >= 0x80 unsigned
}

TEST(Murmur3, IgnoresAlignment)
{
	alignas(8) char buf[16] = {};
	for (size_t offset = 0; offset < 4; offset++) {
		std::memcpy(buf + offset, "abcde", 5);
		EXPECT_EQ(Murmur3(buf + offset, 5), 3902511862u) << "offset " << offset;
	}
}

TEST(BucketOf, HashesUserColonSeedModTenThousand)
{
	EXPECT_EQ(Bucket("user_1", "seed_abc"), 4933u);  // 102604933 % 10000
	EXPECT_EQ(Bucket("42", "exp-42"), 9991u);  // 1664889991 % 10000
	EXPECT_EQ(Bucket("user_1", "seed_abc"), HashOf("user_1:seed_abc") % kBucketCount);
	EXPECT_EQ(kBucketCount, 10000u);
}

TEST(BucketOf, AcceptsEmptyUserAndSeed)
{
	EXPECT_EQ(Bucket("", ""), 7430u);  // ":"
	EXPECT_EQ(Bucket("", "s"), 4542u);  // ":s"
	EXPECT_EQ(Bucket("u", ""), 3243u);  // "u:"
	EXPECT_EQ(Bucket(" ", " "), 4192u);  // " : "
}

TEST(BucketOf, HashesUtf8BytesAsGiven)
{
	// "ünïcødé-用户" and "種", as in the vector file.
	EXPECT_EQ(Bucket("\xc3\xbcn\xc3\xaf"
					 "c\xc3\xb8"
					 "d\xc3\xa9-\xe7\x94\xa8\xe6\x88\xb7",
					 "\xe7\xa8\xae"),
			  2877u);
	EXPECT_EQ(Bucket("\xff\xfe\xfd", "\x80"), 2936u);  // not UTF-8: still just bytes
}

TEST(BucketOf, KeepsColonsInUserIds)
{
	// The key is user_id || ':' || seed with nothing escaped, so a colon in the
	// user id or seed lands in the hashed bytes as is.
	EXPECT_EQ(Bucket("a:b", "c"), 8997u);  // "a:b:c" -> 1815718997
	EXPECT_EQ(Bucket("a", "b:c"), 8997u);
	EXPECT_NE(Bucket("a:b", "c"), Bucket("ab", "c"));
}

TEST(BucketOf, HashesALongUserId)
{
	EXPECT_EQ(Bucket(std::string(1000, 'a'), "s"), 4775u);
}

TEST(BucketOf, WritesOnlyTheKeyIntoScratch)
{
	constexpr char kGuard = 0x5a;
	std::vector<char> scratch(32, kGuard);
	size_t key_len = BucketKeyLength(3, 2);
	uint32_t bucket = BucketOf(HashProfile::kMmh3, "abc", "de", scratch.data());
	EXPECT_EQ(std::string(scratch.data(), key_len), "abc:de");
	for (size_t i = key_len; i < scratch.size(); i++)
		EXPECT_EQ(scratch[i], kGuard) << "scratch[" << i << "] overwritten";
	EXPECT_EQ(bucket, HashOf("abc:de") % kBucketCount);
}

TEST(BucketOf, StaysBelowBucketCount)
{
	uint32_t max_seen = 0;
	for (int i = 0; i < 20000; i++) {
		uint32_t bucket = Bucket("user_" + std::to_string(i), "seed");
		ASSERT_LT(bucket, kBucketCount) << "user_" << i;
		max_seen = std::max(max_seen, bucket);
	}
	EXPECT_GT(max_seen, 9900u);  // the whole range is reached, not a fraction of it
}

}  // namespace
}  // namespace exp_assign
