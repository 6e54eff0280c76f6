// The vector file reader: a reader that drops or mangles rows would let the
// Mmh3Vectors test pass on less than the whole file.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "vectors.hpp"

namespace exp_assign::unit {
namespace {

TEST(VectorReader, CountsDataLinesFromNewlines)
{
	EXPECT_EQ(CountDataLines(""), 0u);
	EXPECT_EQ(CountDataLines("user_id\tseed\tbucket"), 0u);
	EXPECT_EQ(CountDataLines("user_id\tseed\tbucket\n"), 0u);
	EXPECT_EQ(CountDataLines("h\na\tb\t1\n"), 1u);
	EXPECT_EQ(CountDataLines("h\na\tb\t1\nc\td\t2\n"), 2u);
	EXPECT_EQ(CountDataLines("h\na\tb\t1\nc\td\t2"), 2u);  // no final newline
	EXPECT_EQ(CountDataLines("h\n\n"), 1u);  // a blank line counts
}

TEST(VectorReader, KeepsFieldsAsRawBytes)
{
	std::string text = "user_id\tseed\tbucket\n"
					   "\t\t7430\n"
					   " \t \t4192\n"
					   "a:b\tc\t8997\n"
					   "\xc3\xbc\xe7\x94\xa8\t\xe7\xa8\xae\t0\n"
					   "a\\tb\t\"q\"\t9999";  // backslash and quotes are plain bytes
	std::vector<VectorRow> rows;
	std::string error;
	ASSERT_TRUE(ParseVectors(text, &rows, &error)) << error;
	ASSERT_EQ(rows.size(), 5u);
	EXPECT_EQ(rows[0].user, "");
	EXPECT_EQ(rows[0].seed, "");
	EXPECT_EQ(rows[0].bucket, 7430u);
	EXPECT_EQ(rows[0].line, 2u);
	EXPECT_EQ(rows[1].user, " ");
	EXPECT_EQ(rows[1].seed, " ");
	EXPECT_EQ(rows[2].user, "a:b");
	EXPECT_EQ(rows[2].seed, "c");
	EXPECT_EQ(rows[3].user, "\xc3\xbc\xe7\x94\xa8");
	EXPECT_EQ(rows[3].seed, "\xe7\xa8\xae");
	EXPECT_EQ(rows[3].bucket, 0u);
	EXPECT_EQ(rows[4].user, "a\\tb");
	EXPECT_EQ(rows[4].seed, "\"q\"");
	EXPECT_EQ(rows[4].bucket, 9999u);
	EXPECT_EQ(rows[4].line, 6u);
	EXPECT_FALSE(rows[4].has_hash);
}

TEST(VectorReader, FindsColumnsByHeaderName)
{
	std::vector<VectorRow> rows;
	std::string error;
	ASSERT_TRUE(ParseVectors("hash\tbucket\tseed\tuser_id\n613153351\t3351\ts\tu\n", &rows, &error)) << error;
	ASSERT_EQ(rows.size(), 1u);
	EXPECT_EQ(rows[0].user, "u");
	EXPECT_EQ(rows[0].seed, "s");
	EXPECT_EQ(rows[0].bucket, 3351u);
	EXPECT_TRUE(rows[0].has_hash);
	EXPECT_EQ(rows[0].hash, 613153351u);
}

// Whether text is rejected, with error naming where.
void ExpectRejected(const std::string &text, const std::string &where)
{
	std::vector<VectorRow> rows;
	std::string error;
	EXPECT_FALSE(ParseVectors(text, &rows, &error)) << "accepted: " << text;
	EXPECT_NE(error.find(where), std::string::npos) << "error \"" << error << "\" lacks " << where;
}

TEST(VectorReader, RejectsMalformedText)
{
	ExpectRejected("", "line 1");
	ExpectRejected("\nu\ts\t1\n", "line 1");
	ExpectRejected("user_id\tseed\n", "line 1");  // no bucket column
	ExpectRejected("user_id\tseed\tbucket\tseed\n", "line 1");  // seed twice
	ExpectRejected("user_id\tseed\tbucket\nu\ts\n", "line 2");  // too few fields
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t1\t2\n", "line 2");  // too many
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t1\n\nv\ts\t2\n", "line 3");  // blank line
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t\n", "line 2");  // empty bucket
	ExpectRejected("user_id\tseed\tbucket\nu\ts\tx1\n", "line 2");
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t1x\n", "line 2");
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t-1\n", "line 2");
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t1\r\n", "line 2");  // CRLF
	ExpectRejected("user_id\tseed\tbucket\nu\ts\t4294967296\n", "line 2");
	ExpectRejected("user_id\tseed\tbucket\thash\nu\ts\t1\tz\n", "line 2");
}

TEST(VectorReader, ReportsAMissingFile)
{
	std::string text;
	std::string error;
	EXPECT_FALSE(ReadFileBytes("/nonexistent/mmh3_buckets.tsv", &text, &error));
	EXPECT_NE(error.find("/nonexistent/mmh3_buckets.tsv"), std::string::npos) << error;
}

TEST(VectorReader, ReportsAnUnreadableFile)
{
	std::string text;
	std::string error;
	EXPECT_FALSE(ReadFileBytes("/", &text, &error));  // a directory opens but cannot be read
	EXPECT_FALSE(error.empty());
}

TEST(VectorReader, ReadsEveryByte)
{
	std::string path = testing::TempDir() + "exp_assign_unit_read_test.tsv";
	std::string written("h\n\0\xff\t", 5);
	written.append(100000, 'x');  // longer than one read
	std::FILE *file = std::fopen(path.c_str(), "wb");
	ASSERT_NE(file, nullptr) << path;
	ASSERT_EQ(std::fwrite(written.data(), 1, written.size(), file), written.size());
	ASSERT_EQ(std::fclose(file), 0);

	std::string text;
	std::string error;
	EXPECT_TRUE(ReadFileBytes(path, &text, &error)) << error;
	EXPECT_EQ(text, written);
	std::remove(path.c_str());
}

}  // namespace
}  // namespace exp_assign::unit
