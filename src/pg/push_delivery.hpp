// One delivery step of the push worker: the oldest queued keys, read with
// the rows they name now and written to Redis as SETEX (row exists) or DEL
// (row gone) in one pipeline. The replies are read one step later, while
// Redis works and this step reads the next batch; only then are the keys
// removed from the queue. When the queue runs dry the step waits for its
// own replies, so an idle worker has nothing in flight.
#pragma once

#include "pg/postgres.hpp"
#include "redis/link.hpp"

namespace exp_assign::pg {

enum class DeliveryResult {
	kDelivered,    // counts say what was read and what was acknowledged
	kNoExtension,  // exp_assign is not installed in this database (yet)
	kRedisFailed,  // nothing acknowledged; error says why; the keys stay queued
};

struct DeliveryCounts {
	int64 read = 0;       // keys read from the queue and written to Redis
	int64 delivered = 0;  // keys whose replies were read and which left the queue
	// Nothing left to read: the batch came short with no batch in flight
	// (whose rows, left out of the read, could have hidden more keys).
	bool drained = false;
};

// Whether CREATE EXTENSION exp_assign has run in this database (one
// short transaction).
bool ExtensionInstalled();

// Runs one transaction. Errors from PostgreSQL propagate (the worker exits
// and is restarted); Redis failures are returned. A batch shorter than
// batch_size leaves nothing in flight.
DeliveryResult DeliverBatch(redis::Link *link, int batch_size, DeliveryCounts *counts, char *error,
							size_t error_len);

}  // namespace exp_assign::pg
