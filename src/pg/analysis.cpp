// SQL entry points of the read-only analysis: the chi-square test behind
// exp_assign_srm and the allocation-only counting behind exp_assign_preview.
// The SQL functions that call these gather the rows set-based.
#include "pg/postgres.hpp"

#include <cmath>
#include <new>

#include "core/decide.hpp"
#include "core/rule.hpp"
#include "core/srm.hpp"
#include "pg/alloc_array.hpp"
#include "pg/utf8.hpp"

extern "C" {
#include "funcapi.h"
}

namespace exp_assign::pg {

namespace {

// A one-dimensional array without NULLs, as the SQL wrappers build them.
void CheckPlainArray(ArrayType *array, const char *argname)
{
	if (ARR_NDIM(array) > 1 || array_contains_nulls(array))
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s must be a one-dimensional array without NULLs", argname),
						errhint("Pass one element per variant, in ascending variant id.")));
}

// n × (n + 1) counts stay far below MaxAllocSize.
constexpr int kMaxPreviewVariants = 1000;

int ArrayLength(ArrayType *array)
{
	return ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
}

bool SameBytes(const void *a, Size a_len, const void *b, Size b_len)
{
	return a_len == b_len && memcmp(a, b, a_len) == 0;
}

// A copy of an argument's bytes in fn_mcxt, to tell when it changes.
struct KeptBytes {
	Size size = 0;  // 0 before the first call
	char *bytes = nullptr;

	bool Matches(const void *datum, Size datum_size) const
	{
		return size != 0 && SameBytes(bytes, size, datum, datum_size);
	}
	void Keep(FunctionCallInfo fcinfo, const void *datum, Size datum_size)
	{
		bytes = static_cast<char *>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, datum_size));
		memcpy(bytes, datum, datum_size);
		size = datum_size;
	}
};

// preview_counts runs once per stored user with the same seed, profile,
// allocation and variant ids: their parsed forms are kept in fn_extra and
// rebuilt only when an argument's bytes change (they never do within one
// preview).
struct PreviewArgs {
	KeptBytes seed_arg, profile_arg, allocation_arg, ids_arg;
	const char *seed_utf8;
	int seed_len;
	HashProfile profile;
	int n;  // variants, in ascending id
	int32 *values;  // basis points or weights
	int64 *bounds;
	int32 *ids;
};

PreviewArgs *CachedPreviewArgs(FunctionCallInfo fcinfo)
{
	auto *args = static_cast<PreviewArgs *>(fcinfo->flinfo->fn_extra);
	if (args == nullptr) {
		void *raw = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PreviewArgs));
		args = new (raw) PreviewArgs();
		fcinfo->flinfo->fn_extra = args;
	}
	text *seed = PG_GETARG_TEXT_PP(3);
	if (!args->seed_arg.Matches(seed, VARSIZE_ANY(seed))) {
		int len;
		const char *utf8 = ToUtf8(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed), &len);
		char *kept = static_cast<char *>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len + 1));
		memcpy(kept, utf8, len);
		args->seed_utf8 = kept;
		args->seed_len = len;
		args->seed_arg.Keep(fcinfo, seed, VARSIZE_ANY(seed));
	}
	text *profile = PG_GETARG_TEXT_PP(4);
	if (!args->profile_arg.Matches(profile, VARSIZE_ANY(profile))) {
		char *name = text_to_cstring(profile);
		if (!ParseHashProfile(name, &args->profile))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("hash profile \"%s\" does not exist", name),
							errhint("hash_profile is 'mmh3', 'optimizely' or 'unleash'.")));
		args->profile_arg.Keep(fcinfo, profile, VARSIZE_ANY(profile));
	}
	ArrayType *allocation = PG_GETARG_ARRAYTYPE_P(6);
	ArrayType *ids = PG_GETARG_ARRAYTYPE_P(7);
	if (!args->allocation_arg.Matches(allocation, VARSIZE(allocation)) || !args->ids_arg.Matches(ids, VARSIZE(ids))) {
		CheckPlainArray(allocation, "allocation");
		CheckPlainArray(ids, "variant_ids");
		int n = ArrayLength(allocation);
		if (ArrayLength(ids) != n)
			ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
							errmsg("allocation has %d elements but variant_ids has %d", n, ArrayLength(ids)),
							errhint("Pass one allocation per variant, in ascending variant id.")));
		if (n > kMaxPreviewVariants)
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							errmsg("experiment has %d variants, more than the preview's %d", n, kMaxPreviewVariants),
							errhint("Preview an experiment of fewer variants.")));
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		args->n = n;
		args->values = AllocArray<int32>(n);
		args->bounds = AllocArray<int64>(n);
		args->ids = AllocArray<int32>(n);
		if (n > 0) {
			memcpy(args->values, ARR_DATA_PTR(allocation), sizeof(int32) * n);
			memcpy(args->ids, ARR_DATA_PTR(ids), sizeof(int32) * n);
		}
		RunningBounds(args->values, args->bounds, n);
		MemoryContextSwitchTo(old);
		args->allocation_arg.Keep(fcinfo, allocation, VARSIZE(allocation));
		args->ids_arg.Keep(fcinfo, ids, VARSIZE(ids));
	}
	return args;
}

