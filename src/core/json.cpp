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

}  // namespace exp_assign
