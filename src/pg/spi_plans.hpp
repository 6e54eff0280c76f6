// The SQL that the glue runs through SPI: prepared once per backend, kept,
// and executed with array parameters, so one call is a few statements
// whatever the number of pairs.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

enum class SqlPlan {
	kLoadCatalog,  // $1 int4[] experiment ids (NULL: all) -> experiments joined with variants
	kFindExisting,  // $1 int4[], $2 text[] pairs -> ordinality and the stored row
	kInsert,  // $1 int4[], $2 text[], $3 int4[] variant, $4 int4[] version
	kInsertNew,  // the same, without ON CONFLICT
	kCohortBatch,  // $1 int4 experiment, $2 text[] users -> variant_id, source = 'new'
	kFindOverrides,  // $1 int4[], $2 text[] pairs -> ordinality, variant_id, created_at
	kQueueKeys,  // $1 int4[], $2 text[] keys to push (exp_assign_warm's stored rows)
	kQueueDelete,  // $1 int8[] queue ids fully delivered
	kQueueAdvance,  // $1 int8 queue id, $2 int4 keys of it delivered so far
	kQueryCount
};

// The saved plan for a query (prepared on first use).
SPIPlanPtr SpiPlan(SqlPlan query);

// One-dimensional arrays for plan parameters.
Datum Int4Array(const int32 *values, int count);
Datum TextArray(const Datum *values, int count);

// Runs a saved plan and hands each result row to on_row as it is produced,
// without materialising the result: a million-row call stays in bounded memory.
using RowCallback = void (*)(TupleTableSlot *slot, void *arg);
uint64 RunPlanStreaming(SqlPlan query, const Datum *values, int nvalues, bool read_only, RowCallback on_row,
						void *arg);

}  // namespace exp_assign::pg
