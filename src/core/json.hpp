// A small JSON text writer for the values exp_assign produces (Redis values,
// explain documents). It allocates, so PostgreSQL glue calls it through
// CallCore (src/pg/guard.hpp), which turns std::bad_alloc into an ERROR.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace exp_assign {

class JsonWriter {
public:
	JsonWriter &BeginObject();
	JsonWriter &EndObject();
	JsonWriter &BeginArray();
	JsonWriter &EndArray();
	// Names the next value of the current object.
	JsonWriter &Key(std::string_view key);
	JsonWriter &String(std::string_view value);
	JsonWriter &Int(int64_t value);
	JsonWriter &Bool(bool value);
	JsonWriter &Null();
	// A number already in JSON syntax, e.g. "50.00" from a numeric column.
	JsonWriter &RawNumber(std::string_view digits);

	const std::string &Text() const { return out_; }

private:
	void Separate();

	std::string out_;
	bool need_comma_ = false;
};

// Appends value as a JSON string literal, quotes included, to out.
void AppendJsonString(std::string *out, std::string_view value);

// Basis points as a decimal percentage with two places: 5000 -> "50.00".
std::string BasisPointsToPercent(int64_t basis_points);

// A UTC instant as ISO 8601 with a Z, microseconds when not zero:
// 0 -> "1970-01-01T00:00:00Z", 1500000 -> "1970-01-01T00:00:01.500000Z".
// Years before 1 AD are astronomical with a sign and four digits (1 BC is
// "0000", 2 BC "-0001"); past 9999 they take the digits they need, as
// PostgreSQL prints them.
std::string IsoUtc(int64_t unix_micros);

// The same without the fraction: the second the instant falls in (towards
// the past, as to_char truncates), for every int64 value.
std::string IsoUtcWholeSecond(int64_t unix_micros);

}  // namespace exp_assign
