#include "pg/catalog.hpp"

#include <algorithm>

#include "core/rule.hpp"
#include "pg/alloc_array.hpp"
#include "pg/spi_plans.hpp"
#include "pg/utf8.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

namespace exp_assign::pg {

namespace {

// The READ COMMITTED cache (see catalog.hpp).
MemoryContext cache_context = nullptr;
Catalog cached_catalog{0, nullptr};
bool cache_valid = false;
uint64 invalidations = 0;
// The tables the cache is built from: a change to any of them drops it.
const char *const kCatalogTables[] = {"experiments", "variants", "layers", "holdouts", "overrides"};
constexpr int kCatalogTableCount = sizeof(kCatalogTables) / sizeof(kCatalogTables[0]);
Oid cached_relids[kCatalogTableCount];

void ForgetCachedCatalog(Datum, Oid relid)
{
	bool ours = relid == InvalidOid;
	for (int i = 0; i < kCatalogTableCount && !ours; i++)
		ours = relid == cached_relids[i];
	if (ours) {
		cache_valid = false;
		invalidations++;
	}
}

Status ParseStatus(const char *text)
{
	if (strcmp(text, "active") == 0)
		return Status::kActive;
	if (strcmp(text, "paused") == 0)
		return Status::kPaused;
	if (strcmp(text, "stopped") == 0)
		return Status::kStopped;
	return Status::kDraft;
}

}  // namespace

const Experiment *Catalog::Find(int32 id) const
{
	const Experiment *begin = experiments;
	const Experiment *end = begin + count;
	const Experiment *it =
		std::lower_bound(begin, end, id, [](const Experiment &e, int32 wanted) { return e.id < wanted; });
	return it != end && it->id == id ? it : nullptr;
}

Datum VariantKey(const Experiment &experiment, int32 variant_id)
{
	const int32 *begin = experiment.variant_ids;
	const int32 *end = begin + experiment.nvariants;
	const int32 *it = std::lower_bound(begin, end, variant_id);
	return it != end && *it == variant_id ? experiment.variant_keys[it - experiment.variant_ids] : Datum(0);
}

void RaiseUnknownExperiment(int32 id)
{
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("experiment %d does not exist", id),
					errhint("See SELECT id, key, status FROM exp_assign.experiments.")));
	pg_unreachable();
}

namespace {

// A text column as a UTF-8 copy in the current memory context.
const char *Utf8Copy(Datum value, int *len)
{
	text *t = DatumGetTextPP(value);
	const char *utf8 = ToUtf8(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), len);
	return pnstrdup(utf8, *len);
}

// Column numbers of kLoadCatalog (spi_plans.cpp).
enum CatalogColumn {
	kId = 1,
	kStatus,
	kVersion,
	kSeed,
	kProfile,
	kKey,
	kVariantId,
	kBasisPoints,
	kVariantKey,
	kWeight,
	kRolloutPct,
	kLayerId,
	kLayerKey,
	kLayerSeed,
	kLayerStart,
	kLayerEnd,
	kHoldoutId,
	kHoldoutKey,
	kHoldoutSeed,
	kHoldoutBasisPoints,
	kHasOverrides,
};

