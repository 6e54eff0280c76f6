// The reply to CLUSTER SLOTS read into plain ranges, apart from the
// connections Link opens for them, so that malformed replies can be
// unit-tested without a server (test/unit/cluster_slots_reply_test.cpp).
#pragma once

#include <cstddef>

struct redisReply;

namespace exp_assign::redis {

// Slots first..last (0 <= first <= last < 16384) served by the master at
// host:port.
struct MasterRange {
	long long first;
	long long last;
	char host[256];
	int port;
};

// Fills ranges[0..*count) from reply, an array of
// [first slot, last slot, [host, port, id...], replicas...]; an empty host
// means seed_host, the address the question was sent to. ranges holds
// reply->elements entries. False, with the reason in error, when any
// element is not of that shape.
bool ParseClusterSlots(const redisReply *reply, const char *seed_host, MasterRange *ranges, size_t *count,
					   char *error, size_t error_len) noexcept;

}  // namespace exp_assign::redis
