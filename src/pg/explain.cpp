// exp_assign_explain: the rule's working for one user and experiment, as
// jsonb, with the same decision the get-or-create functions would take.
#include "pg/postgres.hpp"

#include "core/bucket.hpp"
#include "core/decide.hpp"
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

// An override explain shows, if there is one.
struct ExplainedOverride {
	bool found;
	int32 variant_id;
	TimestampTz created_at;
};

void CopyExplainedOverride(TupleTableSlot *slot, void *arg)
{
	auto *o = static_cast<ExplainedOverride *>(arg);
	o->found = true;
	o->variant_id = DatumGetInt32(slot->tts_values[1]);
	o->created_at = DatumGetTimestampTz(slot->tts_values[2]);
}

// Plain copies of everything the document shows, made before the C++ part
// runs, so building the JSON calls no PostgreSQL function that could ERROR.
struct Facts {
	const char *user;
	const char *seed;
	const char *experiment_key;
	const char *status;
	const char *profile;
	const char *layer_key;
	const char *holdout_key;
	const Experiment *experiment;
	const char **variant_keys;
	Decision decision;  // computed in full: every bucket
	ExplainedRow stored;
	const char *stored_key;
	TimestampTz stored_at;  // as stored: the core reads it (core/utc_time.hpp)
	ExplainedOverride forced;
	const char *forced_key;
};

// What the profile hashes (docs/profiles.md).
std::string HashInput(HashProfile profile, const std::string &user, const std::string &seed)
{
	switch (profile) {
	case HashProfile::kOptimizely:
		return user + seed;
	case HashProfile::kUnleash:
		return seed + ":" + user;
	case HashProfile::kMmh3:
		break;
	}
	return user + ":" + seed;
}

void WriteVariants(const Facts &f, JsonWriter &w)
{
	const Experiment &e = *f.experiment;
	w.Key("variants").BeginArray();
	for (int v = 0; v < e.nvariants; v++) {
		w.BeginObject();
		w.Key("variant_id").Int(e.variant_ids[v]);
		w.Key("variant_key").String(f.variant_keys[v]);
		w.Key("allocation_pct").RawNumber(BasisPointsToPercent(e.basis_points[v]));
		w.Key("bound").Int(e.bounds[v]);
		if (e.profile == HashProfile::kUnleash)
			w.Key("weight").Int(e.weights[v]);
		w.EndObject();
	}
	w.EndArray();
}

void WriteLayerAndHoldout(const Facts &f, JsonWriter &w)
{
	const Experiment &e = *f.experiment;
	const ExperimentRule &rule = e.rule;
	w.Key("layer");
	if (rule.in_layer) {
		std::string seed(rule.layer_seed);
		w.BeginObject();
		w.Key("layer_id").Int(e.layer_id);
		w.Key("layer_key").String(f.layer_key);
		w.Key("seed").String(seed);
		w.Key("hash_input").String(std::string(f.user) + ":" + seed);
		w.Key("bucket").Int(f.decision.layer_bucket);
		w.Key("layer_start").Int(e.layer_start);
		w.Key("layer_end").Int(e.layer_end);
		w.Key("in_range")
			.Bool(f.decision.layer_bucket >= rule.layer_start && f.decision.layer_bucket < rule.layer_end);
		w.EndObject();
	} else {
		w.Null();
	}
	w.Key("holdout");
	if (rule.has_holdout) {
		std::string seed(rule.holdout_seed);
		w.BeginObject();
		w.Key("holdout_id").Int(e.holdout_id);
		w.Key("holdout_key").String(f.holdout_key);
		w.Key("seed").String(seed);
		w.Key("hash_input").String(std::string(f.user) + ":" + seed);
		w.Key("bucket").Int(f.decision.holdout_bucket);
		w.Key("pct").RawNumber(BasisPointsToPercent(rule.holdout_basis_points));
		w.Key("held_out").Bool(f.decision.holdout_bucket < rule.holdout_basis_points);
		w.EndObject();
	} else {
		w.Null();
	}
}

