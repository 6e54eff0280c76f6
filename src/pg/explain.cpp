// exp_assign_explain: the rule's working for one user and experiment, as
// jsonb, with the same decision the get-or-create functions would take.
#include "pg/postgres.hpp"

#include "core/bucket.hpp"
#include "core/json.hpp"
#include "core/rule.hpp"
#include "core/utc_time.hpp"
#include "pg/alloc_array.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg/input.hpp"
#include "pg/spi_plans.hpp"
#include "pg/utf8.hpp"

namespace exp_assign::pg {

namespace {

// The stored assignment explain shows, if there is one.
struct ExplainedRow {
	bool found;
	int32 variant_id;
	int32 version;
	TimestampTz assigned_at;
};

void CopyExplainedRow(TupleTableSlot *slot, void *arg)
{
	auto *row = static_cast<ExplainedRow *>(arg);
	row->found = true;
	row->variant_id = DatumGetInt32(slot->tts_values[1]);
	row->version = DatumGetInt32(slot->tts_values[2]);
	row->assigned_at = DatumGetTimestampTz(slot->tts_values[3]);
}

// Plain copies of everything the document shows, made before the C++ part
// runs, so building the JSON calls no PostgreSQL function that could ERROR.
struct Facts {
	const char *user;
	const char *seed;
	const char *experiment_key;
	const char *status;
	const char *profile;
	const Experiment *experiment;
	const char **variant_keys;
	uint32 bucket;
	int32 choice;
	ExplainedRow stored;
	const char *stored_key;
	TimestampTz stored_at;  // as stored: the core reads it (core/utc_time.hpp)
};

void WriteDocument(const Facts &f, JsonWriter &w)
{
	const Experiment &e = *f.experiment;
	w.BeginObject();
	w.Key("user_id").String(f.user);
	w.Key("experiment_id").Int(e.id);
	w.Key("experiment_key").String(f.experiment_key);
	w.Key("status").String(f.status);
	w.Key("version").Int(e.version);
	w.Key("hash_profile").String(f.profile);
	w.Key("seed").String(f.seed);
	w.Key("hash_input").String(std::string(f.user) + ":" + f.seed);
	w.Key("bucket").Int(f.bucket);
	w.Key("variants").BeginArray();
	for (int v = 0; v < e.nvariants; v++) {
		w.BeginObject();
		w.Key("variant_id").Int(e.variant_ids[v]);
		w.Key("variant_key").String(f.variant_keys[v]);
		w.Key("allocation_pct").RawNumber(BasisPointsToPercent(e.basis_points[v]));
		w.Key("bound").Int(e.bounds[v]);
		w.EndObject();
	}
	w.EndArray();
	int64 total = e.nvariants > 0 ? e.bounds[e.nvariants - 1] : 0;
	w.Key("allocated_pct").RawNumber(BasisPointsToPercent(total));
	w.Key("rule_variant_id");
	if (f.choice == kNotEnrolled)
		w.Null();
	else
		w.Int(e.variant_ids[f.choice]);
	w.Key("stored");
	if (f.stored.found) {
		w.BeginObject();
		w.Key("variant_id").Int(f.stored.variant_id);
		w.Key("variant_key");
		if (f.stored_key)
			w.String(f.stored_key);
		else
			w.Null();
		w.Key("version").Int(f.stored.version);
		w.Key("assigned_at").String(InstantText(f.stored_at, Fraction::kMicroseconds));
		w.EndObject();
	} else {
		w.Null();
	}

	const char *decision;
	std::string reason;
	bool live = e.status == Status::kActive || e.status == Status::kPaused;
	if (!live) {
		decision = "inactive";
		reason = std::string(f.status) + " experiments return no assignment, stored or new";
	} else if (f.stored.found) {
		decision = "existing";
		reason = "a stored assignment wins over the rule, whatever the allocation, seed or version is now";
	} else if (e.status == Status::kPaused) {
		decision = "paused";
		reason = "paused experiments return stored assignments and create none";
	} else if (f.choice == kNotEnrolled) {
		decision = "not_enrolled";
		reason = "bucket " + std::to_string(f.bucket) + " is at or above the allocated " +
				 std::to_string(total) + " of 10000 buckets";
	} else {
		decision = "new";
		int64 low = f.choice > 0 ? e.bounds[f.choice - 1] : 0;
		reason = "bucket " + std::to_string(f.bucket) + " falls in [" + std::to_string(low) + ", " +
				 std::to_string(e.bounds[f.choice]) + ") of variant \"" + f.variant_keys[f.choice] + "\"";
	}
	w.Key("decision").String(decision);
	w.Key("reason").String(reason);
	w.EndObject();
}

}  // namespace

}  // namespace exp_assign::pg

using namespace exp_assign;
using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_explain);

// exp_assign_explain(user_id text, experiment_id int) -> jsonb
Datum exp_assign_explain(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("user_id must not be NULL"),
						errhint("Pass the user's id as text.")));
	Datum user = PointerGetDatum(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0)));
	int32 experiment_id = CheckExperimentIdArg(fcinfo, 1, "experiment_id");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "exp_assign: SPI_connect failed");
	Catalog catalog = LoadCatalog(&experiment_id, 1);
	const Experiment *found = catalog.Find(experiment_id);
	if (found == nullptr)
		RaiseUnknownExperiment(experiment_id);
	const Experiment &e = *found;

	Facts f;
	f.experiment = &e;
	f.user = TextDatumGetCString(user);
	f.seed = TextDatumGetCString(e.seed_text);
	f.experiment_key = TextDatumGetCString(e.key);
	f.status = TextDatumGetCString(e.status_text);
	f.profile = TextDatumGetCString(e.profile_text);
	f.variant_keys = AllocArray<const char *>(e.nvariants);
	for (int v = 0; v < e.nvariants; v++)
		f.variant_keys[v] = TextDatumGetCString(e.variant_keys[v]);

	text *user_text = DatumGetTextPP(user);
	int user_len;
	const char *user_utf8 = ToUtf8(VARDATA_ANY(user_text), VARSIZE_ANY_EXHDR(user_text), &user_len);
	char *scratch = static_cast<char *>(palloc(BucketKeyLength(user_len, e.seed_len)));
	f.bucket = BucketOf(e.profile, {user_utf8, static_cast<size_t>(user_len)},
						{e.seed, static_cast<size_t>(e.seed_len)}, scratch);
	f.choice = ChooseVariant(e.bounds, e.nvariants, f.bucket);

	f.stored.found = false;
	Datum params[2] = {Int4Array(&experiment_id, 1), TextArray(&user, 1)};
	RunPlanStreaming(SqlPlan::kFindExisting, params, 2, true, CopyExplainedRow, &f.stored);
	f.stored_key = nullptr;
	f.stored_at = 0;
	if (f.stored.found) {
		Datum key = VariantKey(e, f.stored.variant_id);
		f.stored_key = key != Datum(0) ? TextDatumGetCString(key) : nullptr;
		f.stored_at = f.stored.assigned_at;
	}

	char *json = nullptr;
	CallCore("exp_assign_explain", [&] {
		JsonWriter writer;
		WriteDocument(f, writer);
		json = CopyToPalloc(writer.Text().data(), writer.Text().size());
	});
	Datum result = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

}  // extern "C"
