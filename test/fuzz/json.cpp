// Fuzz target "json": the JSON writer of the explain document and the Redis
// values (src/core/json.cpp), read back by test/fuzz/json_check.hpp, a
// strict reader that shares no code with it.
//
// Checks:
// - AppendJsonString of the whole input (any bytes) appends exactly one
//   valid string literal, leaving what was in the buffer, and the literal
//   decodes to the input's bytes, byte for byte;
// - BasisPointsToPercent(x), x any int64 (the input's first 8 bytes), is a
//   JSON number of the form -?digits.dd that parsed back with integer
//   arithmetic gives x, INT64_MIN included; never "-0.00";
// - a JsonWriter document generated from the input (objects, arrays, keys,
//   strings, ints, bools, nulls and RawNumber, nested up to 12 deep,
//   always balanced) is one well-formed JSON value whose tree equals the
//   generated one: same kinds, member names and strings byte for byte, ints
//   equal to the int64 written.
// Why: clients parse these values (Redis readers, explain's jsonb); a
// missing escape or comma is a value nobody can read.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "check.hpp"
#include "core/json.hpp"
#include "json_check.hpp"

namespace {

using json_check::Show;
using json_check::Value;

constexpr int kMaxDepth = 12;

// Decimal text of v, written here rather than with the library.
std::string Decimal(int64_t v)
{
	uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
	std::string digits;
	do {
		digits.insert(digits.begin(), static_cast<char>('0' + magnitude % 10));
		magnitude /= 10;
	} while (magnitude != 0);
	return v < 0 ? "-" + digits : digits;
}

// Parses BasisPointsToPercent's form back to basis points; false when the
// text is not -?(0|[1-9][0-9]*)\.[0-9][0-9] or does not fit an int64.
bool ParsePercent(std::string_view text, int64_t *out)
{
	size_t i = 0;
	bool negative = i < text.size() && text[i] == '-';
	if (negative)
		i++;
	size_t int_start = i;
	unsigned __int128 magnitude = 0;
	while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
		magnitude = magnitude * 10 + static_cast<unsigned>(text[i] - '0');
		if (magnitude > (static_cast<unsigned __int128>(1) << 64))
			return false;
		i++;
	}
	size_t int_digits = i - int_start;
	if (int_digits == 0 || (int_digits > 1 && text[int_start] == '0'))
		return false;
	if (text.size() != i + 3 || text[i] != '.' || text[i + 1] < '0' || text[i + 1] > '9' ||
		text[i + 2] < '0' || text[i + 2] > '9')
		return false;
	magnitude = magnitude * 100 + static_cast<unsigned>(text[i + 1] - '0') * 10 +
				static_cast<unsigned>(text[i + 2] - '0');
	const unsigned __int128 limit = static_cast<unsigned __int128>(1) << 63;  // |INT64_MIN|
	if (negative) {
		if (magnitude == 0 || magnitude > limit)
			return false;  // "-0.00" is not how 0 is written
		*out = magnitude == limit ? INT64_MIN : -static_cast<int64_t>(magnitude);
	} else {
		if (magnitude >= limit)
			return false;
		*out = static_cast<int64_t>(magnitude);
	}
	return true;
}

void CheckPercent(int64_t x)
{
	std::string text = exp_assign::BasisPointsToPercent(x);
	int64_t back = 0;
	if (!ParsePercent(text, &back) || back != x)
		fuzz::Mismatch("BasisPointsToPercent(" + Decimal(x) + ") = " + Show(text) +
					   ", which does not read back as " + Decimal(x));
	Value number;
	json_check::Reader reader(text);
	if (!reader.Document(&number) || number.kind != Value::kNumber)
		fuzz::Mismatch("BasisPointsToPercent(" + Decimal(x) + ") = " + Show(text) +
					   " is not a JSON number: " + reader.Error());
}

