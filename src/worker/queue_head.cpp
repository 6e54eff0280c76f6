#include "worker/queue_head.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include <algorithm>

namespace exp_assign::pg {

namespace {

// The elements of a one-dimensional array column with no NULLs, copied out
// of the slot's buffer into the current memory context.
ArrayType *CopyArray(TupleTableSlot *slot, AttrNumber att)
{
	bool isnull;
	Datum value = slot_getattr(slot, att, &isnull);
	if (isnull)
		elog(ERROR, "exp_assign: a push_queue row has a NULL key array");
	ArrayType *array = DatumGetArrayTypePCopy(value);
	if (ARR_NDIM(array) > 1 || ARR_HASNULL(array))
		elog(ERROR, "exp_assign: a push_queue row has a malformed key array");
	return array;
}

}  // namespace

int ReadQueueHead(int limit, const int64 *skip, int nskip, QueueEntry *out)
{
	Oid relid = get_relname_relid("push_queue", get_namespace_oid("exp_assign", false));
	if (!OidIsValid(relid))
		elog(ERROR, "exp_assign: table exp_assign.push_queue is missing");
	Relation queue = table_open(relid, AccessShareLock);
	Relation index = index_open(RelationGetPrimaryKeyIndex(queue), AccessShareLock);
	AttrNumber id_att = static_cast<AttrNumber>(attnameAttNum(queue, "id", false));
	AttrNumber experiments_att = static_cast<AttrNumber>(attnameAttNum(queue, "experiment_ids", false));
	AttrNumber users_att = static_cast<AttrNumber>(attnameAttNum(queue, "user_ids", false));
	AttrNumber count_att = static_cast<AttrNumber>(attnameAttNum(queue, "key_count", false));
	AttrNumber delivered_att = static_cast<AttrNumber>(attnameAttNum(queue, "delivered", false));

	// No scan key: the primary key index hands the rows over in id order.
	IndexScanDesc scan = index_beginscan(queue, index, GetActiveSnapshot(), 0, 0);
	index_rescan(scan, nullptr, 0, nullptr, 0);
	TupleTableSlot *slot = table_slot_create(queue, nullptr);
	int taken = 0;
	while (taken < limit && index_getnext_slot(scan, ForwardScanDirection, slot)) {
		bool isnull;
		int64 id = DatumGetInt64(slot_getattr(slot, id_att, &isnull));
		if (std::binary_search(skip, skip + nskip, id))
			continue;
		int32 total = DatumGetInt32(slot_getattr(slot, count_att, &isnull));
		int32 delivered = DatumGetInt32(slot_getattr(slot, delivered_att, &isnull));
		int32 want = std::min(total - delivered, limit - taken);
		if (want <= 0)
			continue;
		ArrayType *experiments = CopyArray(slot, experiments_att);
		ArrayType *users = CopyArray(slot, users_att);
		Datum *experiment_values;
		Datum *user_values;
		int nexperiments, nusers;
		deconstruct_array(experiments, INT4OID, sizeof(int32), true, TYPALIGN_INT, &experiment_values,
						  nullptr, &nexperiments);
		deconstruct_array(users, TEXTOID, -1, false, TYPALIGN_INT, &user_values, nullptr, &nusers);
		if (nexperiments != total || nusers != total)
			elog(ERROR, "exp_assign: push_queue row " INT64_FORMAT " holds %d and %d keys, not %d", id,
				 nexperiments, nusers, total);
		for (int32 i = delivered; i < delivered + want; i++)
			out[taken++] = QueueEntry{id, i, total, DatumGetInt32(experiment_values[i]), user_values[i]};
		pfree(experiment_values);
		pfree(user_values);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, AccessShareLock);
	table_close(queue, AccessShareLock);
	return taken;
}

}  // namespace exp_assign::pg
