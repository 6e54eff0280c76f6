// The unit test binary's own main: GoogleTest's flags first, then
// --vectors=PATH, the bucket vector file the Mmh3Vectors test checks, and
// --profile-vectors=DIR, the directory of the profiles' vector files.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "table.hpp"
#include "vectors.hpp"

namespace {

constexpr std::string_view kVectorsFlag = "--vectors=";
constexpr std::string_view kProfileVectorsFlag = "--profile-vectors=";

// Whether arg asks for help; GoogleTest prints its own and leaves it in argv.
bool IsHelpFlag(std::string_view arg)
{
	return arg == "--help" || arg == "-h" || arg == "-?" || arg == "/?";
}

// test/run-all's self-test: with EXP_ASSIGN_BREAK set, one test fails on
// purpose, so the runner must count a failed unit test.
class BrokenOnPurpose : public testing::Test {
public:
	void TestBody() override { FAIL() << "broken on purpose: EXP_ASSIGN_BREAK"; }
};

}  // namespace

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	for (int i = 1; i < argc; i++) {
		std::string_view arg = argv[i];
		if (arg.substr(0, kVectorsFlag.size()) == kVectorsFlag) {
			exp_assign::unit::SetVectorsPath(std::string(arg.substr(kVectorsFlag.size())));
		} else if (arg.substr(0, kProfileVectorsFlag.size()) == kProfileVectorsFlag) {
			exp_assign::unit::SetProfileVectorsDir(std::string(arg.substr(kProfileVectorsFlag.size())));
		} else if (IsHelpFlag(arg)) {
			std::printf("\nexp_assign unit tests:\n  --vectors=PATH\n"
						"      the bucket vector file (../shared/vectors/mmh3_buckets.tsv)\n"
						"  --profile-vectors=DIR\n"
						"      the profiles' vector files (test/unit/vectors)\n\n");
		} else {
			std::fprintf(
				stderr,
				"%s: unknown argument \"%s\"; usage: %s [gtest flags] --vectors=PATH --profile-vectors=DIR\n",
				argv[0], argv[i], argv[0]);
			return 2;
		}
	}
	if (std::getenv("EXP_ASSIGN_BREAK") != nullptr)
		testing::RegisterTest("SelfTest", "BrokenOnPurpose", nullptr, nullptr, __FILE__, __LINE__,
							  []() -> testing::Test * { return new BrokenOnPurpose; });
	return RUN_ALL_TESTS();
}
