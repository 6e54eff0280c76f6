// exp_assign_worker_status(): the push worker's shared state as one row,
// read by the worker_status view, which adds the backlog from the queue.
#include "pg/postgres.hpp"

#include "pg/push_shared.hpp"

using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_worker_status);

Datum exp_assign_worker_status(PG_FUNCTION_ARGS)
{
	TupleDesc desc;
	if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "exp_assign_worker_status must return a row");
	desc = BlessTupleDesc(desc);

	Datum values[7];
	bool nulls[7] = {false, false, true, false, true, true, true};
	PushStatus status;
	if (!ReadPushStatus(&status)) {
		values[0] = CStringGetTextDatum("not loaded");
		values[1] = BoolGetDatum(false);
		values[3] = Int64GetDatum(0);
	} else {
		values[0] = CStringGetTextDatum(PushStateName(status.state));
		values[1] = BoolGetDatum(status.connected);
		nulls[2] = status.pid == 0;
		values[2] = Int32GetDatum(status.pid);
		values[3] = Int64GetDatum(status.pushed_total);
		nulls[4] = status.last_error_at == 0;
		values[4] = CStringGetTextDatum(status.last_error);
		nulls[5] = status.last_error_at == 0;
		values[5] = TimestampTzGetDatum(status.last_error_at);
		nulls[6] = status.last_push_at == 0;
		values[6] = TimestampTzGetDatum(status.last_push_at);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

}  // extern "C"
