// Redis Cluster's hash tag rule, for the tests of the cluster key layout
// (unit tests and the redis_value fuzz target): the bytes between the first
// '{' and the first '}' after it, when that is not empty; otherwise the
// whole key.
#pragma once

#include <string>

namespace exp_assign::test_support {

inline std::string HashTag(const std::string &key)
{
	size_t open = key.find('{');
	if (open == std::string::npos)
		return key;
	size_t close = key.find('}', open + 1);
	if (close == std::string::npos || close == open + 1)
		return key;
	return key.substr(open + 1, close - open - 1);
}

}  // namespace exp_assign::test_support
