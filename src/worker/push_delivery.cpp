#include "worker/push_delivery.hpp"

#include "core/redis_value.hpp"
#include "pg/alloc_array.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg/settings.hpp"
#include "pg/spi_plans.hpp"
#include "pg/stored_rows.hpp"
#include "pg/utf8.hpp"
#include "worker/queue_head.hpp"

extern "C" {
#include "commands/extension.h"
#include "utils/snapmgr.h"
}

#include <algorithm>
#include <string>
#include <vector>

namespace exp_assign::pg {

namespace {

// Fewest keys one delivery transaction takes from the queue.
constexpr int kMinChunk = 500;

// One queued key with the row it names now, as plain data, so that building
// and sending the commands runs with no PostgreSQL call inside it.
struct QueuedKey {
	int64 queue_id;
	int32 position;  // in the queue row's arrays
	int32 total;  // keys in the queue row
	int32 experiment_id;
	Datum user_datum;  // text, database encoding
	const char *user;  // UTF-8
	int user_len;
	bool present;
	bool forced;  // an override: version is the experiment's
	int32 variant_id;
	const char *variant_key;
	int variant_key_len;
	int32 version;
	TimestampTz assigned_at;  // as stored: the core reads it (core/utc_time.hpp)
};

QueuedKey FromEntry(const QueueEntry &entry)
{
	QueuedKey key{};
	key.queue_id = entry.queue_id;
	key.position = entry.position;
	key.total = entry.total;
	key.experiment_id = entry.experiment_id;
	key.user_datum = entry.user_id;
	text *user = DatumGetTextPP(entry.user_id);
	key.user = ToUtf8(VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), &key.user_len);
	return key;
}

void FillQueuedKey(size_t k, const StoredAssignment &row, void *arg)
{
	QueuedKey &key = static_cast<QueuedKey *>(arg)[k];
	key.present = true;
	key.variant_id = row.variant_id;
	key.version = row.version;
	key.assigned_at = row.assigned_at;
}

// Reads the row each key names now, in the chunk's snapshot. Keys go in
// queue order, which is the order their rows were written: rows written by
// one statement lie side by side in the heap, and ReadStoredRows reads them
// there without descending the primary key.
void ReadRows(QueuedKey *keys, int count)
{
	int32 *ids = AllocArray<int32>(count);
	Datum *users = AllocArray<Datum>(count);
	for (int i = 0; i < count; i++) {
		ids[i] = keys[i].experiment_id;
		users[i] = keys[i].user_datum;
	}
	ReadStoredRows(ids, users, count, false, FillQueuedKey, keys);
}

// An override row of kFindOverrides for the keys listed in Forced.
struct Forced {
	QueuedKey *keys;
	const uint32 *indices;  // into keys, by the query's ordinality - 1
};

void FillForcedKey(TupleTableSlot *slot, void *arg)
{
	auto *forced = static_cast<Forced *>(arg);
	QueuedKey &key = forced->keys[forced->indices[DatumGetInt32(slot->tts_values[0]) - 1]];
	key.present = true;
	key.variant_id = DatumGetInt32(slot->tts_values[1]);
	key.assigned_at = DatumGetTimestampTz(slot->tts_values[2]);
	key.forced = true;
}

// Reads the overrides of the keys whose experiment has any, in the chunk's
// snapshot: an override is what get-or-create returns, so it is what Redis
// holds, over the stored row.
void ReadOverrides(QueuedKey *keys, int count, const Catalog &catalog)
{
	uint32 *indices = AllocArray<uint32>(count);
	int32 *ids = AllocArray<int32>(count);
	Datum *users = AllocArray<Datum>(count);
	int n = 0;
	for (int i = 0; i < count; i++) {
		const Experiment *experiment = catalog.Find(keys[i].experiment_id);
		// As in get-or-create: a stopped experiment's overrides no longer apply.
		if (experiment == nullptr || !experiment->has_overrides || experiment->status == Status::kStopped)
			continue;
		indices[n] = static_cast<uint32>(i);
		ids[n] = keys[i].experiment_id;
		users[n] = keys[i].user_datum;
		n++;
	}
	if (n == 0)
		return;
	Datum params[2] = {Int4Array(ids, n), TextArray(users, n)};
	Forced forced{keys, indices};
	RunPlanStreaming(SqlPlan::kFindOverrides, params, 2, true, FillForcedKey, &forced);
}

// Applies overrides and fills in variant_key from the catalog as the
// chunk's snapshot sees it (LoadCatalogInSnapshot says why not the
// cache). Rows and variants are read in one snapshot, where a row's
// variant exists (a foreign key for assignments, a trigger for overrides);
// a key whose variant is missing anyway is deleted, not left stale.
void ApplyCatalog(QueuedKey *keys, int count)
{
	int32 *ids = AllocArray<int32>(count);
	for (int i = 0; i < count; i++)
		ids[i] = keys[i].experiment_id;
	Catalog catalog = LoadCatalogInSnapshot(ids, count);
	ReadOverrides(keys, count, catalog);
	for (int i = 0; i < count; i++) {
		if (!keys[i].present)
			continue;
		const Experiment *experiment = catalog.Find(keys[i].experiment_id);
		Datum key = experiment != nullptr ? VariantKey(*experiment, keys[i].variant_id) : Datum(0);
		if (key == Datum(0)) {
			keys[i].present = false;
			continue;
		}
		if (keys[i].forced)
			keys[i].version = experiment->version;
		text *key_text = DatumGetTextPP(key);
		keys[i].variant_key =
			ToUtf8(VARDATA_ANY(key_text), VARSIZE_ANY_EXHDR(key_text), &keys[i].variant_key_len);
	}
}

// The commands for keys: SETEX of the current row, or DEL when it is gone.
// Keys and values go into one buffer, and rows stored by one statement
// share their assigned_at text, so a chunk costs a handful of allocations.
// C++ containers only: runs inside CallCore.
struct Commands {
	std::string buffer;
	std::string ttl_text;
	std::vector<redis::Command> list;
};

void BuildCommands(const QueuedKey *keys, size_t count, const char *prefix, KeyLayout layout, int ttl,
				   Commands *out)
{
	std::string &buffer = out->buffer;
	std::vector<size_t> ends(2 * count);  // end of key i at 2i, of its value at 2i+1
	out->ttl_text = std::to_string(ttl);
	int64 last_assigned_at = 0;
	std::string assigned_at_text;
	for (size_t i = 0; i < count; i++) {
		const QueuedKey &k = keys[i];
		AppendAssignmentKey(&buffer, prefix, k.experiment_id, {k.user, static_cast<size_t>(k.user_len)},
							layout);
		ends[2 * i] = buffer.size();
		if (k.present) {
			if (assigned_at_text.empty() || k.assigned_at != last_assigned_at) {
				assigned_at_text = AssignedAtText(k.assigned_at);
				last_assigned_at = k.assigned_at;
			}
			AppendAssignmentValue(&buffer, k.variant_id,
								  {k.variant_key, static_cast<size_t>(k.variant_key_len)}, k.version,
								  assigned_at_text);
		}
		ends[2 * i + 1] = buffer.size();
	}
	// Pointers into buffer only now, when it no longer grows.
	out->list.resize(count);
	size_t start = 0;
	for (size_t i = 0; i < count; i++) {
		redis::Command &c = out->list[i];
		size_t key_end = ends[2 * i], value_end = ends[2 * i + 1];
		c.argv[1] = buffer.data() + start;
		c.argvlen[1] = key_end - start;
		if (keys[i].present) {
			c.argc = 4;
			c.argv[0] = "SETEX";
			c.argvlen[0] = 5;
			c.argv[2] = out->ttl_text.data();
			c.argvlen[2] = out->ttl_text.size();
			c.argv[3] = buffer.data() + key_end;
			c.argvlen[3] = value_end - key_end;
		} else {
			c.argc = 2;
			c.argv[0] = "DEL";
			c.argvlen[0] = 3;
		}
		start = value_end;
	}
}

// Sends a chunk as pipelines of batch_size commands. Before each pipeline
// goes out, the replies owed for everything before the previous one are
// read: the pipeline in flight from the last transaction first, then this
// chunk's earlier pipelines. So Redis always has the next pipeline while the
// worker waits, and at most two are outstanding. The last pipeline stays in
// flight unless flush is set. *acknowledged: keys of the chunk (a prefix)
// whose replies were read. False, with error set and the connection closed,
// when Redis failed: then no key written since the last trim counts.
bool SendChunk(redis::Link *link, const redis::Command *commands, size_t count, size_t batch_size, bool flush,
			   size_t *acknowledged, char *error, size_t error_len)
{
	*acknowledged = 0;
	size_t written = 0;
	size_t owed_before = link->Unanswered();  // the pipeline in flight, answered first
	size_t previous = 0;  // the chunk's pipeline before the current one
	while (written < count) {
		size_t n = std::min(batch_size, count - written);
		if (!link->Write(commands + written, n, error, error_len))
			return false;
		if (!link->ReadReplies(owed_before + previous, error, error_len))
			return false;
		*acknowledged = written;  // every pipeline before the current one
		owed_before = 0;
		previous = n;
		written += n;
	}
	if (flush) {
		if (!link->ReadReplies(link->Unanswered(), error, error_len))
			return false;
		*acknowledged = count;
	}
	return true;
}

// The part of one queue row a pipeline carries. Once its replies are
// read, the row is deleted (done == total) or advanced to done.
struct RowSlice {
	int64 queue_id;
	int32 done;
	int32 total;
};

// The slices of the queue rows keys[from, to) belong to (keys in queue
// order), in out (room for to - from). Returns how many.
int SliceRows(const QueuedKey *keys, int from, int to, RowSlice *out)
{
	int n = 0;
	for (int i = from; i < to; i++) {
		if (i + 1 == to || keys[i + 1].queue_id != keys[i].queue_id)
			out[n++] = RowSlice{keys[i].queue_id, keys[i].position + 1, keys[i].total};
	}
	return n;
}

// Removes from the queue what the slices delivered.
void TrimQueue(const RowSlice *rows, int nrows)
{
	int64 *finished = AllocArray<int64>(nrows);
	int nfinished = 0;
	for (int i = 0; i < nrows; i++) {
		const RowSlice &row = rows[i];
		if (row.done >= row.total) {
			finished[nfinished++] = row.queue_id;
			continue;
		}
		Datum args[2] = {Int64GetDatum(row.queue_id), Int32GetDatum(row.done)};
		if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueAdvance), args, nullptr, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "exp_assign: advancing the push queue failed");
	}
	if (nfinished > 0) {
		Datum ids = PointerGetDatum(construct_array(reinterpret_cast<Datum *>(finished), nfinished, INT8OID,
													sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueDelete), &ids, nullptr, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "exp_assign: trimming the push queue failed");
	}
}

