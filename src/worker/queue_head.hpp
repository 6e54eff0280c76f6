// The head of exp_assign.push_queue as the push worker reads it: the oldest
// queued keys, by queue id, read straight from the table through its
// primary key. A statement doing the same (unnest of the key arrays, a
// running sum to slice rows, a result set) cost the worker more than the
// Redis commands it fed.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

// One queued key: the queue row it belongs to and the pair it names.
struct QueueEntry {
	int64 queue_id;
	int32 position;  // 0-based, in the row's arrays; keys before delivered are never read
	int32 total;  // keys in the row
	int32 experiment_id;
	Datum user_id;  // text, valid until the end of the transaction
};

// Fills out (room for limit entries) with at most limit keys from the head
// of the queue, in the active snapshot, leaving out the rows whose ids are
// in skip (sorted ascending). A row is sliced where the limit falls; the
// keys it has delivered already are never read. Returns the number of keys.
// Reads with the worker's rights: no privilege check, no row level security.
int ReadQueueHead(int limit, const int64 *skip, int nskip, QueueEntry *out);

}  // namespace exp_assign::pg
