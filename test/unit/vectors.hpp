// Reading the bucket vector file (../shared/vectors/mmh3_buckets.tsv): rows of
// (user_id, seed, bucket) computed by an independent implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exp_assign::unit {

// One data row of the vector file; line is 1-based, the header being line 1.
struct VectorRow {
	size_t line = 0;
	std::string user;
	std::string seed;
	uint32_t bucket = 0;
	bool has_hash = false;  // the file has an optional "hash" column
	uint32_t hash = 0;
};

// The path given by --vectors=PATH; empty when it was not given.
const std::string &VectorsPath();
void SetVectorsPath(std::string path);

// Reads the whole file as bytes; false with a message naming the path on error.
bool ReadFileBytes(const std::string &path, std::string *out, std::string *error);

// Lines after the header, counted from newlines alone (a last line without
// one counts), so the parser's row count can be checked against it.
size_t CountDataLines(std::string_view text);

// Parses tab-separated text whose header names the columns user_id, seed,
// bucket and optionally hash, in any order. Fields are raw UTF-8 bytes: the
// file uses no quoting or escaping (no field holds a tab, newline or
// backslash). False with a message naming the line on any malformed line.
bool ParseVectors(std::string_view text, std::vector<VectorRow> *rows, std::string *error);

// A field as a readable, bounded snippet for failure messages.
std::string Printable(std::string_view field);

}  // namespace exp_assign::unit
