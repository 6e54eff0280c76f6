// One delivery step of the push worker: the oldest queued keys, sent to
// Redis as SETEX (row exists) or DEL (row gone) in one pipeline, then
// removed from the queue in the same transaction that read them.
#pragma once

#include "pg/postgres.hpp"
#include "redis/link.hpp"

namespace exp_assign::pg {

enum class DeliveryResult {
	kDelivered,         // *keys keys sent and removed from the queue (0: queue empty)
	kNoExtension,       // exp_assign is not installed in this database (yet)
	kRedisFailed,       // nothing removed; error says why
};

// Whether CREATE EXTENSION exp_assign has run in this database (one
// short transaction).
bool ExtensionInstalled();

// Runs one transaction. Errors from PostgreSQL propagate (the worker exits
// and is restarted); Redis failures are returned.
DeliveryResult DeliverBatch(redis::Link *link, int batch_size, int64 *keys, char *error,
							size_t error_len);

}  // namespace exp_assign::pg
