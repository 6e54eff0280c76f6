#include "vectors.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <utility>

namespace exp_assign::unit {

namespace {

std::string g_vectors_path;

// Splits line on every tab; a line without tabs is one field.
std::vector<std::string_view> SplitTabs(std::string_view line)
{
	std::vector<std::string_view> fields;
	size_t start = 0;
	for (;;) {
		size_t tab = line.find('\t', start);
		if (tab == std::string_view::npos) {
			fields.push_back(line.substr(start));
			return fields;
		}
		fields.push_back(line.substr(start, tab - start));
		start = tab + 1;
	}
}

// Parses a field made only of decimal digits that fits in uint32_t.
bool ParseUint32(std::string_view field, uint32_t *out)
{
	if (field.empty())
		return false;
	const char *end = field.data() + field.size();
	auto [ptr, ec] = std::from_chars(field.data(), end, *out);
	return ec == std::errc() && ptr == end;
}

}  // namespace

const std::string &VectorsPath()
{
	return g_vectors_path;
}

void SetVectorsPath(std::string path)
{
	g_vectors_path = std::move(path);
}

bool ReadFileBytes(const std::string &path, std::string *out, std::string *error)
{
	std::FILE *file = std::fopen(path.c_str(), "rb");
	if (file == nullptr) {
		*error = "cannot open " + path + ": " + std::strerror(errno);
		return false;
	}
	out->clear();
	char buf[65536];
	size_t got;
	while ((got = std::fread(buf, 1, sizeof buf, file)) > 0)
		out->append(buf, got);
	bool failed = std::ferror(file) != 0;
	int saved_errno = errno;
	std::fclose(file);
	if (failed) {
		*error = "cannot read " + path + ": " + std::strerror(saved_errno);
		return false;
	}
	return true;
}

size_t CountDataLines(std::string_view text)
{
	size_t lines = 0;
	for (char c : text)
		lines += c == '\n';
	if (!text.empty() && text.back() != '\n')
		lines++;
	return lines == 0 ? 0 : lines - 1;
}

bool ParseVectors(std::string_view text, std::vector<VectorRow> *rows, std::string *error)
{
	rows->clear();
	size_t header_end = text.find('\n');
	if (text.empty() || header_end == 0) {
		*error = "line 1: no header";
		return false;
	}
	std::vector<std::string_view> header = SplitTabs(text.substr(0, header_end));
	constexpr size_t kAbsent = static_cast<size_t>(-1);
	size_t user_col = kAbsent, seed_col = kAbsent, bucket_col = kAbsent, hash_col = kAbsent;
	for (size_t i = 0; i < header.size(); i++) {
		size_t *col = nullptr;
		if (header[i] == "user_id")
			col = &user_col;
		else if (header[i] == "seed")
			col = &seed_col;
		else if (header[i] == "bucket")
			col = &bucket_col;
		else if (header[i] == "hash")
			col = &hash_col;
		if (col == nullptr)
			continue;
		if (*col != kAbsent) {
			*error = "line 1: column " + std::string(header[i]) + " appears twice";
			return false;
		}
		*col = i;
	}
	if (user_col == kAbsent || seed_col == kAbsent || bucket_col == kAbsent) {
		*error = "line 1: the header must name user_id, seed and bucket";
		return false;
	}

	size_t line_no = 1;
	size_t start = header_end == std::string_view::npos ? text.size() : header_end + 1;
	while (start < text.size()) {
		line_no++;
		size_t end = text.find('\n', start);
		if (end == std::string_view::npos)
			end = text.size();
		std::string_view line = text.substr(start, end - start);
		start = end + 1;

		std::vector<std::string_view> fields = SplitTabs(line);
		std::string where = "line " + std::to_string(line_no) + ": ";
		if (fields.size() != header.size()) {
			*error = where + std::to_string(fields.size()) + " fields, the header has " +
					 std::to_string(header.size());
			return false;
		}
		VectorRow row;
		row.line = line_no;
		row.user = std::string(fields[user_col]);
		row.seed = std::string(fields[seed_col]);
		if (!ParseUint32(fields[bucket_col], &row.bucket)) {
			*error = where + "bucket \"" + Printable(fields[bucket_col]) + "\" is not a decimal number";
			return false;
		}
		if (hash_col != kAbsent) {
			row.has_hash = true;
			if (!ParseUint32(fields[hash_col], &row.hash)) {
				*error = where + "hash \"" + Printable(fields[hash_col]) + "\" is not a decimal number";
				return false;
			}
		}
		rows->push_back(std::move(row));
	}
	return true;
}

std::string Printable(std::string_view field)
{
	constexpr size_t kMaxBytes = 60;
	std::string out;
	for (size_t i = 0; i < field.size() && i < kMaxBytes; i++) {
		unsigned char c = static_cast<unsigned char>(field[i]);
		if (c < 0x20 || c == 0x7f || c == '\\') {
			char buf[8];
			std::snprintf(buf, sizeof buf, "\\x%02x", c);
			out += buf;
		} else {
			out += static_cast<char>(c);
		}
	}
	if (field.size() > kMaxBytes)
		out += "... (" + std::to_string(field.size()) + " bytes)";
	return out;
}

}  // namespace exp_assign::unit
