#include "worker/cluster_slots_reply.hpp"

#include <hiredis/hiredis.h>

#include <cstdio>

#include "core/cluster_slot.hpp"

namespace exp_assign::redis {

namespace {

bool IsInteger(const redisReply *reply)
{
	return reply != nullptr && reply->type == REDIS_REPLY_INTEGER;
}

bool IsArray(const redisReply *reply, size_t at_least)
{
	return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements >= at_least;
}

}  // namespace

bool ParseClusterSlots(const redisReply *reply, const char *seed_host, MasterRange *ranges, size_t *count,
					   char *error, size_t error_len) noexcept
{
	*count = 0;
	if (!IsArray(reply, 0)) {
		std::snprintf(error, error_len, "cannot read the reply to CLUSTER SLOTS: not an array");
		return false;
	}
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *range = reply->element[i];
		const redisReply *master = IsArray(range, 3) ? range->element[2] : nullptr;
		if (!IsArray(range, 3) || !IsInteger(range->element[0]) || !IsInteger(range->element[1]) ||
			!IsArray(master, 2) || master->element[0] == nullptr ||
			master->element[0]->type != REDIS_REPLY_STRING || !IsInteger(master->element[1])) {
			std::snprintf(error, error_len,
						  "cannot read the reply to CLUSTER SLOTS: element %zu is malformed", i);
			return false;
		}
		long long first = range->element[0]->integer, last = range->element[1]->integer;
		long long port = master->element[1]->integer;
		if (first < 0 || last < first || last >= static_cast<long long>(kClusterSlots) || port <= 0 ||
			port > 65535 || master->element[0]->len >= sizeof ranges->host) {
			std::snprintf(
				error, error_len,
				"cannot read the reply to CLUSTER SLOTS: element %zu names slots %lld-%lld at port %lld", i,
				first, last, port);
			return false;
		}
		MasterRange &out = ranges[(*count)++];
		out.first = first;
		out.last = last;
		out.port = static_cast<int>(port);
		if (master->element[0]->len == 0)
			std::snprintf(out.host, sizeof out.host, "%s", seed_host);
		else
			std::snprintf(out.host, sizeof out.host, "%.*s", static_cast<int>(master->element[0]->len),
						  master->element[0]->str);
	}
	return true;
}

}  // namespace exp_assign::redis