// The pipeline written to Redis whose replies are not read yet: the worker
// reads the next chunk from PostgreSQL while Redis works on it. It outlives
// the transaction that read it, so it lives in TopMemoryContext. It is valid
// only while the link still owes its replies: a closed or new connection
// means those commands may not have arrived, and their queue rows, never
// trimmed, are simply read again.
struct InFlight {
	RowSlice *rows = nullptr;
	int nrows = 0;
	int capacity = 0;
	int commands = 0;
	Oid extension = InvalidOid;  // queue ids name rows of this extension's queue only
};
InFlight in_flight;

void DropInFlight()
{
	in_flight.nrows = 0;
	in_flight.commands = 0;
}

// Records keys[from, to) (in queue order) as the pipeline in flight.
void SetInFlight(const QueuedKey *keys, int from, int to, Oid extension)
{
	if (in_flight.capacity < to - from) {
		if (in_flight.rows != nullptr)
			pfree(in_flight.rows);
		in_flight.rows =
			static_cast<RowSlice *>(MemoryContextAlloc(TopMemoryContext, sizeof(RowSlice) * (to - from)));
		in_flight.capacity = to - from;
	}
	in_flight.nrows = SliceRows(keys, from, to, in_flight.rows);
	in_flight.commands = to - from;
	in_flight.extension = extension;
}

