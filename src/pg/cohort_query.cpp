// exp_assign_cohort_query: a cohort chosen by a query, for an engineer in
// psql. The query's rows are read through a cursor in batches, each batch
// goes through exp_assign_cohort and ends with a progress NOTICE, and the
// result is the split. One call is one transaction's work: an error leaves
// nothing of it behind.
#include "pg/postgres.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "pg/alloc_array.hpp"
#include "pg/catalog.hpp"
#include "pg/get_or_create.hpp"
#include "pg/input.hpp"
#include "pg/spi_plans.hpp"

extern "C" {
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

namespace exp_assign::pg {

namespace {

// Rows a batch may hold: a batch is one exp_assign_cohort call.
constexpr int kMaxBatch = 1000000;

struct Split {
	int nvariants;
	int64 *users;  // per variant, in the catalog's variant order
	int64 *fresh;  // of those, created by this call
	int64 rows;  // distinct ids per batch, summed
};

// What CountRow adds each returned row to.
struct SplitCounting {
	Split *split;
	const Experiment *experiment;
};

void CountRow(TupleTableSlot *slot, void *arg)
{
	auto *state = static_cast<SplitCounting *>(arg);
	Split &split = *state->split;
	const Experiment &e = *state->experiment;
	int32 variant_id = DatumGetInt32(slot->tts_values[0]);
	const int32 *it = std::lower_bound(e.variant_ids, e.variant_ids + e.nvariants, variant_id);
	// A variant created after the call read the catalog is not in it: its
	// rows count with those without a variant.
	if (it == e.variant_ids + e.nvariants || *it != variant_id)
		return;
	split.users[it - e.variant_ids]++;
	if (DatumGetBool(slot->tts_values[1]))
		split.fresh[it - e.variant_ids]++;
}

// The experiment, which must exist and take assignments.
const Experiment &CheckCohortExperiment(int32 id)
{
	Catalog catalog = LoadCatalog(&id, 1);
	const Experiment *e = catalog.Find(id);
	if (e == nullptr)
		RaiseUnknownExperiment(id);
	if (e->status == Status::kDraft || e->status == Status::kStopped)
		ereport(
			ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("experiment %d is %s: no user can be assigned to it", id,
					TextDatumGetCString(e->status_text)),
			 errhint("Activate it first: UPDATE exp_assign.experiments SET status = 'active' WHERE id = %d;",
					 id)));
	return *e;
}

// The user ids of a fetched batch as text, checked, each once (sorted by
// bytes: duplicates within a batch are assigned and counted once).
int BatchUserIds(SPITupleTable *table, uint64 n, int64 rows_before, Datum *ids)
{
	TupleDesc desc = table->tupdesc;
	Oid type = TupleDescAttr(desc, 0)->atttypid;
	bool is_text = type == TEXTOID || type == VARCHAROID || type == BPCHAROID;
	Oid output = InvalidOid;
	bool varlena;
	if (!is_text)
		getTypeOutputInfo(type, &output, &varlena);
	for (uint64 k = 0; k < n; k++) {
		bool isnull;
		Datum value = SPI_getbinval(table->vals[k], desc, 1, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("row %lld of the cohort query has a NULL user id",
							static_cast<long long>(rows_before) + static_cast<long long>(k) + 1),
					 errhint("Filter them out: add WHERE <user id column> IS NOT NULL to the query.")));
		if (!is_text)
			value = CStringGetTextDatum(OidOutputFunctionCall(output, value));
		else
			value = PointerGetDatum(PG_DETOAST_DATUM_PACKED(value));
		if (!UserIdFits(value))
			CheckUserId(value, psprintf("row %lld of the cohort query",
										static_cast<long long>(rows_before) + static_cast<long long>(k) + 1));
		ids[k] = value;
	}
	auto bytes = [](Datum d) {
		return std::string_view(VARDATA_ANY(DatumGetPointer(d)), VARSIZE_ANY_EXHDR(DatumGetPointer(d)));
	};
	std::sort(ids, ids + n, [&](Datum a, Datum b) { return bytes(a) < bytes(b); });
	return static_cast<int>(
		std::unique(ids, ids + n, [&](Datum a, Datum b) { return bytes(a) == bytes(b); }) - ids);
}

void ReportProgress(int32 experiment_id, int64 read, const Split &split, TimestampTz started)
{
	int64 assigned = 0, fresh = 0;
	for (int v = 0; v < split.nvariants; v++) {
		assigned += split.users[v];
		fresh += split.fresh[v];
	}
	double seconds = static_cast<double>(GetCurrentTimestamp() - started) / USECS_PER_SEC;
	// The counts in the message, the clock in the detail: a script can
	// compare messages (psql's VERBOSITY terse drops the detail).
	ereport(NOTICE, (errmsg("experiment %d: %lld rows read, %lld users assigned (%lld new)", experiment_id,
							static_cast<long long>(read), static_cast<long long>(assigned),
							static_cast<long long>(fresh)),
					 errdetail("%.1f s so far, %.0f rows/s.", seconds, seconds > 0 ? read / seconds : 0.0)));
}

void EmitSplit(FunctionCallInfo fcinfo, const Experiment &e, const Split &split)
{
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	int64 assigned = 0;
	for (int v = 0; v <= e.nvariants; v++) {
		Datum values[5];
		bool nulls[5] = {false, false, false, false, false};
		int64 users;
		if (v < e.nvariants) {
			values[0] = Int32GetDatum(e.variant_ids[v]);
			values[1] = e.variant_keys[v];
			users = split.users[v];
			values[3] = Int64GetDatum(split.fresh[v]);
			assigned += users;
		} else {
			// Last: users without a variant: the rule leaves them out
			// (allocations under 100), or the experiment is paused.
			nulls[0] = nulls[1] = true;
			users = split.rows - assigned;
			values[3] = Int64GetDatum(0);
		}
		values[2] = Int64GetDatum(users);
		if (split.rows == 0) {
			nulls[4] = true;
		} else {
			Datum share = DirectFunctionCall2(numeric_div,
											  DirectFunctionCall1(int8_numeric, Int64GetDatum(users * 100)),
											  DirectFunctionCall1(int8_numeric, Int64GetDatum(split.rows)));
			values[4] = DirectFunctionCall2(numeric_round, share, Int32GetDatum(2));
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

}  // namespace

}  // namespace exp_assign::pg

using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_cohort_query);

// exp_assign_cohort_query(experiment_id int, query text, batch_size int)
//   -> (variant_id, variant_key, users, new_users, pct): the cohort the
// query selects, assigned batch by batch; one row per variant and a last
// row (NULL variant) for the users the rule leaves out.
Datum exp_assign_cohort_query(PG_FUNCTION_ARGS)
{
	int32 experiment_id = CheckExperimentIdArg(fcinfo, 0, "experiment_id");
	if (PG_ARGISNULL(1))
		ereport(
			ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("query must not be NULL"),
			 errhint(
				 "Pass a query returning one column of user ids, e.g. 'SELECT id FROM users WHERE country = ''NZ'''.")));
	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("batch_size must not be NULL"),
						errhint("Leave it out for the default of 10000.")));
	char *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strspn(query, " \t\r\n\f\v;") == strlen(query))
		ereport(
			ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR), errmsg("the cohort query is empty"),
			 errhint(
				 "Pass a query returning one column of user ids, e.g. 'SELECT id FROM users WHERE country = ''NZ'''.")));
	int32 batch_size = PG_GETARG_INT32(2);
	if (batch_size < 1 || batch_size > kMaxBatch)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("batch_size %d is out of range", batch_size),
						errhint("Use 1 to %d users per batch; the default is 10000.", kMaxBatch)));

	InitMaterializedSRF(fcinfo, 0);
	MemoryContext call_context = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "exp_assign: SPI_connect failed");
	const Experiment &e = CheckCohortExperiment(experiment_id);

	SPIParseOpenOptions options{};
	options.cursorOptions = CURSOR_OPT_NO_SCROLL;
	options.read_only = false;
	Portal portal = SPI_cursor_parse_open(nullptr, query, &options);
	if (portal->tupDesc == nullptr || portal->tupDesc->natts != 1)
		ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR),
						errmsg("the cohort query must return one column, the user ids; it returns %d",
							   portal->tupDesc == nullptr ? 0 : portal->tupDesc->natts),
						errhint("Select only the user id, e.g. SELECT user_id FROM ...")));

	MemoryContext spi_context = MemoryContextSwitchTo(call_context);
	Split split{e.nvariants, AllocZeroedArray<int64>(e.nvariants), AllocZeroedArray<int64>(e.nvariants), 0};
	MemoryContextSwitchTo(spi_context);
	MemoryContext batch_context =
		// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): PostgreSQL's ALLOCSET_*_SIZES
		AllocSetContextCreate(call_context, "exp_assign cohort batch", ALLOCSET_DEFAULT_SIZES);
	SplitCounting counting{&split, &e};
	TimestampTz started = GetCurrentTimestamp();
	int64 read = 0;
	for (;;) {
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, batch_size);
		uint64 n = SPI_processed;
		if (n == 0)
			break;
		MemoryContext previous = MemoryContextSwitchTo(batch_context);
		Datum *ids = AllocArray<Datum>(n);
		int distinct = BatchUserIds(SPI_tuptable, n, read, ids);
		Datum params[2] = {Int32GetDatum(experiment_id), TextArray(ids, distinct)};
		MemoryContextSwitchTo(previous);
		SPI_freetuptable(SPI_tuptable);
		read += static_cast<int64>(n);
		split.rows += distinct;
		RunPlanStreaming(SqlPlan::kCohortBatch, params, 2, false, CountRow, &counting);
		MemoryContextReset(batch_context);
		ReportProgress(experiment_id, read, split, started);
	}
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(call_context);
	EmitSplit(fcinfo, e, split);
	SPI_finish();
	return Datum(0);
}

}  // extern "C"
