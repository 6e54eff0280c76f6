#include "pg/stored_rows.hpp"

#include "pg/spi_plans.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "parser/parse_relation.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
}

namespace exp_assign::pg {

namespace {

struct FallbackState {
	StoredRowCallback on_row;
	void *arg;
};

// The SQL path: one statement for every pair; its first column is the
// pair's 1-based ordinality.
void OnFallbackRow(TupleTableSlot *slot, void *arg)
{
	auto *state = static_cast<FallbackState *>(arg);
	StoredRow row{DatumGetInt32(slot->tts_values[1]), DatumGetInt32(slot->tts_values[2]),
				  DatumGetTimestampTz(slot->tts_values[3])};
	state->on_row(static_cast<size_t>(DatumGetInt32(slot->tts_values[0]) - 1), row, state->arg);
}

void ReadByStatement(const int32 *experiment_ids, const Datum *user_ids, size_t n,
					 bool fresh_snapshot, StoredRowCallback on_row, void *arg)
{
	Datum params[2] = {Int4Array(experiment_ids, static_cast<int>(n)),
					   TextArray(user_ids, static_cast<int>(n))};
	FallbackState state{on_row, arg};
	RunPlanStreaming(SqlPlan::kFindExisting, params, 2, !fresh_snapshot, OnFallbackRow, &state);
}

}  // namespace

void ReadStoredRows(const int32 *experiment_ids, const Datum *user_ids, size_t n,
					bool fresh_snapshot, StoredRowCallback on_row, void *arg)
{
	if (n == 0)
		return;
	Oid relid = get_relname_relid("assignments", get_namespace_oid("exp_assign", false));
	if (!OidIsValid(relid))
		elog(ERROR, "exp_assign: table exp_assign.assignments is missing");
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED) {
		ReadByStatement(experiment_ids, user_ids, n, fresh_snapshot, on_row, arg);
		return;
	}
	AclResult acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, "assignments");

	// What SPI does for a statement that is not read-only: make earlier
	// commands visible, then take the snapshot a new statement would get
	// (READ COMMITTED: a new one; REPEATABLE READ: the transaction's).
	if (fresh_snapshot) {
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
	} else {
		PushActiveSnapshot(GetActiveSnapshot());
	}

	Relation heap = table_open(relid, AccessShareLock);
	Oid index_id = RelationGetPrimaryKeyIndex(heap);
	Relation index = index_open(index_id, AccessShareLock);
	AttrNumber variant_att = attnameAttNum(heap, "variant_id", false);
	AttrNumber version_att = attnameAttNum(heap, "version", false);
	AttrNumber assigned_att = attnameAttNum(heap, "assigned_at", false);

	IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 2, 0);
	TupleTableSlot *slot = table_slot_create(heap, nullptr);
	for (size_t k = 0; k < n; k++) {
		ScanKeyData keys[2];
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(experiment_ids[k]));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, user_ids[k]);
		keys[1].sk_collation = index->rd_indcollation[1];
		index_rescan(scan, keys, 2, nullptr, 0);
		if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
			bool isnull;
			StoredRow row{DatumGetInt32(slot_getattr(slot, variant_att, &isnull)),
						  DatumGetInt32(slot_getattr(slot, version_att, &isnull)),
						  DatumGetTimestampTz(slot_getattr(slot, assigned_att, &isnull))};
			on_row(k, row, arg);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	PopActiveSnapshot();
}

}  // namespace exp_assign::pg
