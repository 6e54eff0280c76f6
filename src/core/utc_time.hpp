// Instants as text, one conversion for every place that shows one: explain's
// document and the Redis value.
#pragma once

#include <cstdint>
#include <string>

namespace exp_assign {

// A stored instant is PostgreSQL's own TimestampTz value, taken as it is:
// microseconds since 2000-01-01 00:00 UTC, with 'infinity' and '-infinity'
// as INT64_MAX and INT64_MIN. Taking it unshifted is what keeps the last
// finite timestamps (up to 294276 AD) and the sentinels apart: shifted to
// the Unix epoch they would pass INT64_MAX.
constexpr int64_t kInfinityMicros = INT64_MAX;
constexpr int64_t kMinusInfinityMicros = INT64_MIN;
constexpr int64_t kPostgresEpochUnixSeconds = 946684800;  // 2000-01-01 00:00 UTC

// A UTC instant as ISO 8601 with a Z, microseconds when not zero:
// 0 -> "1970-01-01T00:00:00Z", 1500000 -> "1970-01-01T00:00:01.500000Z".
// Years before 1 AD are astronomical with a sign and four digits (1 BC is
// "0000", 2 BC "-0001"); past 9999 they take the digits they need, as
// PostgreSQL prints them.
std::string IsoUtc(int64_t unix_micros);

// The same without the fraction: the second the instant falls in (towards
// the past, as to_char truncates), for every int64 value.
std::string IsoUtcWholeSecond(int64_t unix_micros);

enum class Fraction { kMicroseconds, kWholeSecond };

// A stored instant (micros since 2000, above) as PostgreSQL's to_json shows
// it in UTC: "infinity" and "-infinity" for the sentinels, else as IsoUtc
// (kMicroseconds) or IsoUtcWholeSecond (kWholeSecond) would.
std::string InstantText(int64_t micros_since_2000, Fraction fraction);

}  // namespace exp_assign
