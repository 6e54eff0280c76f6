// Instants as text (core/utc_time.hpp): ISO 8601 for every int64, and the
// sentinels named, for explain and the Redis value alike.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/utc_time.hpp"

namespace exp_assign {
namespace {

TEST(IsoUtc, WholeSecondsHaveNoFraction)
{
	EXPECT_EQ(IsoUtc(0), "1970-01-01T00:00:00Z");
	EXPECT_EQ(IsoUtc(86400LL * 1000000), "1970-01-02T00:00:00Z");
	EXPECT_EQ(IsoUtc(1795507200LL * 1000000), "2026-11-24T08:00:00Z");
}

TEST(IsoUtc, MicrosecondsWhenNotZero)
{
	EXPECT_EQ(IsoUtc(1500000), "1970-01-01T00:00:01.500000Z");
	EXPECT_EQ(IsoUtc(1), "1970-01-01T00:00:00.000001Z");
	EXPECT_EQ(IsoUtc(999999), "1970-01-01T00:00:00.999999Z");
}

TEST(IsoUtc, CalendarEdges)
{
	EXPECT_EQ(IsoUtc(951868799LL * 1000000), "2000-02-29T23:59:59Z");  // leap century
	EXPECT_EQ(IsoUtc(4107542400LL * 1000000), "2100-03-01T00:00:00Z");  // 2100 is not leap
	EXPECT_EQ(IsoUtc(253402300799999999LL), "9999-12-31T23:59:59.999999Z");
}

TEST(IsoUtc, BeforeTheEpoch)
{
	// The code floors negative instants (PostgreSQL timestamps reach 4713 BC).
	EXPECT_EQ(IsoUtc(-1), "1969-12-31T23:59:59.999999Z");
	EXPECT_EQ(IsoUtc(-1500000), "1969-12-31T23:59:58.500000Z");
	EXPECT_EQ(IsoUtc(-86400LL * 1000000), "1969-12-31T00:00:00Z");
	EXPECT_EQ(IsoUtc(-2203845903999211LL), "1900-03-01T12:34:56.000789Z");
	EXPECT_EQ(IsoUtc(-62135596800LL * 1000000), "0001-01-01T00:00:00Z");
}

TEST(IsoUtc, YearsBeforeOneAdAreSignedAndFourDigits)
{
	// ISO 8601's astronomical years: 1 BC is 0000, 2 BC is -0001.
	EXPECT_EQ(IsoUtc(-62167219200LL * 1000000), "0000-01-01T00:00:00Z");
	EXPECT_EQ(IsoUtc(-62167219201LL * 1000000), "-0001-12-31T23:59:59Z");
	// PostgreSQL's lowest timestamp, 4714-11-24 00:00:00 BC.
	EXPECT_EQ(IsoUtc(-210866803200LL * 1000000), "-4713-11-24T00:00:00Z");
}

TEST(IsoUtc, EveryInt64HasAText)
{
	// Far outside PostgreSQL's range: no overflow on the way (the fuzz
	// target checks the whole range against gmtime_r).
	EXPECT_EQ(IsoUtc(INT64_MAX), "294247-01-10T04:00:54.775807Z");
	EXPECT_EQ(IsoUtc(INT64_MIN), "-290308-12-21T19:59:05.224192Z");
	EXPECT_EQ(IsoUtcWholeSecond(0), "1970-01-01T00:00:00Z");
}

TEST(InstantText, SentinelsAreNamedAtEitherPrecision)
{
	EXPECT_EQ(InstantText(kInfinityMicros, Fraction::kMicroseconds), "infinity");
	EXPECT_EQ(InstantText(kMinusInfinityMicros, Fraction::kMicroseconds), "-infinity");
	EXPECT_EQ(InstantText(kInfinityMicros, Fraction::kWholeSecond), "infinity");
	EXPECT_EQ(InstantText(kMinusInfinityMicros, Fraction::kWholeSecond), "-infinity");
}

TEST(InstantText, CountsFromPostgresEpoch)
{
	EXPECT_EQ(InstantText(0, Fraction::kMicroseconds), "2000-01-01T00:00:00Z");
	EXPECT_EQ(InstantText(1500000, Fraction::kMicroseconds), "2000-01-01T00:00:01.500000Z");
	EXPECT_EQ(InstantText(1500000, Fraction::kWholeSecond), "2000-01-01T00:00:01Z");
	EXPECT_EQ(InstantText(-1, Fraction::kMicroseconds), "1999-12-31T23:59:59.999999Z");
	// Agrees with IsoUtc wherever the Unix form fits.
	constexpr int64_t kShift = kPostgresEpochUnixSeconds * 1000000;
	for (int64_t unix_micros : {int64_t{0}, int64_t{1795507200123456}, int64_t{-2203845903999211},
								int64_t{-210866803200LL * 1000000}}) {
		EXPECT_EQ(InstantText(unix_micros - kShift, Fraction::kMicroseconds), IsoUtc(unix_micros));
		EXPECT_EQ(InstantText(unix_micros - kShift, Fraction::kWholeSecond), IsoUtcWholeSecond(unix_micros));
	}
}

TEST(InstantText, PostgresFiniteRangeEndsApartFromTheSentinels)
{
	// PostgreSQL's first and last finite timestamps: 4714-11-24 00:00 BC and
	// 294276-12-31 23:59:59.999999 (END_TIMESTAMP - 1); the last one shifted
	// to the Unix epoch would pass INT64_MAX.
	EXPECT_EQ(InstantText(-211813488000000000LL, Fraction::kMicroseconds), "-4713-11-24T00:00:00Z");
	EXPECT_EQ(InstantText(9223371331199999999LL, Fraction::kMicroseconds), "294276-12-31T23:59:59.999999Z");
	// One past each sentinel is an ordinary instant, not a sentinel.
	EXPECT_NE(InstantText(INT64_MAX - 1, Fraction::kMicroseconds), "infinity");
	EXPECT_NE(InstantText(INT64_MIN + 1, Fraction::kWholeSecond), "-infinity");
}

}  // namespace
}  // namespace exp_assign
