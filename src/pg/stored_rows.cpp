#include "pg/stored_rows.hpp"

#include "pg/spi_plans.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "parser/parse_relation.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
}

namespace exp_assign::pg {

namespace {

struct FallbackState {
	StoredAssignmentCallback on_row;
	void *arg;
};

// The SQL path: one statement for every pair; its first column is the
// pair's 1-based ordinality.
void OnFallbackRow(TupleTableSlot *slot, void *arg)
{
	auto *state = static_cast<FallbackState *>(arg);
	StoredAssignment row{DatumGetInt32(slot->tts_values[1]), DatumGetInt32(slot->tts_values[2]),
						 DatumGetTimestampTz(slot->tts_values[3])};
	state->on_row(static_cast<size_t>(DatumGetInt32(slot->tts_values[0]) - 1), row, state->arg);
}

void ReadByStatement(const int32 *experiment_ids, const Datum *user_ids, size_t n, bool fresh_snapshot,
					 StoredAssignmentCallback on_row, void *arg)
{
	Datum params[2] = {Int4Array(experiment_ids, static_cast<int>(n)),
					   TextArray(user_ids, static_cast<int>(n))};
	FallbackState state{on_row, arg};
	RunPlanStreaming(SqlPlan::kFindExisting, params, 2, !fresh_snapshot, OnFallbackRow, &state);
}

struct Columns {
	AttrNumber experiment_id;
	AttrNumber user_id;
	AttrNumber variant_id;
	AttrNumber version;
	AttrNumber assigned_at;
};

// Where assignments and its columns are: looked up once per backend, again
// after any relcache invalidation of the table (ALTER, DROP EXTENSION) or of
// everything. A page load would otherwise spend a few percent on it.
struct Table {
	bool valid;
	Oid relid;
	Columns columns;
};
Table table_cache{};

void ForgetTable(Datum, Oid relid)
{
	if (relid == InvalidOid || relid == table_cache.relid)
		table_cache.valid = false;
}

// The table's oid; its columns once it is open (see ColumnsOf).
Oid AssignmentsRelid()
{
	static bool callback_installed = false;
	if (!callback_installed) {
		CacheRegisterRelcacheCallback(ForgetTable, 0);
		callback_installed = true;
	}
	if (table_cache.valid)
		return table_cache.relid;
	Oid relid = get_relname_relid("assignments", get_namespace_oid("exp_assign", false));
	if (!OidIsValid(relid))
		elog(ERROR, "exp_assign: table exp_assign.assignments is missing");
	table_cache.relid = relid;
	table_cache.columns = Columns{};
	return relid;
}

const Columns &ColumnsOf(Relation heap)
{
	if (!table_cache.valid) {
		Columns &c = table_cache.columns;
		c.experiment_id = static_cast<AttrNumber>(attnameAttNum(heap, "experiment_id", false));
		c.user_id = static_cast<AttrNumber>(attnameAttNum(heap, "user_id", false));
		c.variant_id = static_cast<AttrNumber>(attnameAttNum(heap, "variant_id", false));
		c.version = static_cast<AttrNumber>(attnameAttNum(heap, "version", false));
		c.assigned_at = static_cast<AttrNumber>(attnameAttNum(heap, "assigned_at", false));
		// Valid only now that the table is open and locked: an invalidation
		// that arrived while opening it has been processed.
		table_cache.valid = RelationGetRelid(heap) == table_cache.relid;
	}
	return table_cache.columns;
}

StoredAssignment RowOf(TupleTableSlot *slot, const Columns &columns)
{
	bool isnull;
	return StoredAssignment{DatumGetInt32(slot_getattr(slot, columns.variant_id, &isnull)),
							DatumGetInt32(slot_getattr(slot, columns.version, &isnull)),
							DatumGetTimestampTz(slot_getattr(slot, columns.assigned_at, &isnull))};
}

// Rows one statement inserted lie next to each other in the heap, in the
// order they were inserted, which is the lock order the callers probe in: a
// cohort's rows, a page load's rows of one user, a queue row's keys. So the
// tuple after the one just found is often the next pair's row, and reading
// it costs one heap page access instead of a descent of the primary key.
// It is that pair's row when it is visible in the snapshot and holds the
// pair: the primary key lets one snapshot see at most one such tuple. When
// the guesses keep missing, the hint stops guessing.
class NeighbourHint {
public:
	// Rows of other calls are not side by side: after two misses without a
	// hit the index alone is used.
	bool Worth() const { return valid_ && (misses_ < 2 || hits_ >= misses_); }

