// The get-or-create functions' checks of user ids, callable from the SQL of
// the admin functions and triggers, so bad input gets the same SQLSTATE,
// message and HINT wherever it enters.
#include "pg/postgres.hpp"

#include "pg/input.hpp"

using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_check_user_id);
PG_FUNCTION_INFO_V1(exp_assign_check_user_ids);

// check_user_id(user_id text, label text): label names it in the message.
Datum exp_assign_check_user_id(PG_FUNCTION_ARGS)
{
	const char *label = PG_ARGISNULL(1) ? "user_id" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", label),
						errhint("Pass the user's id as text.")));
	CheckUserId(PointerGetDatum(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0))), label);
	PG_RETURN_VOID();
}

// check_user_ids(user_ids text[], argname text)
Datum exp_assign_check_user_ids(PG_FUNCTION_ARGS)
{
	const char *argname = PG_ARGISNULL(1) ? "user_ids" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	CheckUserIdArray(fcinfo, 0, argname);
	PG_RETURN_VOID();
}

}  // extern "C"
