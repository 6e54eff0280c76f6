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

}  // namespace exp_assign