	void Found(ItemPointerData tid)
	{
		tid_ = tid;
		valid_ = true;
	}

	bool Fetch(Relation heap, Snapshot snapshot, TupleTableSlot *slot, const Columns &columns,
			   int32 experiment_id, Datum user_id)
	{
		// The next line pointer on the page; only if there is none, the first
		// of the next page.
		ItemPointerData next = tid_;
		ItemPointerSetOffsetNumber(&next, OffsetNumberNext(ItemPointerGetOffsetNumber(&tid_)));
		Outcome outcome = TryFetch(heap, snapshot, slot, columns, next, experiment_id, user_id);
		if (outcome == Outcome::kNoTuple) {
			BlockNumber block = ItemPointerGetBlockNumber(&tid_) + 1;
			// Blocks are never removed under our lock; the size is asked
			// once, and only here, since asking costs a system call.
			if (nblocks_ == InvalidBlockNumber)
				nblocks_ = RelationGetNumberOfBlocks(heap);
			if (block < nblocks_) {
				ItemPointerSet(&next, block, FirstOffsetNumber);
				outcome = TryFetch(heap, snapshot, slot, columns, next, experiment_id, user_id);
			}
		}
		if (outcome == Outcome::kHit) {
			tid_ = next;
			hits_++;
			return true;
		}
		misses_++;
		valid_ = false;
		return false;
	}

private:
	enum class Outcome { kHit, kOther, kNoTuple };

	// heap_fetch as table_tuple_fetch_row_version calls it, but keeping the
	// buffer of an invisible tuple, which tells "no tuple there" from "a
	// tuple, not ours".
	Outcome TryFetch(Relation heap, Snapshot snapshot, TupleTableSlot *slot, const Columns &columns,
					 ItemPointerData tid, int32 experiment_id, Datum user_id)
	{
		HeapTupleData tuple;
		tuple.t_self = tid;
		Buffer buffer;
		if (!heap_fetch(heap, snapshot, &tuple, &buffer, true)) {
			if (BufferIsValid(buffer))
				ReleaseBuffer(buffer);
			return tuple.t_data == nullptr ? Outcome::kNoTuple : Outcome::kOther;
		}
		auto *buffer_slot = reinterpret_cast<BufferHeapTupleTableSlot *>(slot);
		buffer_slot->base.tupdata = tuple;
		ExecStorePinnedBufferHeapTuple(&buffer_slot->base.tupdata, slot, buffer);
		slot->tts_tableOid = RelationGetRelid(heap);
		bool isnull;
		if (DatumGetInt32(slot_getattr(slot, columns.experiment_id, &isnull)) != experiment_id)
			return Outcome::kOther;
		text *found = DatumGetTextPP(slot_getattr(slot, columns.user_id, &isnull));
		text *wanted = DatumGetTextPP(user_id);
		// The column's collation is "C": equal means the same bytes.
		size_t len = VARSIZE_ANY_EXHDR(wanted);
		if (VARSIZE_ANY_EXHDR(found) != len || memcmp(VARDATA_ANY(found), VARDATA_ANY(wanted), len) != 0)
			return Outcome::kOther;
		return Outcome::kHit;
	}

	BlockNumber nblocks_ = InvalidBlockNumber;
	ItemPointerData tid_{};
	bool valid_ = false;
	int hits_ = 0;
	int misses_ = 0;
};

}  // namespace

void ReadStoredRows(const int32 *experiment_ids, const Datum *user_ids, size_t n, bool fresh_snapshot,
					StoredAssignmentCallback on_row, void *arg)
{
	if (n == 0)
		return;
	Oid relid = AssignmentsRelid();
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
	const Columns columns = ColumnsOf(heap);

	Snapshot snapshot = GetActiveSnapshot();
	IndexScanDesc scan = index_beginscan(heap, index, snapshot, 2, 0);
	TupleTableSlot *slot = table_slot_create(heap, nullptr);
	NeighbourHint hint;
	for (size_t k = 0; k < n; k++) {
		if (hint.Worth() && hint.Fetch(heap, snapshot, slot, columns, experiment_ids[k], user_ids[k])) {
			on_row(k, RowOf(slot, columns), arg);
			continue;
		}
		ScanKeyData keys[2];
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(experiment_ids[k]));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ, user_ids[k]);
		keys[1].sk_collation = index->rd_indcollation[1];
		index_rescan(scan, keys, 2, nullptr, 0);
		if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
			hint.Found(slot->tts_tid);
			on_row(k, RowOf(slot, columns), arg);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	PopActiveSnapshot();
}

}  // namespace exp_assign::pg
