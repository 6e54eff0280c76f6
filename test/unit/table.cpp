#include "table.hpp"

#include <utility>

#include "vectors.hpp"

namespace exp_assign::unit {

namespace {

std::string g_profile_vectors_dir;

std::vector<std::string> SplitTabs(std::string_view line)
{
	std::vector<std::string> fields;
	size_t start = 0;
	for (;;) {
		size_t tab = line.find('\t', start);
		if (tab == std::string_view::npos) {
			fields.emplace_back(line.substr(start));
			return fields;
		}
		fields.emplace_back(line.substr(start, tab - start));
		start = tab + 1;
	}
}

}  // namespace

size_t Table::Column(std::string_view name) const
{
	for (size_t i = 0; i < columns.size(); i++)
		if (columns[i] == name)
			return i;
	return columns.size();
}

std::string Table::Where(const TableRow &row) const
{
	return path + ":" + std::to_string(row.line);
}

const std::string &ProfileVectorsDir()
{
	return g_profile_vectors_dir;
}

void SetProfileVectorsDir(std::string dir)
{
	g_profile_vectors_dir = std::move(dir);
}

bool ParseTable(std::string_view text, const std::vector<std::string> &required, Table *table,
				std::string *error)
{
	table->columns.clear();
	table->rows.clear();
	size_t line_no = 0;
	size_t start = 0;
	bool have_header = false;
	while (start < text.size()) {
		line_no++;
		size_t end = text.find('\n', start);
		if (end == std::string_view::npos)
			end = text.size();
		std::string_view line = text.substr(start, end - start);
		start = end + 1;
		std::string where = "line " + std::to_string(line_no) + ": ";

		if (!have_header) {
			if (!line.empty() && line[0] == '#')
				continue;
			table->columns = SplitTabs(line);
			for (const std::string &name : required) {
				if (table->Column(name) == table->columns.size()) {
					*error = where + "the header has no column " + name;
					return false;
				}
			}
			have_header = true;
			continue;
		}
		TableRow row;
		row.line = line_no;
		row.fields = SplitTabs(line);
		if (row.fields.size() != table->columns.size()) {
			*error = where + std::to_string(row.fields.size()) + " fields, the header has " +
					 std::to_string(table->columns.size());
			return false;
		}
		table->rows.push_back(std::move(row));
	}
	if (!have_header) {
		*error = "no header line";
		return false;
	}
	return true;
}

bool LoadTable(const std::string &name, const std::vector<std::string> &required, Table *table,
			   std::string *error)
{
	if (ProfileVectorsDir().empty()) {
		*error = "no profile vector directory: run with --profile-vectors=DIR (test/unit/vectors)";
		return false;
	}
	table->path = ProfileVectorsDir() + "/" + name;
	std::string text;
	if (!ReadFileBytes(table->path, &text, error))
		return false;
	if (!ParseTable(text, required, table, error)) {
		*error = table->path + ": " + *error;
		return false;
	}
	if (table->rows.empty()) {
		*error = table->path + ": no data rows";
		return false;
	}
	return true;
}

bool HasNonAscii(std::string_view s)
{
	for (char c : s)
		if (static_cast<unsigned char>(c) >= 0x80)
			return true;
	return false;
}

}  // namespace exp_assign::unit