// The queue ids of the pipeline in flight, ascending (its keys came in
// queue order): the next chunk leaves those rows out.
int64 *InFlightIds()
{
	int64 *ids = AllocArray<int64>(in_flight.nrows);
	for (int i = 0; i < in_flight.nrows; i++)
		ids[i] = in_flight.rows[i].queue_id;
	return ids;
}

}  // namespace

bool ExtensionInstalled()
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	bool installed = OidIsValid(get_extension_oid("exp_assign", true));
	CommitTransactionCommand();
	return installed;
}

DeliveryResult DeliverBatch(redis::Link *link, int batch_size, DeliveryCounts *counts, char *error,
							size_t error_len)
{
	*counts = DeliveryCounts{};
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	Oid extension = get_extension_oid("exp_assign", true);
	// A new connection owes nothing: what was in flight on the old one is
	// still queued. A queue dropped and created again reuses the ids.
	if (static_cast<size_t>(in_flight.commands) != link->Unanswered() ||
		(in_flight.commands > 0 && in_flight.extension != extension)) {
		DropInFlight();
		if (link->Unanswered() > 0)
			link->Close();
	}
	if (!OidIsValid(extension)) {
		CommitTransactionCommand();
		return DeliveryResult::kNoExtension;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "exp_assign: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());

	// A transaction takes at least kMinChunk keys whatever the pipeline
	// size, so a small redis_batch_size costs round trips to Redis, not
	// transactions.
	int chunk = std::max(batch_size, kMinChunk);
	QueueEntry *entries = AllocArray<QueueEntry>(chunk);
	int count = ReadQueueHead(chunk, InFlightIds(), in_flight.nrows, entries);
	// Keys come in queue order and were all read, with the rows they name,
	// in one snapshot: a key queued twice in the chunk gets the same command
	// twice. Chunks go out in the order of their snapshots, on one
	// connection, so a later state of a key always reaches Redis after an
	// earlier one.
	QueuedKey *keys = AllocArray<QueuedKey>(count);
	for (int i = 0; i < count; i++)
		keys[i] = FromEntry(entries[i]);
	ReadRows(keys, count);
	ApplyCatalog(keys, count);
	counts->read = count;
	// Short, with nothing in flight whose rows the read left out: the queue
	// is drained. Then there is nothing to overlap: the last pipeline's
	// replies are read now, and the worker idles with nothing in flight.
	bool drained = count < chunk && in_flight.commands == 0;
	bool flush = count < chunk;
	counts->drained = drained;

	bool ok = true;
	size_t acknowledged = 0;
	if (count > 0 || in_flight.commands > 0) {
		const char *prefix = redis_key_prefix;
		KeyLayout layout = static_cast<KeyLayout>(redis_key_layout);
		int ttl = redis_ttl;
		size_t pipeline = static_cast<size_t>(batch_size);
		CallCore("pushing to Redis", [&] {
			Commands commands;
			BuildCommands(keys, count, prefix, layout, ttl, &commands);
			ok = SendChunk(link, commands.list.data(), count, pipeline, flush, &acknowledged, error,
						   error_len);
		});
	}
	if (ok) {
		// Answered: the pipeline in flight before this chunk, then the chunk's
		// first pipelines. Their queue rows are disjoint (the chunk's read
		// left the rows in flight out), so one trim serves both.
		counts->delivered = in_flight.commands + static_cast<int64>(acknowledged);
		RowSlice *done = AllocArray<RowSlice>(in_flight.nrows + acknowledged);
		if (in_flight.nrows > 0)
			memcpy(done, in_flight.rows, sizeof(RowSlice) * in_flight.nrows);
		int ndone =
			in_flight.nrows + SliceRows(keys, 0, static_cast<int>(acknowledged), done + in_flight.nrows);
		TrimQueue(done, ndone);
		SetInFlight(keys, static_cast<int>(acknowledged), count, extension);
	} else {
		DropInFlight();
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return ok ? DeliveryResult::kDelivered : DeliveryResult::kRedisFailed;
}

}  // namespace exp_assign::pg
