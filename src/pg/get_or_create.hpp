// The set-based get-or-create shared by every bulk entry point: whatever the
// shape of the request (pairs, one user, a cohort, a matrix), it becomes an
// array of pairs and goes through here.
#pragma once

#include "pg/postgres.hpp"

#include "core/pairs.hpp"

namespace exp_assign::pg {

enum class Mode {
	kGetOrCreate,  // stored rows as 'existing', new rows inserted as 'new'
	kPeek,  // stored rows as 'existing', the rule's answer as 'computed'; never writes
	kWarm,  // kGetOrCreate, and the stored rows returned are queued for Redis too
};

// Resolves pairs (tag = index into user_datums) and appends one result row
// per distinct pair that resolves to a variant to the SRF's tuplestore, in
// request order. Connects to SPI itself.
void ResolvePairs(FunctionCallInfo fcinfo, Pair *pairs, size_t count, const Datum *user_datums, Mode mode);

}  // namespace exp_assign::pg
