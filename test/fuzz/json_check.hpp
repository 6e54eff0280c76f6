// A small strict JSON reader for the fuzz targets, written from RFC 8259 and
// independent of src/core/json.cpp, so that what the writer produces is
// checked by code that shares nothing with it. Shared by the json and
// redis_value targets.
//
// Strict on purpose: no whitespace between tokens (the writer emits none),
// no raw byte below 0x20 inside a string, only the escapes \" \\ \/ \b \f
// \n \r \t \uXXXX (surrogates must pair), numbers only in RFC 8259's
// grammar, one value and nothing after it. Bytes from 0x20 up, 0x7f and
// 0x80-0xff included, are taken as they are: the writer passes them through
// and the targets compare bytes, not code points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace json_check {

struct Value {
	enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };
	Kind kind = kNull;
	bool boolean = false;
	std::string text;  // kNumber: the number as written; kString: the decoded bytes
	std::vector<std::string> keys;  // kObject: member names (decoded), in order
	std::vector<Value> items;  // kArray: elements; kObject: member values, in order
};

class Reader {
public:
	explicit Reader(std::string_view text)
		: text_(text)
	{}

	// Reads one whole document; false (and Error() says where) when the text
	// is not exactly one JSON value.
	bool Document(Value *out)
	{
		if (!ReadValue(out, 0))
			return false;
		if (pos_ != text_.size())
			return Fail("text after the value");
		return true;
	}

	// Reads a text that must be exactly one string literal.
	bool StringDocument(std::string *out)
	{
		if (!ReadString(out))
			return false;
		if (pos_ != text_.size())
			return Fail("text after the string");
		return true;
	}

	const std::string &Error() const { return error_; }

private:
	static constexpr int kMaxDepth = 256;

	bool Fail(const char *what)
	{
		error_ = std::string(what) + " at offset " + std::to_string(pos_);
		return false;
	}

	bool AtEnd() const { return pos_ >= text_.size(); }
	unsigned char Peek() const { return static_cast<unsigned char>(text_[pos_]); }

	bool Literal(std::string_view word)
	{
		if (text_.substr(pos_, word.size()) != word)
			return Fail("bad literal");
		pos_ += word.size();
		return true;
	}

	bool ReadValue(Value *out, int depth)
	{
		if (depth > kMaxDepth)
			return Fail("too deep");
		if (AtEnd())
			return Fail("value expected, end of text");
		unsigned char c = Peek();
		switch (c) {
		case 'n':
			out->kind = Value::kNull;
			return Literal("null");
		case 't':
			out->kind = Value::kBool;
			out->boolean = true;
			return Literal("true");
		case 'f':
			out->kind = Value::kBool;
			out->boolean = false;
			return Literal("false");
		case '"':
			out->kind = Value::kString;
			return ReadString(&out->text);
		case '[':
			out->kind = Value::kArray;
			return ReadArray(out, depth);
		case '{':
			out->kind = Value::kObject;
			return ReadObject(out, depth);
		default:
			if (c == '-' || (c >= '0' && c <= '9')) {
				out->kind = Value::kNumber;
				return ReadNumber(&out->text);
			}
			return Fail("unexpected byte");
		}
	}

	bool ReadArray(Value *out, int depth)
	{
		pos_++;  // '['
		if (!AtEnd() && Peek() == ']') {
			pos_++;
			return true;
		}
		for (;;) {
			out->items.emplace_back();
			if (!ReadValue(&out->items.back(), depth + 1))
				return false;
			if (AtEnd())
				return Fail("array not closed");
			if (Peek() == ',') {
				pos_++;
				continue;
			}
			if (Peek() == ']') {
				pos_++;
				return true;
			}
			return Fail("',' or ']' expected");
		}
	}

	bool ReadObject(Value *out, int depth)
	{
		pos_++;  // '{'
		if (!AtEnd() && Peek() == '}') {
			pos_++;
			return true;
		}
		for (;;) {
			if (AtEnd() || Peek() != '"')
				return Fail("member name expected");
			out->keys.emplace_back();
			if (!ReadString(&out->keys.back()))
				return false;
			if (AtEnd() || Peek() != ':')
				return Fail("':' expected");
			pos_++;
			out->items.emplace_back();
			if (!ReadValue(&out->items.back(), depth + 1))
				return false;
			if (AtEnd())
				return Fail("object not closed");
			if (Peek() == ',') {
				pos_++;
				continue;
			}
			if (Peek() == '}') {
				pos_++;
				return true;
			}
			return Fail("',' or '}' expected");
		}
	}

	// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
	bool ReadNumber(std::string *out)
	{
		size_t start = pos_;
		auto digit = [this] { return !AtEnd() && Peek() >= '0' && Peek() <= '9'; };
		if (Peek() == '-')
			pos_++;
		if (!digit())
			return Fail("digit expected");
		if (Peek() == '0') {
			pos_++;
		} else {
			while (digit())
				pos_++;
		}
		if (!AtEnd() && Peek() == '.') {
			pos_++;
			if (!digit())
				return Fail("digit expected after '.'");
			while (digit())
				pos_++;
		}
		if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
			pos_++;
			if (!AtEnd() && (Peek() == '+' || Peek() == '-'))
				pos_++;
			if (!digit())
				return Fail("digit expected in exponent");
			while (digit())
				pos_++;
		}
		out->assign(text_.substr(start, pos_ - start));
		return true;
	}

	bool Hex4(uint32_t *out)
	{
		if (text_.size() - pos_ < 4)
			return Fail("\\u needs four hex digits");
		uint32_t v = 0;
		for (int i = 0; i < 4; i++) {
			unsigned char h = Peek();
			v <<= 4;
			if (h >= '0' && h <= '9')
				v |= h - '0';
			else if (h >= 'a' && h <= 'f')
				v |= h - 'a' + 10;
			else if (h >= 'A' && h <= 'F')
				v |= h - 'A' + 10;
			else
				return Fail("bad hex digit");
			pos_++;
		}
		*out = v;
		return true;
	}

	static void AppendUtf8(std::string *out, uint32_t cp)
	{
		if (cp < 0x80) {
			*out += static_cast<char>(cp);
		} else if (cp < 0x800) {
			*out += static_cast<char>(0xc0 | (cp >> 6));
			*out += static_cast<char>(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*out += static_cast<char>(0xe0 | (cp >> 12));
			*out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
			*out += static_cast<char>(0x80 | (cp & 0x3f));
		} else {
			*out += static_cast<char>(0xf0 | (cp >> 18));
			*out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
			*out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
			*out += static_cast<char>(0x80 | (cp & 0x3f));
		}
	}

	bool ReadString(std::string *out)
	{
		if (AtEnd() || Peek() != '"')
			return Fail("'\"' expected");
		pos_++;
		for (;;) {
			if (AtEnd())
				return Fail("string not closed");
			unsigned char c = Peek();
			pos_++;
			if (c == '"')
				return true;
			if (c < 0x20)
				return Fail("raw control byte in a string");
			if (c != '\\') {
				*out += static_cast<char>(c);
				continue;
			}
			if (AtEnd())
				return Fail("escape not finished");
			unsigned char e = Peek();
			pos_++;
			switch (e) {
			case '"':
				*out += '"';
				break;
			case '\\':
				*out += '\\';
				break;
			case '/':
				*out += '/';
				break;
			case 'b':
				*out += '\b';
				break;
			case 'f':
				*out += '\f';
				break;
			case 'n':
				*out += '\n';
				break;
			case 'r':
				*out += '\r';
				break;
			case 't':
				*out += '\t';
				break;
			case 'u': {
				uint32_t cp;
				if (!Hex4(&cp))
					return false;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return Fail("lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t low;
					if (text_.substr(pos_, 2) != "\\u")
						return Fail("high surrogate without its pair");
					pos_ += 2;
					if (!Hex4(&low))
						return false;
					if (low < 0xdc00 || low > 0xdfff)
						return Fail("high surrogate without its pair");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				}
				AppendUtf8(out, cp);
				break;
			}
			default:
				return Fail("unknown escape");
			}
		}
	}

	std::string_view text_;
	size_t pos_ = 0;
	std::string error_;
};

// Printable form of bytes for failure messages: C escapes for anything not
// printable ASCII.
inline std::string Show(std::string_view bytes)
{
	static const char kHex[] = "0123456789abcdef";
	std::string out = "\"";
	for (unsigned char c : bytes) {
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out += static_cast<char>(c);
		} else {
			out += "\\x";
			out += kHex[c >> 4];
			out += kHex[c & 0xf];
		}
	}
	out += '"';
	return out;
}

}  // namespace json_check
