#include "core/json.hpp"

#include <cstdio>

#include "core/core_only.hpp"

namespace exp_assign {

void JsonWriter::Separate()
{
	if (need_comma_)
		out_ += ',';
	need_comma_ = true;
}

JsonWriter &JsonWriter::BeginObject()
{
	Separate();
	out_ += '{';
	need_comma_ = false;
	return *this;
}

JsonWriter &JsonWriter::EndObject()
{
	out_ += '}';
	need_comma_ = true;
	return *this;
}

JsonWriter &JsonWriter::BeginArray()
{
	Separate();
	out_ += '[';
	need_comma_ = false;
	return *this;
}

JsonWriter &JsonWriter::EndArray()
{
	out_ += ']';
	need_comma_ = true;
	return *this;
}

JsonWriter &JsonWriter::Key(std::string_view key)
{
	String(key);
	out_ += ':';
	need_comma_ = false;
	return *this;
}

JsonWriter &JsonWriter::String(std::string_view value)
{
	Separate();
	AppendJsonString(&out_, value);
	return *this;
}

void AppendJsonString(std::string *out, std::string_view value)
{
	*out += '"';
	for (unsigned char c : value) {
		switch (c) {
		case '"':
			*out += "\\\"";
			break;
		case '\\':
			*out += "\\\\";
			break;
		case '\n':
			*out += "\\n";
			break;
		case '\r':
			*out += "\\r";
			break;
		case '\t':
			*out += "\\t";
			break;
		case '\b':
			*out += "\\b";
			break;
		case '\f':
			*out += "\\f";
			break;
		default:
			if (c < 0x20) {
				char buf[8];
				std::snprintf(buf, sizeof buf, "\\u%04x", c);
				*out += buf;
			} else {
				// UTF-8 passes through: JSON text is UTF-8.
				*out += static_cast<char>(c);
			}
		}
	}
	*out += '"';
}

JsonWriter &JsonWriter::Int(int64_t value)
{
	Separate();
	out_ += std::to_string(value);
	return *this;
}

JsonWriter &JsonWriter::Bool(bool value)
{
	Separate();
	out_ += value ? "true" : "false";
	return *this;
}

JsonWriter &JsonWriter::Null()
{
	Separate();
	out_ += "null";
	return *this;
}

JsonWriter &JsonWriter::RawNumber(std::string_view digits)
{
	Separate();
	out_ += digits;
	return *this;
}

std::string BasisPointsToPercent(int64_t basis_points)
{
	bool negative = basis_points < 0;
	uint64_t magnitude =
		negative ? 0 - static_cast<uint64_t>(basis_points) : static_cast<uint64_t>(basis_points);
	char buf[32];
	std::snprintf(buf, sizeof buf, "%s%llu.%02llu", negative ? "-" : "",
				  static_cast<unsigned long long>(magnitude / 100),
				  static_cast<unsigned long long>(magnitude % 100));
	return buf;
}

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

}  // namespace exp_assign
