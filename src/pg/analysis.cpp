// SQL entry points of the read-only analysis: the chi-square test behind
// exp_assign_srm and the allocation-only rule behind exp_assign_preview.
// The SQL functions that call these gather the rows set-based.
#include "pg/postgres.hpp"

#include <cmath>

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

int ArrayLength(ArrayType *array)
{
	return ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
}

// rule_choice is called once per stored user with the same allocation:
// the deconstructed array is kept in fn_extra, rebuilt only when the bytes
// of the argument change.
struct AllocationCache {
	Size size;  // of the array's bytes, 0 before the first call
	char *bytes;
	int n;
	int32 *values;  // basis points or weights
	int64 *bounds;
};

const AllocationCache &CachedAllocation(FunctionCallInfo fcinfo, ArrayType *array)
{
	auto *cache = static_cast<AllocationCache *>(fcinfo->flinfo->fn_extra);
	Size size = VARSIZE(array);
	if (cache != nullptr && cache->size == size && memcmp(cache->bytes, array, size) == 0)
		return *cache;
	CheckPlainArray(array, "allocation");
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == nullptr)
		cache = static_cast<AllocationCache *>(palloc0(sizeof(AllocationCache)));
	cache->bytes = static_cast<char *>(palloc(size));
	memcpy(cache->bytes, array, size);
	cache->size = size;
	cache->n = ArrayLength(array);
	cache->values = AllocArray<int32>(cache->n);
	cache->bounds = AllocArray<int64>(cache->n);
	if (cache->n > 0)
		memcpy(cache->values, ARR_DATA_PTR(array), sizeof(int32) * cache->n);
	RunningBounds(cache->values, cache->bounds, cache->n);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return *cache;
}

}  // namespace

}  // namespace exp_assign::pg

using namespace exp_assign;
using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_srm_test);
PG_FUNCTION_INFO_V1(exp_assign_rule_choice);

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

// rule_choice(user_id text, seed text, hash_profile text, rollout_pct int,
// allocation int[]) -> int: the 1-based variant the allocation gives, or NULL.
Datum exp_assign_rule_choice(PG_FUNCTION_ARGS)
{
	text *user = PG_GETARG_TEXT_PP(0);
	text *seed = PG_GETARG_TEXT_PP(1);
	char *profile_name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	HashProfile profile;
	if (!ParseHashProfile(profile_name, &profile))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("hash profile \"%s\" does not exist", profile_name),
						errhint("hash_profile is 'mmh3', 'optimizely' or 'unleash'.")));
	const AllocationCache &allocation = CachedAllocation(fcinfo, PG_GETARG_ARRAYTYPE_P(4));
	int user_len, seed_len;
	const char *user_utf8 = ToUtf8(VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), &user_len);
	const char *seed_utf8 = ToUtf8(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed), &seed_len);

	ExperimentRule rule{};
	rule.profile = profile;
	rule.seed = {seed_utf8, static_cast<size_t>(seed_len)};
	rule.nvariants = static_cast<size_t>(allocation.n);
	rule.bounds = allocation.bounds;
	rule.weights = allocation.values;
	rule.rollout_pct = PG_GETARG_INT32(3);
	char stack_scratch[256];
	size_t needed = DecideScratchLength(rule, user_len);
	char *scratch = needed <= sizeof stack_scratch ? stack_scratch : static_cast<char *>(palloc(needed));
	uint32 bucket;
	int32 choice = ProfileChoice(rule, {user_utf8, static_cast<size_t>(user_len)}, scratch, &bucket);
	if (choice == kNotEnrolled)
		PG_RETURN_NULL();
	PG_RETURN_INT32(choice + 1);
}

}  // extern "C"