// The decision get-or-create takes, in its order: override, status, stored
// row, paused, holdout, layer, allocation.
void WriteDecision(const Facts &f, JsonWriter &w)
{
	const Experiment &e = *f.experiment;
	const Decision &d = f.decision;
	int64 total = e.nvariants > 0 ? e.bounds[e.nvariants - 1] : 0;
	bool unleash = e.profile == HashProfile::kUnleash;
	const char *decision;
	std::string reason;
	if (e.status == Status::kStopped) {
		decision = "inactive";
		reason = "stopped experiments return no assignment, stored, forced or new";
	} else if (f.forced.found) {
		decision = "override";
		reason = "an override forces the variant, over any stored assignment and the rule";
	} else if (e.status == Status::kDraft) {
		decision = "inactive";
		reason = "draft experiments return no assignment, stored or new (overrides only)";
	} else if (f.stored.found) {
		decision = "existing";
		reason = "a stored assignment wins over the rule, whatever the allocation, seed or version is now";
	} else if (e.status == Status::kPaused) {
		decision = "paused";
		reason = "paused experiments return stored assignments and create none";
	} else if (d.outcome == Outcome::kHeldOut) {
		decision = "held_out";
		reason = "holdout bucket " + std::to_string(d.holdout_bucket) + " is below " +
				 std::to_string(e.rule.holdout_basis_points) + ": held out of the experiment";
	} else if (d.outcome == Outcome::kOutsideLayer) {
		decision = "outside_layer";
		reason = "layer bucket " + std::to_string(d.layer_bucket) + " is outside the experiment's range [" +
				 std::to_string(e.layer_start) + ", " + std::to_string(e.layer_end) + ")";
	} else if (d.outcome == Outcome::kNotEnrolled) {
		decision = "not_enrolled";
		if (unleash)
			reason = "rollout value " + std::to_string(d.bucket / 100 + 1) + " is above rollout_pct " +
					 std::to_string(e.rollout_pct) + ", or every weight is 0";
		else
			reason = "bucket " + std::to_string(d.bucket) + " is at or above the allocated " +
					 std::to_string(total) + " of 10000 buckets";
	} else if (unleash) {
		decision = "new";
		reason = "rollout value " + std::to_string(d.bucket / 100 + 1) + " is within rollout_pct " +
				 std::to_string(e.rollout_pct) + "; the weights choose variant \"" +
				 f.variant_keys[d.choice] + "\"";
	} else {
		decision = "new";
		int64 low = d.choice > 0 ? e.bounds[d.choice - 1] : 0;
		reason = "bucket " + std::to_string(d.bucket) + " falls in [" + std::to_string(low) + ", " +
				 std::to_string(e.bounds[d.choice]) + ") of variant \"" + f.variant_keys[d.choice] + "\"";
	}
	w.Key("decision").String(decision);
	w.Key("reason").String(reason);
}

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
	w.Key("hash_input").String(HashInput(e.profile, f.user, f.seed));
	w.Key("bucket").Int(f.decision.bucket);
	if (e.profile == HashProfile::kUnleash) {
		w.Key("rollout_pct").Int(e.rollout_pct);
		w.Key("rollout_value").Int(f.decision.bucket / 100 + 1);
	}
	WriteVariants(f, w);
	int64 total = e.nvariants > 0 ? e.bounds[e.nvariants - 1] : 0;
	w.Key("allocated_pct").RawNumber(BasisPointsToPercent(total));
	w.Key("rule_variant_id");
	if (f.decision.choice == kNotEnrolled)
		w.Null();
	else
		w.Int(e.variant_ids[f.decision.choice]);
	WriteLayerAndHoldout(f, w);
	w.Key("override");
	if (f.forced.found) {
		w.BeginObject();
		w.Key("variant_id").Int(f.forced.variant_id);
		w.Key("variant_key");
		if (f.forced_key)
			w.String(f.forced_key);
		else
			w.Null();
		w.Key("created_at").String(InstantText(f.forced.created_at, Fraction::kMicroseconds));
		w.EndObject();
	} else {
		w.Null();
	}
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
	WriteDecision(f, w);
	w.EndObject();
}

// A variant key as a C string, or nullptr when the variant is not one of
// the experiment's (deleted since).
const char *VariantKeyText(const Experiment &e, int32 variant_id)
{
	Datum key = VariantKey(e, variant_id);
	return key != Datum(0) ? TextDatumGetCString(key) : nullptr;
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
	f.layer_key = e.rule.in_layer ? TextDatumGetCString(e.layer_key) : nullptr;
	f.holdout_key = e.rule.has_holdout ? TextDatumGetCString(e.holdout_key) : nullptr;
	f.variant_keys = AllocArray<const char *>(e.nvariants);
	for (int v = 0; v < e.nvariants; v++)
		f.variant_keys[v] = TextDatumGetCString(e.variant_keys[v]);

	text *user_text = DatumGetTextPP(user);
	int user_len;
	const char *user_utf8 = ToUtf8(VARDATA_ANY(user_text), VARSIZE_ANY_EXHDR(user_text), &user_len);
	char *scratch = static_cast<char *>(palloc(DecideScratchLength(e.rule, user_len)));
	f.decision = Decide(e.rule, {user_utf8, static_cast<size_t>(user_len)}, scratch, true);

	f.stored.found = false;
	Datum params[2] = {Int4Array(&experiment_id, 1), TextArray(&user, 1)};
	RunPlanStreaming(SqlPlan::kFindExisting, params, 2, true, CopyExplainedRow, &f.stored);
	f.stored_key = f.stored.found ? VariantKeyText(e, f.stored.variant_id) : nullptr;
	f.stored_at = f.stored.found ? f.stored.assigned_at : 0;
	f.forced.found = false;
	if (e.has_overrides)
		RunPlanStreaming(SqlPlan::kFindOverrides, params, 2, true, CopyExplainedOverride, &f.forced);
	f.forced_key = f.forced.found ? VariantKeyText(e, f.forced.variant_id) : nullptr;

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