// Writes a random value with w and records what it should read back as.
void Generate(FuzzedDataProvider &in, exp_assign::JsonWriter &w, Value *expect, int depth, int *budget)
{
	--*budget;
	int choice = in.ConsumeIntegralInRange(0, 7);
	if ((choice <= 1) && (depth >= kMaxDepth || *budget <= 0))
		choice = 5;  // null: nothing left to nest with
	switch (choice) {
	case 0: {
		expect->kind = Value::kObject;
		w.BeginObject();
		int members = in.ConsumeIntegralInRange(0, 4);
		for (int i = 0; i < members; i++) {
			expect->keys.push_back(in.ConsumeRandomLengthString(8));
			w.Key(expect->keys.back());
			expect->items.emplace_back();
			Generate(in, w, &expect->items.back(), depth + 1, budget);
		}
		w.EndObject();
		break;
	}
	case 1: {
		expect->kind = Value::kArray;
		w.BeginArray();
		int items = in.ConsumeIntegralInRange(0, 4);
		for (int i = 0; i < items; i++) {
			expect->items.emplace_back();
			Generate(in, w, &expect->items.back(), depth + 1, budget);
		}
		w.EndArray();
		break;
	}
	case 2:
		expect->kind = Value::kString;
		expect->text = in.ConsumeRandomLengthString(16);
		w.String(expect->text);
		break;
	case 3: {
		int64_t v = in.ConsumeIntegral<int64_t>();
		expect->kind = Value::kNumber;
		expect->text = Decimal(v);
		w.Int(v);
		break;
	}
	case 4:
		expect->kind = Value::kBool;
		expect->boolean = in.ConsumeBool();
		w.Bool(expect->boolean);
		break;
	case 5:
		expect->kind = Value::kNull;
		w.Null();
		break;
	case 6:
	case 7: {
		expect->kind = Value::kNumber;
		expect->text = exp_assign::BasisPointsToPercent(in.ConsumeIntegral<int64_t>());
		w.RawNumber(expect->text);
		break;
	}
	}
}

// Compares trees; path names the place for the message.
void CheckSame(const Value &want, const Value &got, const std::string &path)
{
	if (want.kind != got.kind)
		fuzz::Mismatch("at " + path + ": kind " + std::to_string(got.kind) + ", written " +
					   std::to_string(want.kind));
	if (want.boolean != got.boolean || want.text != got.text)
		fuzz::Mismatch("at " + path + ": read " + Show(got.text) + ", written " + Show(want.text));
	if (want.keys.size() != got.keys.size() || want.items.size() != got.items.size())
		fuzz::Mismatch("at " + path + ": " + std::to_string(got.items.size()) + " members, written " +
					   std::to_string(want.items.size()));
	for (size_t i = 0; i < want.keys.size(); i++) {
		if (want.keys[i] != got.keys[i])
			fuzz::Mismatch("at " + path + ": member name " + Show(got.keys[i]) + ", written " +
						   Show(want.keys[i]));
	}
	for (size_t i = 0; i < want.items.size(); i++)
		CheckSame(want.items[i], got.items[i], path + "/" + std::to_string(i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string_view bytes(reinterpret_cast<const char *>(data), size);

	// One string literal, appended.
	const std::string before = "kept|";
	std::string out = before;
	exp_assign::AppendJsonString(&out, bytes);
	if (out.compare(0, before.size(), before) != 0)
		fuzz::Mismatch("AppendJsonString changed what was in the buffer");
	std::string decoded;
	json_check::Reader literal(std::string_view(out).substr(before.size()));
	if (!literal.StringDocument(&decoded))
		fuzz::Mismatch("AppendJsonString(" + Show(bytes) + ") = " + Show(out.substr(before.size())) +
					   " is not a JSON string literal: " + literal.Error());
	if (decoded != bytes)
		fuzz::Mismatch("AppendJsonString(" + Show(bytes) + ") decodes to " + Show(decoded));

	// Basis points from the first 8 bytes (the edges: LLVMFuzzerInitialize).
	int64_t x = 0;
	if (size != 0)
		std::memcpy(&x, data, size < 8 ? size : 8);
	CheckPercent(x);

	// A document.
	FuzzedDataProvider in(data, size);
	exp_assign::JsonWriter w;
	Value expect;
	int budget = 200;
	Generate(in, w, &expect, 0, &budget);
	Value got;
	json_check::Reader reader(w.Text());
	if (!reader.Document(&got))
		fuzz::Mismatch("JsonWriter wrote " + Show(w.Text()) + ", not one JSON value: " + reader.Error());
	CheckSame(expect, got, "");
	return 0;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	for (int64_t x : {INT64_MIN, INT64_MIN + 1, int64_t{-10000}, int64_t{-100}, int64_t{-99}, int64_t{-1},
					  int64_t{0}, int64_t{1}, int64_t{5000}, INT64_MAX})
		CheckPercent(x);
	return 0;
}
