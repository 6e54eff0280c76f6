#include "pg/spi_plans.hpp"

#include "pg/alloc_array.hpp"

namespace exp_assign::pg {

namespace {

struct QueryText {
	const char *sql;
	int nargs;
	Oid argtypes[4];
};

// Schema-qualified: the extension's schema is fixed (relocatable = false).
const QueryText kQueries[] = {
	// kLoadCatalog
	{"SELECT e.id, e.status, e.version, e.seed, e.hash_profile, e.key,"
	 "       v.id, round(v.allocation_pct * 100)::int4, v.key, v.weight,"
	 "       e.rollout_pct, e.layer_id, d.layer_key, d.layer_seed,"
	 "       coalesce(e.layer_start, 0), coalesce(e.layer_end, 10000),"
	 "       e.holdout_id, d.holdout_key, d.holdout_seed, d.holdout_basis_points,"
	 "       coalesce(d.has_overrides, false)"
	 "  FROM exp_assign.experiments e"
	 "  LEFT JOIN exp_assign.variants v ON v.experiment_id = e.id"
	 "  LEFT JOIN exp_assign.experiment_design($1) d ON d.experiment_id = e.id"
	 " WHERE $1 IS NULL OR e.id = ANY ($1)"
	 " ORDER BY e.id, v.id",
	 1,
	 {INT4ARRAYOID}},
	// kFindExisting
	{"SELECT p.ord::int4, a.variant_id, a.version, a.assigned_at"
	 "  FROM unnest($1, $2) WITH ORDINALITY AS p(experiment_id, user_id, ord)"
	 "  JOIN exp_assign.assignments a"
	 "    ON a.experiment_id = p.experiment_id AND a.user_id = p.user_id",
	 2,
	 {INT4ARRAYOID, TEXTARRAYOID}},
	// kInsert: rows arrive in lock order; a pair another transaction stored
	// first is skipped here and re-read by the caller in a new statement.
	{"INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id, version)"
	 " SELECT * FROM unnest($1, $2, $3, $4)"
	 " ON CONFLICT (experiment_id, user_id) DO NOTHING"
	 " RETURNING experiment_id, user_id, assigned_at",
	 4,
	 {INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID}},
	// kInsertNew: the same without ON CONFLICT, for pairs believed new: no
	// speculative insertion, so no conflict check before each row. A stored
	// pair makes it fail with 23505; the caller runs it in a subtransaction.
	{"INSERT INTO exp_assign.assignments (experiment_id, user_id, variant_id, version)"
	 " SELECT * FROM unnest($1, $2, $3, $4)"
	 " RETURNING experiment_id, user_id, assigned_at",
	 4,
	 {INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID}},
	// kCohortBatch: one batch of exp_assign_cohort_query
	{"SELECT variant_id, source = 'new' FROM exp_assign.exp_assign_cohort($1, $2)",
	 2,
	 {INT4OID, TEXTARRAYOID}},
	// kFindOverrides
	{"SELECT p.ord::int4, o.variant_id, o.created_at"
	 "  FROM unnest($1, $2) WITH ORDINALITY AS p(experiment_id, user_id, ord)"
	 "  JOIN exp_assign.overrides o"
	 "    ON o.experiment_id = p.experiment_id AND o.user_id = p.user_id",
	 2,
	 {INT4ARRAYOID, TEXTARRAYOID}},
	// kQueueKeys: a function, so callers need no privilege on the queue.
	{"SELECT exp_assign.queue_keys($1, $2)", 2, {INT4ARRAYOID, TEXTARRAYOID}},
	// kQueueDelete
	{"DELETE FROM exp_assign.push_queue WHERE id = ANY ($1)", 1, {INT8ARRAYOID}},
	// kQueueAdvance
	{"UPDATE exp_assign.push_queue SET delivered = $2 WHERE id = $1", 2, {INT8OID, INT4OID}},
};
static_assert(sizeof(kQueries) / sizeof(kQueries[0]) == static_cast<size_t>(SqlPlan::kQueryCount));

SPIPlanPtr saved_plans[static_cast<int>(SqlPlan::kQueryCount)];

// A DestReceiver that forwards each row to a callback.
struct CallbackReceiver {
	DestReceiver pub;
	RowCallback on_row;
	void *arg;
};

bool ReceiveSlot(TupleTableSlot *slot, DestReceiver *self)
{
	auto *receiver = reinterpret_cast<CallbackReceiver *>(self);
	slot_getallattrs(slot);
	receiver->on_row(slot, receiver->arg);
	return true;
}

void StartupReceiver(DestReceiver *, int, TupleDesc) {}
void ShutdownReceiver(DestReceiver *) {}
void DestroyReceiver(DestReceiver *) {}

}  // namespace

SPIPlanPtr SpiPlan(SqlPlan query)
{
	int index = static_cast<int>(query);
	if (saved_plans[index] == nullptr) {
		const QueryText &q = kQueries[index];
		SPIPlanPtr plan = SPI_prepare(q.sql, q.nargs, const_cast<Oid *>(q.argtypes));
		if (plan == nullptr)
			elog(ERROR, "exp_assign: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "exp_assign: SPI_keepplan failed");
		saved_plans[index] = plan;
	}
	return saved_plans[index];
}

Datum Int4Array(const int32 *values, int count)
{
	Datum *datums = AllocArray<Datum>(count);
	for (int i = 0; i < count; i++)
		datums[i] = Int32GetDatum(values[i]);
	return PointerGetDatum(construct_array(datums, count, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

Datum TextArray(const Datum *values, int count)
{
	return PointerGetDatum(
		construct_array(const_cast<Datum *>(values), count, TEXTOID, -1, false, TYPALIGN_INT));
}

uint64 RunPlanStreaming(SqlPlan query, const Datum *values, int nvalues, bool read_only, RowCallback on_row,
						void *arg)
{
	SPIPlanPtr plan = SpiPlan(query);
	ParamListInfo params = makeParamList(nvalues);
	for (int i = 0; i < nvalues; i++) {
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = SPI_getargtypeid(plan, i);
	}
	params->numParams = nvalues;

	CallbackReceiver receiver;
	memset(&receiver, 0, sizeof receiver);
	receiver.pub.receiveSlot = ReceiveSlot;
	receiver.pub.rStartup = StartupReceiver;
	receiver.pub.rShutdown = ShutdownReceiver;
	receiver.pub.rDestroy = DestroyReceiver;
	receiver.pub.mydest = DestNone;
	receiver.on_row = on_row;
	receiver.arg = arg;

	SPIExecuteOptions options;
	memset(&options, 0, sizeof options);
	options.params = params;
	options.read_only = read_only;
	options.dest = &receiver.pub;
	int rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "exp_assign: query failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

}  // namespace exp_assign::pg
