// The push worker's back-off after failures (core/backoff.hpp).
#include <gtest/gtest.h>

#include "core/backoff.hpp"

namespace exp_assign {
namespace {

TEST(BackoffMs, DoublesFromOneHundredUpToTheCap)
{
	EXPECT_EQ(BackoffMs(0, 5000), 0);
	EXPECT_EQ(BackoffMs(1, 5000), 100);
	EXPECT_EQ(BackoffMs(2, 5000), 200);
	EXPECT_EQ(BackoffMs(6, 5000), 3200);
	EXPECT_EQ(BackoffMs(7, 5000), 5000);
	EXPECT_EQ(BackoffMs(1000, 5000), 5000);
}

}  // namespace
}  // namespace exp_assign