// The experiment-level columns of a catalog row.
void ReadExperiment(HeapTuple tuple, TupleDesc desc, Experiment *e)
{
	bool isnull;
	e->id = DatumGetInt32(SPI_getbinval(tuple, desc, kId, &isnull));
	e->status_text = datumCopy(SPI_getbinval(tuple, desc, kStatus, &isnull), false, -1);
	e->status = ParseStatus(TextDatumGetCString(e->status_text));
	e->version = DatumGetInt32(SPI_getbinval(tuple, desc, kVersion, &isnull));
	e->seed_text = datumCopy(SPI_getbinval(tuple, desc, kSeed, &isnull), false, -1);
	e->seed = Utf8Copy(e->seed_text, &e->seed_len);
	e->profile_text = datumCopy(SPI_getbinval(tuple, desc, kProfile, &isnull), false, -1);
	char *profile = TextDatumGetCString(e->profile_text);
	if (!ParseHashProfile(profile, &e->profile))
		ereport(
			ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("experiment %d uses hash profile \"%s\", which this build of exp_assign does not know",
					e->id, profile),
			 errhint("Install the exp_assign version that added the profile.")));
	e->key = datumCopy(SPI_getbinval(tuple, desc, kKey, &isnull), false, -1);
	e->rollout_pct = DatumGetInt32(SPI_getbinval(tuple, desc, kRolloutPct, &isnull));
	e->has_overrides = DatumGetBool(SPI_getbinval(tuple, desc, kHasOverrides, &isnull));

	ExperimentRule &rule = e->rule;
	rule.profile = e->profile;
	rule.seed = {e->seed, static_cast<size_t>(e->seed_len)};
	rule.rollout_pct = e->rollout_pct;
	// A layer or holdout row the caller could not see (none: the design
	// function is SECURITY DEFINER) would leave its key NULL: no layer then.
	Datum layer_key = SPI_getbinval(tuple, desc, kLayerKey, &isnull);
	rule.in_layer = !isnull;
	if (rule.in_layer) {
		e->layer_id = DatumGetInt32(SPI_getbinval(tuple, desc, kLayerId, &isnull));
		e->layer_key = datumCopy(layer_key, false, -1);
		int len;
		const char *seed = Utf8Copy(SPI_getbinval(tuple, desc, kLayerSeed, &isnull), &len);
		rule.layer_seed = {seed, static_cast<size_t>(len)};
		e->layer_start = DatumGetInt32(SPI_getbinval(tuple, desc, kLayerStart, &isnull));
		e->layer_end = DatumGetInt32(SPI_getbinval(tuple, desc, kLayerEnd, &isnull));
		rule.layer_start = static_cast<uint32>(e->layer_start);
		rule.layer_end = static_cast<uint32>(e->layer_end);
	}
	Datum holdout_key = SPI_getbinval(tuple, desc, kHoldoutKey, &isnull);
	rule.has_holdout = !isnull;
	if (rule.has_holdout) {
		e->holdout_id = DatumGetInt32(SPI_getbinval(tuple, desc, kHoldoutId, &isnull));
		e->holdout_key = datumCopy(holdout_key, false, -1);
		int len;
		const char *seed = Utf8Copy(SPI_getbinval(tuple, desc, kHoldoutSeed, &isnull), &len);
		rule.holdout_seed = {seed, static_cast<size_t>(len)};
		rule.holdout_basis_points =
			static_cast<uint32>(DatumGetInt32(SPI_getbinval(tuple, desc, kHoldoutBasisPoints, &isnull)));
	}
}

// Runs kLoadCatalog (ids == nullptr: every experiment) in snapshot, or in
// the caller's snapshot when snapshot is nullptr, and builds the result in
// target (SPI calls return in SPI's own context, whatever was current).
Catalog QueryCatalog(const int32 *ids, int count, Snapshot snapshot, MemoryContext target)
{
	Catalog catalog{0, nullptr};
	Datum values[1] = {ids != nullptr ? Int4Array(ids, count) : Datum(0)};
	char nulls[1] = {ids != nullptr ? ' ' : 'n'};
	int rc = snapshot != nullptr ? SPI_execute_snapshot(SpiPlan(SqlPlan::kLoadCatalog), values, nulls,
														snapshot, InvalidSnapshot, true, false, 0)
								 : SPI_execute_plan(SpiPlan(SqlPlan::kLoadCatalog), values, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "exp_assign: loading experiments failed: %s", SPI_result_code_string(rc));

	// One row per (experiment, variant), experiments without variants once
	// with NULL variant columns; ordered by experiment id, then variant id.
	SPITupleTable *table = SPI_tuptable;
	uint64 rows = SPI_processed;
	MemoryContext caller = MemoryContextSwitchTo(target);
	catalog.experiments = AllocZeroedArray<Experiment>(rows);
	int32 *variant_ids = AllocArray<int32>(rows);
	Datum *variant_keys = AllocArray<Datum>(rows);
	int32 *basis_points = AllocArray<int32>(rows);
	int32 *weights = AllocArray<int32>(rows);
	int64 *bounds = AllocArray<int64>(rows);
	uint64 next_variant = 0;
	Experiment *current = nullptr;
	for (uint64 r = 0; r < rows; r++) {
		HeapTuple tuple = table->vals[r];
		TupleDesc desc = table->tupdesc;
		bool isnull;
		int32 id = DatumGetInt32(SPI_getbinval(tuple, desc, kId, &isnull));
		if (current == nullptr || current->id != id) {
			current = &catalog.experiments[catalog.count++];
			ReadExperiment(tuple, desc, current);
			current->variant_ids = variant_ids + next_variant;
			current->variant_keys = variant_keys + next_variant;
			current->basis_points = basis_points + next_variant;
			current->weights = weights + next_variant;
			current->bounds = bounds + next_variant;
		}
		Datum variant_id = SPI_getbinval(tuple, desc, kVariantId, &isnull);
		if (isnull)
			continue;
		variant_ids[next_variant] = DatumGetInt32(variant_id);
		basis_points[next_variant] = DatumGetInt32(SPI_getbinval(tuple, desc, kBasisPoints, &isnull));
		variant_keys[next_variant] = datumCopy(SPI_getbinval(tuple, desc, kVariantKey, &isnull), false, -1);
		weights[next_variant] = DatumGetInt32(SPI_getbinval(tuple, desc, kWeight, &isnull));
		next_variant++;
		current->nvariants++;
	}
	for (int i = 0; i < catalog.count; i++) {
		Experiment &e = catalog.experiments[i];
		RunningBounds(e.basis_points, e.bounds, e.nvariants);
		e.rule.nvariants = e.nvariants;
		e.rule.bounds = e.bounds;
		e.rule.weights = e.weights;
	}
	MemoryContextSwitchTo(caller);
	return catalog;
}

}  // namespace

