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
Oid cached_relids[2] = {InvalidOid, InvalidOid};  // experiments, variants

void ForgetCachedCatalog(Datum, Oid relid)
{
	if (relid == InvalidOid || relid == cached_relids[0] || relid == cached_relids[1]) {
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
	int64 *bounds = AllocArray<int64>(rows);
	uint64 next_variant = 0;
	Experiment *current = nullptr;
	for (uint64 r = 0; r < rows; r++) {
		HeapTuple tuple = table->vals[r];
		TupleDesc desc = table->tupdesc;
		bool isnull;
		int32 id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		if (current == nullptr || current->id != id) {
			current = &catalog.experiments[catalog.count++];
			current->id = id;
			current->status_text = datumCopy(SPI_getbinval(tuple, desc, 2, &isnull), false, -1);
			current->status = ParseStatus(TextDatumGetCString(current->status_text));
			current->version = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));
			current->seed_text = datumCopy(SPI_getbinval(tuple, desc, 4, &isnull), false, -1);
			text *seed = DatumGetTextPP(current->seed_text);
			const char *seed_utf8 = ToUtf8(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed), &current->seed_len);
			current->seed = pnstrdup(seed_utf8, current->seed_len);
			current->profile_text = datumCopy(SPI_getbinval(tuple, desc, 5, &isnull), false, -1);
			char *profile = TextDatumGetCString(current->profile_text);
			if (!ParseHashProfile(profile, &current->profile))
				ereport(
					ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg(
						 "experiment %d uses hash profile \"%s\", which this build of exp_assign does not know",
						 id, profile),
					 errhint("Install the exp_assign version that added the profile.")));
			current->key = datumCopy(SPI_getbinval(tuple, desc, 6, &isnull), false, -1);
			current->variant_ids = variant_ids + next_variant;
			current->variant_keys = variant_keys + next_variant;
			current->basis_points = basis_points + next_variant;
			current->bounds = bounds + next_variant;
		}
		Datum variant_id = SPI_getbinval(tuple, desc, 7, &isnull);
		if (isnull)
			continue;
		variant_ids[next_variant] = DatumGetInt32(variant_id);
		basis_points[next_variant] = DatumGetInt32(SPI_getbinval(tuple, desc, 8, &isnull));
		variant_keys[next_variant] = datumCopy(SPI_getbinval(tuple, desc, 9, &isnull), false, -1);
		next_variant++;
		current->nvariants++;
	}
	for (int i = 0; i < catalog.count; i++) {
		Experiment &e = catalog.experiments[i];
		RunningBounds(e.basis_points, e.bounds, e.nvariants);
	}
	MemoryContextSwitchTo(caller);
	return catalog;
}

}  // namespace

Catalog LoadCatalog(const int32 *ids, int count)
{
	// The cache needs the latest snapshot, which only READ COMMITTED may
	// use and parallel mode may not take.
	if (XactIsoLevel != XACT_READ_COMMITTED || IsInParallelMode()) {
		if (count == 0)
			return Catalog{0, nullptr};
		// Only this path reads ids: once each, the query's array kept small.
		int32 *distinct = AllocArray<int32>(count);
		memcpy(distinct, ids, sizeof(int32) * count);
		std::sort(distinct, distinct + count);
		int n = static_cast<int>(std::unique(distinct, distinct + count) - distinct);
		return QueryCatalog(distinct, n, nullptr, CurrentMemoryContext);
	}
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
	cached_relids[0] = get_relname_relid("experiments", schema);
	cached_relids[1] = get_relname_relid("variants", schema);
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
