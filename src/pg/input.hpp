// Checks of SQL arguments: each kind of bad input raises one SQLSTATE
// (DESIGN.md section 4) with a message naming the element and a HINT.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

// A checked text[] of user ids: one dimension, no NULL, none empty or too long.
struct UserIdArray {
	int count;
	Datum *datums;  // the elements, pointing into the detoasted array
};

// A checked int[] of experiment ids: one dimension, no NULL.
struct ExperimentIdArray {
	int count;
	int32 *ids;
};

UserIdArray CheckUserIdArray(FunctionCallInfo fcinfo, int argno, const char *argname);
ExperimentIdArray CheckExperimentIdArray(FunctionCallInfo fcinfo, int argno, const char *argname);

// A single user id or experiment id argument.
Datum CheckUserIdArg(FunctionCallInfo fcinfo, int argno, const char *argname);
int32 CheckExperimentIdArg(FunctionCallInfo fcinfo, int argno, const char *argname);

// A user id from elsewhere (a query's row): label names it in the message.
// UserIdFits tells first, so the label is only built for the error.
bool UserIdFits(Datum value);
void CheckUserId(Datum value, const char *label);

// The pairwise form pairs element i of each array, so the lengths must match.
void CheckSameLength(const char *left_name, int left, const char *right_name, int right);

// Raises 54000 when users x experiments pairs exceed what one call handles.
void CheckPairCount(int64 pairs);

}  // namespace exp_assign::pg