Catalog LoadCatalogInSnapshot(const int32 *ids, int count)
{
	if (count == 0)
		return Catalog{0, nullptr};
	// Only this path reads ids: once each, the query's array kept small.
	int32 *distinct = AllocArray<int32>(count);
	memcpy(distinct, ids, sizeof(int32) * count);
	std::sort(distinct, distinct + count);
	int n = static_cast<int>(std::unique(distinct, distinct + count) - distinct);
	return QueryCatalog(distinct, n, nullptr, CurrentMemoryContext);
}

Catalog LoadCatalog(const int32 *ids, int count)
{
	// The cache needs the latest snapshot, which only READ COMMITTED may
	// use and parallel mode may not take.
	if (XactIsoLevel != XACT_READ_COMMITTED || IsInParallelMode())
		return LoadCatalogInSnapshot(ids, count);
	if (cache_valid)
		return cached_catalog;

	uint64 seen = invalidations;
	// Built in a context of its own, kept only once complete.
	MemoryContext fresh =
		// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): PostgreSQL's ALLOCSET_*_SIZES
		AllocSetContextCreate(CurrentMemoryContext, "exp_assign catalog cache", ALLOCSET_SMALL_SIZES);
	Catalog catalog = QueryCatalog(nullptr, 0, GetLatestSnapshot(), fresh);

	// A call still holding the previous cache (one that called us, say, from
	// a trigger) keeps it until the end of the transaction.
	if (cache_context != nullptr)
		MemoryContextSetParent(cache_context, TopTransactionContext);
	MemoryContextSetParent(fresh, CacheMemoryContext);
	cache_context = fresh;
	cached_catalog = catalog;
	Oid schema = get_namespace_oid("exp_assign", false);
	for (int i = 0; i < kCatalogTableCount; i++)
		cached_relids[i] = get_relname_relid(kCatalogTables[i], schema);
	// An invalidation that arrived while loading may describe a change this
	// snapshot missed: use the result for this call, load again next time.
	cache_valid = invalidations == seen;
	return catalog;
}

void InstallCatalogInvalidation()
{
	CacheRegisterRelcacheCallback(ForgetCachedCatalog, 0);
}

}  // namespace exp_assign::pg

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_catalog_changed);

// Statement trigger on experiments and variants: every backend's catalog
// cache is dropped when the change becomes visible to it.
Datum exp_assign_catalog_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "exp_assign_catalog_changed must be called as a trigger");
	CacheInvalidateRelcache(reinterpret_cast<TriggerData *>(fcinfo->context)->tg_relation);
	return PointerGetDatum(nullptr);
}

}  // extern "C"