// The preview_counts state: an int8[] of n × (n + 1) counts, row = stored
// variant, column = new choice (the last one: not enrolled), variants in
// ascending id. A plain array rather than internal, so the aggregate runs
// in parallel workers without serial functions; updated in place, as
// int4_avg_accum does, because it lives in the aggregate's context.
ArrayType *NewCounts(int len)
{
	Datum *zeros = AllocZeroedArray<Datum>(len);
	for (int i = 0; i < len; i++)
		zeros[i] = Int64GetDatum(0);
	return construct_array(zeros, len, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

int64 *StateCounts(ArrayType *state, int *len)
{
	if (ARR_NDIM(state) != 1 || array_contains_nulls(state) || ARR_ELEMTYPE(state) != INT8OID)
		elog(ERROR, "exp_assign: preview_counts state is not a one-dimensional int8 array");
	*len = ARR_DIMS(state)[0];
	return reinterpret_cast<int64 *>(ARR_DATA_PTR(state));
}

}  // namespace

}  // namespace exp_assign::pg

using namespace exp_assign;
using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_srm_test);
PG_FUNCTION_INFO_V1(exp_assign_preview_counts_add);
PG_FUNCTION_INFO_V1(exp_assign_preview_counts_merge);

// srm_test(observed bigint[], expected_share float8[]) -> (chi_square, df, p_value, srm)
Datum exp_assign_srm_test(PG_FUNCTION_ARGS)
{
	ArrayType *observed = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType *shares = PG_GETARG_ARRAYTYPE_P(1);
	CheckPlainArray(observed, "observed");
	CheckPlainArray(shares, "expected_share");
	int n = ArrayLength(observed);
	if (ArrayLength(shares) != n)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("observed has %d elements but expected_share has %d", n, ArrayLength(shares)),
						errhint("Pass one count and one share per variant.")));
	const auto *counts = reinterpret_cast<const int64_t *>(ARR_DATA_PTR(observed));
	const auto *share = reinterpret_cast<const double *>(ARR_DATA_PTR(shares));
	for (int i = 0; i < n; i++) {
		if (counts[i] < 0 || !(share[i] >= 0) || std::isinf(share[i]))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("variant %d has count " INT64_FORMAT " and share %g", i + 1,
								   static_cast<int64>(counts[i]), share[i]),
							errhint("Counts and shares must be finite and not negative.")));
	}
	SrmResult result = ComputeSrm(counts, share, static_cast<size_t>(n));

	TupleDesc desc;
	if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "exp_assign: srm_test must return a row");
	desc = BlessTupleDesc(desc);
	Datum values[4] = {Float8GetDatum(result.chi_square), Int32GetDatum(result.df),
					   Float8GetDatum(result.p_value), BoolGetDatum(result.srm)};
	bool nulls[4] = {false, false, false, false};
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

// preview_counts_add(state int8[], user_id text, variant_id int, seed text,
// hash_profile text, rollout_pct int, allocation int[], variant_ids int[]):
// the transition of preview_counts, counting each stored user under its
// stored variant and the choice the rule would make by allocation alone.
Datum exp_assign_preview_counts_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "exp_assign: preview_counts_add called outside an aggregate");
	for (int arg = 3; arg <= 7; arg++)
		if (PG_ARGISNULL(arg))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("preview_counts argument %d must not be NULL", arg),
							errhint("Pass the experiment's seed, hash profile, rollout and variants.")));
	PreviewArgs *args = CachedPreviewArgs(fcinfo);
	int columns = args->n + 1;
	ArrayType *state;
	if (PG_ARGISNULL(0)) {
		MemoryContext old = MemoryContextSwitchTo(aggcontext);
		state = NewCounts(args->n * columns);
		MemoryContextSwitchTo(old);
	} else {
		state = PG_GETARG_ARRAYTYPE_P(0);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);
	int32 variant_id = PG_GETARG_INT32(2);
	int from = 0;
	while (from < args->n && args->ids[from] != variant_id)
		from++;
	if (from == args->n)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("variant %d is not among variant_ids", variant_id),
						errhint("Pass every variant of the experiment.")));

	text *user = PG_GETARG_TEXT_PP(1);
	int user_len;
	const char *user_utf8 = ToUtf8(VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), &user_len);
	ExperimentRule rule{};
	rule.profile = args->profile;
	rule.seed = {args->seed_utf8, static_cast<size_t>(args->seed_len)};
	rule.nvariants = static_cast<size_t>(args->n);
	rule.bounds = args->bounds;
	rule.weights = args->values;
	rule.rollout_pct = PG_GETARG_INT32(5);
	char stack_scratch[256];
	size_t needed = DecideScratchLength(rule, user_len);
	char *scratch = needed <= sizeof stack_scratch ? stack_scratch : static_cast<char *>(palloc(needed));
	uint32 bucket;
	int32 choice = ProfileChoice(rule, {user_utf8, static_cast<size_t>(user_len)}, scratch, &bucket);
	int len;
	int64 *counts = StateCounts(state, &len);
	counts[from * columns + (choice == kNotEnrolled ? args->n : choice)]++;
	PG_RETURN_ARRAYTYPE_P(state);
}

// preview_counts_merge(a int8[], b int8[]) -> int8[]: combines two partial
// states of parallel workers (strict: a NULL side is the other).
Datum exp_assign_preview_counts_merge(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, nullptr))
		elog(ERROR, "exp_assign: preview_counts_merge called outside an aggregate");
	ArrayType *into = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType *from = PG_GETARG_ARRAYTYPE_P(1);
	int into_len, from_len;
	int64 *into_counts = StateCounts(into, &into_len);
	const int64 *from_counts = StateCounts(from, &from_len);
	if (into_len != from_len)
		elog(ERROR, "exp_assign: preview_counts states of %d and %d counts", into_len, from_len);
	for (int i = 0; i < into_len; i++)
		into_counts[i] += from_counts[i];
	PG_RETURN_ARRAYTYPE_P(into);
}

}  // extern "C"
