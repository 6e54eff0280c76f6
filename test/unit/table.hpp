// Reading the profile vector files of test/unit/vectors/: '#' comment lines
// (the source repository, path and commit), a tab-separated header, rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace exp_assign::unit {

// One data row; line is 1-based over the whole file, comments included.
struct TableRow {
	size_t line = 0;
	std::vector<std::string> fields;
};

struct Table {
	std::string path;
	std::vector<std::string> columns;
	std::vector<TableRow> rows;

	// Index of a column; ParseTable already checked that it exists.
	size_t Column(std::string_view name) const;
	// Where a row is, for failure messages: "path:line".
	std::string Where(const TableRow &row) const;
};

// The directory given by --profile-vectors=DIR; empty when it was not given.
const std::string &ProfileVectorsDir();
void SetProfileVectorsDir(std::string dir);

// Parses text: leading '#' lines, then a header that must name every one of
// required (in any order), then rows of exactly as many fields. Fields are
// raw UTF-8 bytes, no quoting. False with a message naming the line.
bool ParseTable(std::string_view text, const std::vector<std::string> &required, Table *table,
				std::string *error);

// Reads ProfileVectorsDir()/name and parses it; false with a message when the
// directory was not given, the file is missing or malformed, or it has no rows.
bool LoadTable(const std::string &name, const std::vector<std::string> &required, Table *table,
			   std::string *error);

// Whether s holds a byte >= 0x80 (a non-ASCII UTF-8 sequence).
bool HasNonAscii(std::string_view s);

}  // namespace exp_assign::unit
