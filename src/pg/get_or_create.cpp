#include "pg/get_or_create.hpp"

#include "core/decide.hpp"
#include "core/rule.hpp"
#include "pg/alloc_array.hpp"
#include "pg/catalog.hpp"
#include "pg/spi_plans.hpp"
#include "pg/stored_rows.hpp"
#include "pg/utf8.hpp"

extern "C" {
#include "storage/proc.h"
}

namespace exp_assign::pg {

namespace {

// Inserting a pair that loses a race and whose winner is then deleted again
// before we re-read it is retried this many times before the caller is asked
// to retry the whole call.
constexpr int kMaxInsertRounds = 3;

enum class Source : uint8 { kNone, kPending, kExisting, kNew, kComputed, kOverride };

// Everything one call knows about its distinct pairs, in parallel arrays
// indexed like pairs (sorted into lock order).
struct Resolution {
	Pair *pairs;
	size_t count;
	const Datum *user_datums;
	Catalog catalog;
	const Experiment **experiment;  // nullptr: unknown, stopped, or draft without overrides
	Source *source;
	int32 *variant_id;
	int32 *version;
	TimestampTz *assigned_at;
	const uint32 *lookup;  // pair indices of the statement running now
};

void MarkPairExisting(size_t k, const StoredAssignment &row, void *arg)
{
	auto *r = static_cast<Resolution *>(arg);
	uint32 i = r->lookup[k];
	r->source[i] = Source::kExisting;
	r->variant_id[i] = row.variant_id;
	r->version[i] = row.version;
	r->assigned_at[i] = row.assigned_at;
}

// An override row of kFindOverrides: column 1 is the position in lookup.
void MarkPairOverridden(TupleTableSlot *slot, void *arg)
{
	auto *r = static_cast<Resolution *>(arg);
	uint32 i = r->lookup[DatumGetInt32(slot->tts_values[0]) - 1];
	int32 variant_id = DatumGetInt32(slot->tts_values[1]);
	// A variant deleted since the catalog was read: its override goes with it.
	if (VariantKey(*r->experiment[i], variant_id) == Datum(0))
		return;
	r->source[i] = Source::kOverride;
	r->variant_id[i] = variant_id;
	r->version[i] = r->experiment[i]->version;
	r->assigned_at[i] = DatumGetTimestampTz(slot->tts_values[2]);
}

void OnInsertedRow(TupleTableSlot *slot, void *arg)
{
	auto *r = static_cast<Resolution *>(arg);
	text *user = DatumGetTextPP(slot->tts_values[1]);
	Pair key{DatumGetInt32(slot->tts_values[0]), static_cast<uint32_t>(VARSIZE_ANY_EXHDR(user)),
			 VARDATA_ANY(user), 0, 0};
	ptrdiff_t i = FindPair(r->pairs, r->count, key);
	if (i < 0)
		elog(ERROR, "exp_assign: inserted a pair that was not requested");
	r->source[i] = Source::kNew;
	r->assigned_at[i] = DatumGetTimestampTz(slot->tts_values[2]);
}

// The experiment ids and user id datums of the pairs listed in indices.
void PairColumns(const Resolution &r, const uint32 *indices, size_t n, int32 **ids, Datum **users)
{
	*ids = AllocArray<int32>(n);
	*users = AllocArray<Datum>(n);
	for (size_t k = 0; k < n; k++) {
		const Pair &p = r.pairs[indices[k]];
		(*ids)[k] = p.experiment_id;
		(*users)[k] = r.user_datums[p.tag];
	}
}

// Pair columns of the rows listed in indices, as plan parameters.
void PairParams(const Resolution &r, const uint32 *indices, size_t n, Datum *experiment_ids, Datum *user_ids)
{
	int32 *ids;
	Datum *users;
	PairColumns(r, indices, n, &ids, &users);
	*experiment_ids = Int4Array(ids, static_cast<int>(n));
	*user_ids = TextArray(users, static_cast<int>(n));
	pfree(ids);
	pfree(users);
}

// Marks the stored rows among the listed pairs 'existing'. Without
// read_only, it reads in a new snapshot, as a new statement would, so under
// READ COMMITTED it sees rows that concurrent transactions committed meanwhile.
void FindStored(Resolution &r, const uint32 *indices, size_t n, bool read_only)
{
	if (n == 0)
		return;
	int32 *ids;
	Datum *users;
	PairColumns(r, indices, n, &ids, &users);
	r.lookup = indices;
	ReadStoredRows(ids, users, n, !read_only, MarkPairExisting, &r);
	pfree(ids);
	pfree(users);
}

// Marks the overridden pairs among the listed ones 'override', in the
// statement's snapshot like any query.
void FindOverrides(Resolution &r, const uint32 *indices, size_t n, bool read_only)
{
	if (n == 0)
		return;
	Datum params[2];
	PairParams(r, indices, n, &params[0], &params[1]);
	r.lookup = indices;
	RunPlanStreaming(SqlPlan::kFindOverrides, params, 2, read_only, MarkPairOverridden, &r);
}

// What a call's sample of stored rows says about the rest.
enum class Expect : uint8 {
	kStored,  // look every pair up first (small calls, or many stored rows)
	kMixed,  // insert first; ON CONFLICT finds the stored rows
	kAllNew,  // insert first without ON CONFLICT, falling back to kMixed
};

// Judges a large call by looking up an evenly spaced sample of its pairs
// (which then count as looked up). Inserting first saves a primary-key
// descent per new pair: the insert checks for a conflict anyway. A stored
// pair costs the insert's check plus a re-read, about three descents
// against one, hence the threshold of a quarter. With no stored row in the
// sample, even the insert's conflict check is skipped. Small calls (a page
// load) look everything up.
Expect SampleStored(Resolution &r, const uint32 *live, size_t nlive)
{
	constexpr size_t kSmallCall = 256;
	constexpr size_t kSample = 32;
	if (nlive < kSmallCall)
		return Expect::kStored;
	uint32 sample[kSample];
	for (size_t k = 0; k < kSample; k++)
		sample[k] = live[k * nlive / kSample];
	FindStored(r, sample, kSample, false);
	size_t stored = 0;
	for (size_t k = 0; k < kSample; k++)
		stored += r.source[sample[k]] == Source::kExisting;
	if (stored * 4 >= kSample)
		return Expect::kStored;
	return stored == 0 ? Expect::kAllNew : Expect::kMixed;
}

// Inserts the listed pairs (in lock order); those another transaction stored
// first stay kPending.
void InsertPending(Resolution &r, const uint32 *indices, size_t n, SqlPlan plan)
{
	Datum params[4];
	PairParams(r, indices, n, &params[0], &params[1]);
	int32 *variants = AllocArray<int32>(n);
	int32 *versions = AllocArray<int32>(n);
	for (size_t k = 0; k < n; k++) {
		variants[k] = r.variant_id[indices[k]];
		versions[k] = r.version[indices[k]];
	}
	params[2] = Int4Array(variants, static_cast<int>(n));
	params[3] = Int4Array(versions, static_cast<int>(n));
	RunPlanStreaming(plan, params, 4, false, OnInsertedRow, &r);
}

// Each subtransaction that writes keeps its XID in the backend's PGPROC
// until the transaction ends; past PGPROC_MAX_CACHED_SUBXIDS (64) the cache
// overflows and every other backend's snapshot checks must consult
// pg_subtrans, a slowdown for the whole server. A script calling large
// cohorts in a loop inside one transaction would get there, so the plain
// insert is only tried while half the cache is free (the rest is left to
// the application's own savepoints).
bool SubtransactionAffordable()
{
	return !MyProc->subxidStatus.overflowed && MyProc->subxidStatus.count < PGPROC_MAX_CACHED_SUBXIDS / 2;
}

// Inserts pairs believed new with a plain INSERT, in a subtransaction: one
// that finds a stored pair (23505) is rolled back whole and returns false,
// every pair still kPending, and the caller goes on with ON CONFLICT. Any
// other error propagates. Plain C structs only in this frame: PG_TRY.
bool InsertAllNew(Resolution &r, const uint32 *indices, size_t n)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	BeginInternalSubTransaction(nullptr);
	MemoryContextSwitchTo(context);
	bool inserted = false;
	PG_TRY();
	{
		InsertPending(r, indices, n, SqlPlan::kInsertNew);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
		inserted = true;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		ErrorData *error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
		if (error->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
			ReThrowError(error);
		FreeErrorData(error);
	}
	PG_END_TRY();
	if (!inserted) {
		for (size_t k = 0; k < n; k++)
			r.source[indices[k]] = Source::kPending;
	}
	return inserted;
}

// Keeps the indices whose pair is still kPending; returns how many.
size_t KeepPending(const Resolution &r, uint32 *indices, size_t n)
{
	size_t kept = 0;
	for (size_t k = 0; k < n; k++) {
		if (r.source[indices[k]] == Source::kPending)
			indices[kept++] = indices[k];
	}
	return kept;
}

[[noreturn]] void RaiseReadOnly(const Resolution &r, uint32 i)
{
	const Pair &p = r.pairs[i];
	ereport(
		ERROR,
		(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
		 errmsg("cannot create the assignment of user \"%.*s\" in experiment %d in a read-only transaction",
				static_cast<int>(p.user_len), p.user, p.experiment_id),
		 errhint("Use exp_assign_peek(), which never writes, on a standby or in a read-only transaction.")));
	pg_unreachable();
}

// Decides the variant of every live, active pair that has no stored row.
// Returns the pairs to insert (kPending) in lock order, or marks them
// kComputed when peeking.
size_t DecideMissing(Resolution &r, const uint32 *live, size_t nlive, Mode mode, uint32 *pending)
{
	size_t npending = 0;
	size_t scratch_size = 256;
	char *scratch = static_cast<char *>(palloc(scratch_size));
	for (size_t k = 0; k < nlive; k++) {
		uint32 i = live[k];
		const Experiment *e = r.experiment[i];
		if (r.source[i] != Source::kNone || e->status != Status::kActive)
			continue;
		int user_len;
		const char *user = ToUtf8(r.pairs[i].user, static_cast<int>(r.pairs[i].user_len), &user_len);
		size_t needed = DecideScratchLength(e->rule, user_len);
		if (needed > scratch_size) {
			scratch_size = needed * 2;
			scratch = static_cast<char *>(repalloc(scratch, scratch_size));
		}
		Decision decision = Decide(e->rule, {user, static_cast<size_t>(user_len)}, scratch);
		if (decision.outcome != Outcome::kVariant)
			continue;
		r.variant_id[i] = e->variant_ids[decision.choice];
		r.version[i] = e->version;
		if (mode == Mode::kPeek) {
			r.source[i] = Source::kComputed;
		} else {
			r.source[i] = Source::kPending;
			pending[npending++] = i;
		}
	}
	pfree(scratch);
	return npending;
}

// Inserts what is missing; a pair lost to a concurrent transaction comes
// back as 'existing' from a re-read in a new statement.
void StorePending(Resolution &r, uint32 *pending, size_t npending, Expect expect)
{
	if (npending == 0)
		return;
	if (XactReadOnly)
		RaiseReadOnly(r, pending[0]);
	if (expect == Expect::kAllNew && SubtransactionAffordable() && InsertAllNew(r, pending, npending))
		npending = KeepPending(r, pending, npending);
	for (int round = 0; round < kMaxInsertRounds && npending > 0; round++) {
		InsertPending(r, pending, npending, SqlPlan::kInsert);
		npending = KeepPending(r, pending, npending);
		FindStored(r, pending, npending, false);
		npending = KeepPending(r, pending, npending);
	}
	if (npending > 0)
		ereport(
			ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg(
				 "could not get or create the assignment of user \"%.*s\" in experiment %d: it was deleted concurrently",
				 static_cast<int>(r.pairs[pending[0]].user_len), r.pairs[pending[0]].user,
				 r.pairs[pending[0]].experiment_id),
			 errhint("Retry the call.")));
}

void IgnoreRow(TupleTableSlot *, void *) {}

// Queues the stored rows and overrides found for Redis (new rows are queued
// by the insert's statement trigger), so everything the call returns gets pushed.
void QueueStored(const Resolution &r)
{
	uint32 *stored = AllocArray<uint32>(r.count);
	size_t n = 0;
	for (size_t i = 0; i < r.count; i++) {
		if (r.source[i] == Source::kExisting || r.source[i] == Source::kOverride)
			stored[n++] = static_cast<uint32>(i);
	}
	if (n > 0) {
		Datum params[2];
		PairParams(r, stored, n, &params[0], &params[1]);
		RunPlanStreaming(SqlPlan::kQueueKeys, params, 2, false, IgnoreRow, nullptr);
	}
	pfree(stored);
}

void EmitRows(const Resolution &r, ReturnSetInfo *rsinfo)
{
	Datum source_text[] = {Datum(0),
						   Datum(0),
						   CStringGetTextDatum("existing"),
						   CStringGetTextDatum("new"),
						   CStringGetTextDatum("computed"),
						   CStringGetTextDatum("override")};
	uint32 *order = AllocArray<uint32>(r.count);
	RequestOrder(r.pairs, r.count, order);
	for (size_t k = 0; k < r.count; k++) {
		uint32 i = order[k];
		Source source = r.source[i];
		if (source == Source::kNone || source == Source::kPending)
			continue;
		Datum values[7];
		bool nulls[7] = {false, false, false, false, false, false, false};
		values[0] = r.user_datums[r.pairs[i].tag];
		values[1] = Int32GetDatum(r.pairs[i].experiment_id);
		values[2] = Int32GetDatum(r.variant_id[i]);
		values[3] = VariantKey(*r.experiment[i], r.variant_id[i]);
		nulls[3] = values[3] == Datum(0);
		values[4] = Int32GetDatum(r.version[i]);
		values[5] = TimestampTzGetDatum(r.assigned_at[i]);
		nulls[5] = source == Source::kComputed;
		values[6] = source_text[static_cast<int>(source)];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

}  // namespace

void ResolvePairs(FunctionCallInfo fcinfo, Pair *pairs, size_t count, const Datum *user_datums, Mode mode)
{
	// A function scan passes the row type it expects; using it saves
	// rebuilding the same descriptor from pg_proc on every call.
	auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	bool expected = rsinfo != nullptr && IsA(rsinfo, ReturnSetInfo) && rsinfo->expectedDesc != nullptr;
	InitMaterializedSRF(fcinfo, expected ? MAT_SRF_USE_EXPECTED_DESC : 0);
	if (count == 0)
		return;
	bool read_only = mode == Mode::kPeek;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "exp_assign: SPI_connect failed");

	Resolution r;
	r.pairs = pairs;
	r.count = SortDistinct(pairs, count);
	r.user_datums = user_datums;

	int32 *ids = AllocArray<int32>(r.count);
	for (size_t i = 0; i < r.count; i++)
		ids[i] = pairs[i].experiment_id;
	r.catalog = LoadCatalog(ids, static_cast<int>(r.count));

	r.experiment = AllocArray<const Experiment *>(r.count);
	r.source = AllocArray<Source>(r.count);
	r.variant_id = AllocArray<int32>(r.count);
	r.version = AllocArray<int32>(r.count);
	r.assigned_at = AllocArray<TimestampTz>(r.count);
	uint32 *live = AllocArray<uint32>(r.count);
	uint32 *forced = AllocArray<uint32>(r.count);
	size_t nlive = 0;
	size_t nforced = 0;
	const Experiment *e = nullptr;
	for (size_t i = 0; i < r.count; i++) {
		if (i == 0 || pairs[i].experiment_id != pairs[i - 1].experiment_id)
			e = r.catalog.Find(pairs[i].experiment_id);  // a cohort: once
		bool is_live = e != nullptr && (e->status == Status::kActive || e->status == Status::kPaused);
		// Overrides apply before launch too (QA), but not once stopped.
		bool may_be_forced = e != nullptr && e->has_overrides && e->status != Status::kStopped;
		r.experiment[i] = is_live || may_be_forced ? e : nullptr;
		r.source[i] = Source::kNone;
		if (may_be_forced)
			forced[nforced++] = static_cast<uint32>(i);
	}
	// An override wins over a stored row and over the rule: the pairs it
	// covers go no further.
	FindOverrides(r, forced, nforced, read_only);
	for (size_t i = 0; i < r.count; i++) {
		const Experiment *x = r.experiment[i];
		if (x != nullptr && r.source[i] == Source::kNone &&
			(x->status == Status::kActive || x->status == Status::kPaused))
			live[nlive++] = static_cast<uint32>(i);
	}

	uint32 *pending = AllocArray<uint32>(nlive);
	size_t npending;
	Expect expect = read_only || XactReadOnly ? Expect::kStored : SampleStored(r, live, nlive);
	if (expect == Expect::kStored) {
		FindStored(r, live, nlive, read_only);
		npending = DecideMissing(r, live, nlive, mode, pending);
	} else {
		// Insert first: the insert's own conflict check finds the stored
		// rows, which StorePending then reads. Only the pairs the insert
		// will not touch are looked up first: those of paused experiments
		// and those the rule leaves out, since a stored row wins over both.
		npending = DecideMissing(r, live, nlive, mode, pending);
		uint32 *untouched = AllocArray<uint32>(nlive);
		size_t nuntouched = 0;
		for (size_t k = 0; k < nlive; k++) {
			if (r.source[live[k]] == Source::kNone)
				untouched[nuntouched++] = live[k];
		}
		FindStored(r, untouched, nuntouched, false);
		pfree(untouched);
	}
	StorePending(r, pending, npending, expect);
	if (mode == Mode::kWarm)
		QueueStored(r);
	EmitRows(r, reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo));

	SPI_finish();
}

}  // namespace exp_assign::pg
