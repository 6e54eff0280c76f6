// One delivery step of the push worker, one transaction: the oldest queued
// keys (at least 500), read with the rows they name now and written to
// Redis as SETEX (row exists) or DEL (row gone), in pipelines of
// redis_batch_size. The last pipeline's replies are read by the next step,
// while Redis works and that step reads its keys; only a key whose reply
// was read leaves the queue. When the queue runs dry the step reads all its
// replies, so an idle worker has nothing in flight.
#pragma once

#include "pg/postgres.hpp"
#include "worker/redis_link.hpp"

namespace exp_assign::pg {

enum class DeliveryResult {
	kDelivered,  // counts say what was read and what was acknowledged
	kNoExtension,  // exp_assign is not installed in this database (yet)
	kRedisFailed,  // nothing acknowledged; error says why; the keys stay queued
};

struct DeliveryCounts {
	int64 read = 0;  // keys read from the queue and written to Redis
	int64 delivered = 0;  // keys whose replies were read and which left the queue
	// Nothing left to read: the step came short with nothing in flight
	// (whose rows, left out of the read, could have hidden more keys).
	bool drained = false;
};

// Whether CREATE EXTENSION exp_assign has run in this database (one
// short transaction).
bool ExtensionInstalled();

// Runs one transaction. Errors from PostgreSQL propagate (the worker exits
// and is restarted); Redis failures are returned.
DeliveryResult DeliverBatch(redis::Link *link, int batch_size, DeliveryCounts *counts, char *error,
							size_t error_len);

}  // namespace exp_assign::pg
