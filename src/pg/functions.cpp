// SQL entry points of the rule and the get-or-create family. Each one checks
// its arguments, shapes them into pairs and hands them to ResolvePairs.
#include "pg/postgres.hpp"

#include "core/bucket.hpp"
#include "pg/alloc_array.hpp"
#include "pg/catalog.hpp"
#include "pg/get_or_create.hpp"
#include "pg/input.hpp"
#include "pg/utf8.hpp"

namespace exp_assign::pg {

namespace {

Pair MakePair(int32 experiment_id, Datum user, uint32 position, uint32 tag)
{
	return Pair{experiment_id, static_cast<uint32_t>(VARSIZE_ANY_EXHDR(DatumGetPointer(user))),
				VARDATA_ANY(DatumGetPointer(user)), position, tag};
}

// One user in many experiments: exp_assign_user and exp_assign_peek.
Datum ResolveOneUser(FunctionCallInfo fcinfo, Mode mode)
{
	Datum *user = AllocArray<Datum>(1);
	*user = CheckUserIdArg(fcinfo, 0, "user_id");
	ExperimentIdArray experiments = CheckExperimentIdArray(fcinfo, 1, "experiment_ids");
	CheckPairCount(experiments.count);
	Pair *pairs = AllocArray<Pair>(experiments.count);
	for (int i = 0; i < experiments.count; i++)
		pairs[i] = MakePair(experiments.ids[i], *user, i, 0);
	ResolvePairs(fcinfo, pairs, experiments.count, user, mode);
	return Datum(0);
}

// Every user in every experiment: exp_assign_matrix and exp_assign_warm.
Datum ResolveMatrix(FunctionCallInfo fcinfo, Mode mode)
{
	UserIdArray users = CheckUserIdArray(fcinfo, 0, "user_ids");
	ExperimentIdArray experiments = CheckExperimentIdArray(fcinfo, 1, "experiment_ids");
	int64 count = static_cast<int64>(users.count) * experiments.count;
	CheckPairCount(count);
	Pair *pairs = AllocArray<Pair>(count);
	uint32 position = 0;
	for (int u = 0; u < users.count; u++) {
		for (int e = 0; e < experiments.count; e++, position++)
			pairs[position] = MakePair(experiments.ids[e], users.datums[u], position, u);
	}
	ResolvePairs(fcinfo, pairs, count, users.datums, mode);
	return Datum(0);
}

}  // namespace

}  // namespace exp_assign::pg

using namespace exp_assign;
using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_bucket);
PG_FUNCTION_INFO_V1(exp_assign_bulk);
PG_FUNCTION_INFO_V1(exp_assign_user);
PG_FUNCTION_INFO_V1(exp_assign_cohort);
PG_FUNCTION_INFO_V1(exp_assign_matrix);
PG_FUNCTION_INFO_V1(exp_assign_peek);
PG_FUNCTION_INFO_V1(exp_assign_warm);

// exp_assign_bucket(user_id text, seed text) -> int: the hash half of the rule.
Datum exp_assign_bucket(PG_FUNCTION_ARGS)
{
	text *user = PG_GETARG_TEXT_PP(0);
	text *seed = PG_GETARG_TEXT_PP(1);
	int user_len, seed_len;
	const char *user_utf8 = ToUtf8(VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), &user_len);
	const char *seed_utf8 = ToUtf8(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed), &seed_len);
	char *scratch = static_cast<char *>(palloc(BucketKeyLength(user_len, seed_len)));
	uint32 bucket = BucketOf(HashProfile::kMmh3, {user_utf8, static_cast<size_t>(user_len)},
							 {seed_utf8, static_cast<size_t>(seed_len)}, scratch);
	pfree(scratch);
	PG_RETURN_INT32(static_cast<int32>(bucket));
}

// exp_assign_bulk(user_ids text[], experiment_ids int[]): pairs by position.
Datum exp_assign_bulk(PG_FUNCTION_ARGS)
{
	UserIdArray users = CheckUserIdArray(fcinfo, 0, "user_ids");
	ExperimentIdArray experiments = CheckExperimentIdArray(fcinfo, 1, "experiment_ids");
	CheckSameLength("user_ids", users.count, "experiment_ids", experiments.count);
	CheckPairCount(users.count);
	Pair *pairs = AllocArray<Pair>(users.count);
	for (int i = 0; i < users.count; i++)
		pairs[i] = MakePair(experiments.ids[i], users.datums[i], i, i);
	ResolvePairs(fcinfo, pairs, users.count, users.datums, Mode::kGetOrCreate);
	return Datum(0);
}

// exp_assign_user(user_id text, experiment_ids int[]): page load.
Datum exp_assign_user(PG_FUNCTION_ARGS)
{
	return ResolveOneUser(fcinfo, Mode::kGetOrCreate);
}

// exp_assign_cohort(experiment_id int, user_ids text[]): many users, one experiment.
Datum exp_assign_cohort(PG_FUNCTION_ARGS)
{
	int32 experiment_id = CheckExperimentIdArg(fcinfo, 0, "experiment_id");
	UserIdArray users = CheckUserIdArray(fcinfo, 1, "user_ids");
	CheckPairCount(users.count);
	Pair *pairs = AllocArray<Pair>(users.count);
	for (int i = 0; i < users.count; i++)
		pairs[i] = MakePair(experiment_id, users.datums[i], i, i);
	ResolvePairs(fcinfo, pairs, users.count, users.datums, Mode::kGetOrCreate);
	return Datum(0);
}

// exp_assign_matrix(user_ids text[], experiment_ids int[]): every user in every experiment.
Datum exp_assign_matrix(PG_FUNCTION_ARGS)
{
	return ResolveMatrix(fcinfo, Mode::kGetOrCreate);
}

// exp_assign_warm(user_ids text[], experiment_ids int[]): exp_assign_matrix,
// and every row it returns is queued for Redis, stored rows included.
Datum exp_assign_warm(PG_FUNCTION_ARGS)
{
	return ResolveMatrix(fcinfo, Mode::kWarm);
}

// exp_assign_peek(user_id text, experiment_ids int[]): what exp_assign_user
// would return, without writing.
Datum exp_assign_peek(PG_FUNCTION_ARGS)
{
	return ResolveOneUser(fcinfo, Mode::kPeek);
}

}  // extern "C"
