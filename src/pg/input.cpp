#include "pg/input.hpp"

#include "pg/alloc_array.hpp"
#include "pg/settings.hpp"

namespace exp_assign::pg {

namespace {

// Pairs one call accepts; the per-pair working arrays stay well under 1 GB.
constexpr int64 kMaxPairs = 20000000;

ArrayType *CheckArrayArg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", argname),
						errhint("Pass an empty array ('{}') to request nothing.")));
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array, not %d-dimensional", argname, ARR_NDIM(array)),
				 errhint("Flatten it, e.g. ARRAY(SELECT unnest(%s)).", argname)));
	return array;
}

int LowerBound(ArrayType *array)
{
	return ARR_NDIM(array) == 1 ? ARR_LBOUND(array)[0] : 1;
}

void RaiseNullElement(const char *argname, int subscript)
{
	ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s[%d] is NULL", argname, subscript),
					errhint("Remove NULL elements, e.g. array_remove(%s, NULL).", argname)));
}

// A user id, shortened for a message.
char *Excerpt(const char *data, int len)
{
	int shown = pg_mbcliplen(data, len, 40);
	return psprintf("%.*s%s", shown, data, shown < len ? "..." : "");
}

// Raises the error of an empty or over-long user id; label names it.
[[noreturn]] void RaiseBadUserId(Datum value, const char *label)
{
	int len = VARSIZE_ANY_EXHDR(DatumGetPointer(value));
	if (len == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s is an empty user id", label),
						errhint("User ids must be non-empty; remove the element or supply the real id.")));
	ereport(ERROR,
			(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
			 errmsg("%s is %d bytes long, over exp_assign.max_user_id_bytes (%d): \"%s\"", label, len,
					max_user_id_bytes, Excerpt(VARDATA_ANY(DatumGetPointer(value)), len)),
			 errhint("Use a shorter id (hash it client-side) or raise exp_assign.max_user_id_bytes.")));
	pg_unreachable();
}

// The label is built only for the error: arrays of a million ids are checked here.
void CheckUserIdValue(Datum value, const char *argname, int subscript)
{
	if (!UserIdFits(value))
		RaiseBadUserId(value, subscript > 0 ? psprintf("%s[%d]", argname, subscript) : argname);
}

}  // namespace

UserIdArray CheckUserIdArray(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	ArrayType *array = CheckArrayArg(fcinfo, argno, argname);
	UserIdArray out;
	bool *nulls;
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &out.datums, &nulls, &out.count);
	int lower = LowerBound(array);
	for (int i = 0; i < out.count; i++) {
		if (nulls[i])
			RaiseNullElement(argname, lower + i);
		CheckUserIdValue(out.datums[i], argname, lower + i);
	}
	return out;
}

ExperimentIdArray CheckExperimentIdArray(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	ArrayType *array = CheckArrayArg(fcinfo, argno, argname);
	Datum *datums;
	bool *nulls;
	ExperimentIdArray out;
	deconstruct_array(array, INT4OID, sizeof(int32), true, TYPALIGN_INT, &datums, &nulls, &out.count);
	int lower = LowerBound(array);
	out.ids = AllocArray<int32>(out.count);
	for (int i = 0; i < out.count; i++) {
		if (nulls[i])
			RaiseNullElement(argname, lower + i);
		out.ids[i] = DatumGetInt32(datums[i]);
	}
	return out;
}

Datum CheckUserIdArg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", argname),
						errhint("Pass the user's id as text.")));
	Datum value = PointerGetDatum(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno)));
	CheckUserIdValue(value, argname, 0);
	return value;
}

int32 CheckExperimentIdArg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", argname),
						errhint("Pass the id of a row in exp_assign.experiments.")));
	return PG_GETARG_INT32(argno);
}

bool UserIdFits(Datum value)
{
	int len = VARSIZE_ANY_EXHDR(DatumGetPointer(value));
	return len > 0 && len <= max_user_id_bytes;
}

void CheckUserId(Datum value, const char *label)
{
	if (!UserIdFits(value))
		RaiseBadUserId(value, label);
}

void CheckSameLength(const char *left_name, int left, const char *right_name, int right)
{
	if (left != right)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s has %d elements but %s has %d", left_name, left, right_name, right),
						errhint("exp_assign_bulk pairs element i of each array: pass arrays of the same "
								"length, or use exp_assign_matrix for every user in every experiment.")));
}

void CheckPairCount(int64 pairs)
{
	if (pairs > kMaxPairs)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%lld pairs requested, over the limit of %lld per call", (long long)pairs,
							   (long long)kMaxPairs),
						errhint("Split the request into several calls.")));
}

}  // namespace exp_assign::pg
