// Stored assignments read without a statement: a pair is first looked for
// in the heap tuple after the previous pair's row (rows one statement wrote
// lie side by side, in the order callers look them up), else by one probe
// of the primary key. Falls back to a SQL statement when row level security
// is on for assignments, so policies always apply.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

struct StoredAssignment {
	int32 variant_id;
	int32 version;
	TimestampTz assigned_at;
};

// Calls on_row(k, row, arg) for each k in [0, n) whose pair
// (experiment_ids[k], user_ids[k]) is stored. With fresh_snapshot, reads in
// a new snapshot taken now (what a new statement would see: under READ
// COMMITTED, rows committed meanwhile); otherwise in the active snapshot.
// Checks SELECT privilege on assignments like a statement would.
using StoredAssignmentCallback = void (*)(size_t k, const StoredAssignment &row, void *arg);
void ReadStoredRows(const int32 *experiment_ids, const Datum *user_ids, size_t n, bool fresh_snapshot,
					StoredAssignmentCallback on_row, void *arg);

}  // namespace exp_assign::pg
