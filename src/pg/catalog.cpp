#include "pg/catalog.hpp"

#include <algorithm>

#include "core/rule.hpp"
#include "pg/spi_plans.hpp"

namespace exp_assign::pg {

namespace {

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
	const Experiment *it = std::lower_bound(
		begin, end, id, [](const Experiment &e, int32 wanted) { return e.id < wanted; });
	return it != end && it->id == id ? it : nullptr;
}

Datum VariantKey(const Experiment &experiment, int32 variant_id)
{
	const int32 *begin = experiment.variant_ids;
	const int32 *end = begin + experiment.nvariants;
	const int32 *it = std::lower_bound(begin, end, variant_id);
	return it != end && *it == variant_id ? experiment.variant_keys[it - experiment.variant_ids]
										  : Datum(0);
}

const char *ToUtf8(const char *data, int len, int *utf8_len)
{
	int encoding = GetDatabaseEncoding();
	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII) {
		*utf8_len = len;
		return data;
	}
	const char *converted = reinterpret_cast<const char *>(
		pg_server_to_any(data, len, PG_UTF8));
	*utf8_len = converted == data ? len : static_cast<int>(strlen(converted));
	return converted;
}

void RaiseUnknownExperiment(int32 id)
{
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("experiment %d does not exist", id),
					errhint("See SELECT id, key, status FROM exp_assign.experiments.")));
	pg_unreachable();
}

Catalog LoadCatalog(const int32 *ids, int count)
{
	Catalog catalog{0, nullptr};
	if (count == 0)
		return catalog;
	Datum values[1] = {Int4Array(ids, count)};
	char nulls[1] = {' '};
	int rc = SPI_execute_plan(SpiPlan(SqlPlan::kLoadCatalog), values, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "exp_assign: loading experiments failed: %s", SPI_result_code_string(rc));

	// One row per (experiment, variant), experiments without variants once
	// with NULL variant columns; ordered by experiment id, then variant id.
	SPITupleTable *table = SPI_tuptable;
	uint64 rows = SPI_processed;
	catalog.experiments = static_cast<Experiment *>(palloc0(sizeof(Experiment) * count));
	int32 *variant_ids = static_cast<int32 *>(palloc(sizeof(int32) * (rows + 1)));
	Datum *variant_keys = static_cast<Datum *>(palloc(sizeof(Datum) * (rows + 1)));
	int32 *basis_points = static_cast<int32 *>(palloc(sizeof(int32) * (rows + 1)));
	int64 *bounds = static_cast<int64 *>(palloc(sizeof(int64) * (rows + 1)));
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
			current->status_text = SPI_getbinval(tuple, desc, 2, &isnull);
			current->status = ParseStatus(TextDatumGetCString(current->status_text));
			current->version = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));
			current->seed_text = SPI_getbinval(tuple, desc, 4, &isnull);
			text *seed = DatumGetTextPP(current->seed_text);
			current->seed = ToUtf8(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed), &current->seed_len);
			current->profile_text = SPI_getbinval(tuple, desc, 5, &isnull);
			char *profile = TextDatumGetCString(current->profile_text);
			if (!ParseHashProfile(profile, &current->profile))
				ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("experiment %d uses hash profile \"%s\", which this build of exp_assign does not know",
									   id, profile),
								errhint("Install the exp_assign version that added the profile.")));
			current->key = SPI_getbinval(tuple, desc, 6, &isnull);
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
		variant_keys[next_variant] = SPI_getbinval(tuple, desc, 9, &isnull);
		next_variant++;
		current->nvariants++;
	}
	for (int i = 0; i < catalog.count; i++) {
		Experiment &e = catalog.experiments[i];
		RunningBounds(e.basis_points, e.bounds, e.nvariants);
	}
	return catalog;
}

}  // namespace exp_assign::pg
