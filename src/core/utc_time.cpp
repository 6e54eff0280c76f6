#include "core/utc_time.hpp"

#include <cstdio>

#include "core/core_only.hpp"

namespace exp_assign {

namespace {

// floor(a / b) and the remainder that goes with it, 0 <= rem < b (b > 0).
int64_t FloorDiv(int64_t a, int64_t b, int64_t *rem)
{
	int64_t q = a / b;
	int64_t r = a % b;
	if (r < 0) {
		r += b;
		q -= 1;
	}
	*rem = r;
	return q;
}

std::string FormatUtc(int64_t unix_seconds, int64_t micros)
{
	int64_t second_of_day;
	int64_t days = FloorDiv(unix_seconds, 86400, &second_of_day);
	// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1;
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

	char buf[64];
	int n = std::snprintf(buf, sizeof buf, "%s%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", year < 0 ? "-" : "",
						  static_cast<long long>(year < 0 ? -year : year), static_cast<long long>(month),
						  static_cast<long long>(day), static_cast<long long>(second_of_day / 3600),
						  static_cast<long long>(second_of_day / 60 % 60),
						  static_cast<long long>(second_of_day % 60));
	if (micros != 0)
		std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros));
	else
		std::snprintf(buf + n, sizeof buf - n, "Z");
	return buf;
}

}  // namespace

std::string IsoUtc(int64_t unix_micros)
{
	int64_t micros;
	int64_t seconds = FloorDiv(unix_micros, 1000000, &micros);
	return FormatUtc(seconds, micros);
}

std::string IsoUtcWholeSecond(int64_t unix_micros)
{
	int64_t micros;
	return FormatUtc(FloorDiv(unix_micros, 1000000, &micros), 0);
}

std::string InstantText(int64_t micros_since_2000, Fraction fraction)
{
	if (micros_since_2000 == kInfinityMicros)
		return "infinity";
	if (micros_since_2000 == kMinusInfinityMicros)
		return "-infinity";
	int64_t micros;
	int64_t seconds = FloorDiv(micros_since_2000, 1000000, &micros) + kPostgresEpochUnixSeconds;
	return FormatUtc(seconds, fraction == Fraction::kMicroseconds ? micros : 0);
}

}  // namespace exp_assign
