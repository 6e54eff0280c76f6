// What every fuzz target does on a mismatch: say what differs, then trap,
// so libFuzzer stops, counts a crash and writes the input as an artifact.
#pragma once

#include <cstdio>
#include <string>

namespace fuzz {

[[noreturn]] inline void Mismatch(const std::string &what)
{
	std::fprintf(stderr, "\n==== oracle mismatch: %s\n", what.c_str());
	std::fflush(stderr);
	__builtin_trap();
}

}  // namespace fuzz
