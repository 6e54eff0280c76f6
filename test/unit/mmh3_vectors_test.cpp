// The bit-exact rule (DESIGN.md section 3) against every row of the vector
// file computed by an independent implementation.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/bucket.hpp"
#include "vectors.hpp"

namespace exp_assign {
namespace {

using unit::VectorRow;

constexpr size_t kMinimumRows = 2000;
constexpr size_t kReportedMismatches = 5;

TEST(Mmh3Vectors, EveryRowMatchesBucketOf)
{
	const std::string &path = unit::VectorsPath();
	ASSERT_FALSE(path.empty()) << "no vector file: run with --vectors=PATH";
	std::string text;
	std::string error;
	ASSERT_TRUE(unit::ReadFileBytes(path, &text, &error)) << error;
	std::vector<VectorRow> rows;
	ASSERT_TRUE(unit::ParseVectors(text, &rows, &error)) << path << ": " << error;

	size_t data_lines = unit::CountDataLines(text);
	ASSERT_GT(data_lines, kMinimumRows) << path;
	ASSERT_EQ(rows.size(), data_lines) << path << ": rows parsed vs data lines";

	std::vector<char> scratch;
	size_t mismatches = 0;
	std::ostringstream first;
	for (const VectorRow &row : rows) {
		size_t key_len = BucketKeyLength(row.user.size(), row.seed.size());
		scratch.assign(key_len, '\0');
		uint32_t bucket = BucketOf(HashProfile::kMmh3, row.user, row.seed, scratch.data());
		bool hash_ok = !row.has_hash || Murmur3(scratch.data(), key_len) == row.hash;
		if (bucket == row.bucket && hash_ok)
			continue;
		if (++mismatches <= kReportedMismatches) {
			first << "  line " << row.line << ": user \"" << unit::Printable(row.user) << "\" seed \""
				  << unit::Printable(row.seed) << "\": expected bucket " << row.bucket << ", got " << bucket;
			if (!hash_ok)
				first << "; expected hash " << row.hash << ", got " << Murmur3(scratch.data(), key_len);
			first << "\n";
		}
	}
	EXPECT_EQ(mismatches, 0u) << mismatches << " of " << rows.size() << " rows of " << path
							  << " differ; the first:\n"
							  << first.str();
}

}  // namespace
}  // namespace exp_assign
