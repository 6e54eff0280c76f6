#include "pg/push_delivery.hpp"

#include "core/redis_value.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
#include "pg/queue_head.hpp"
#include "pg/settings.hpp"
#include "pg/spi_plans.hpp"
#include "pg/stored_rows.hpp"

extern "C" {
#include "commands/extension.h"
#include "utils/snapmgr.h"
}

#include <algorithm>
#include <string>
#include <vector>

namespace exp_assign::pg {

namespace {

// One queued key with the row it names now, copied out of SPI as plain data
// so the Redis step below runs with no PostgreSQL call inside it.
struct QueuedKey {
	int64 queue_id;
	int32 delivered;  // keys of this queue row delivered before this batch
	int32 total;      // keys in this queue row
	int32 experiment_id;
	Datum user_datum;  // text, database encoding
	const char *user;  // UTF-8
	int user_len;
	bool present;
	int32 variant_id;
	const char *variant_key;
	int variant_key_len;
	int32 version;
	int64 assigned_unix_micros;
};

constexpr int64 kUnixEpochInPostgresMicros =
	static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

QueuedKey FromEntry(const QueueEntry &entry)
{
	QueuedKey key{};
	key.queue_id = entry.queue_id;
	key.delivered = entry.delivered;
	key.total = entry.total;
	key.experiment_id = entry.experiment_id;
	key.user_datum = entry.user_id;
	text *user = DatumGetTextPP(entry.user_id);
	key.user = ToUtf8(VARDATA_ANY(user), VARSIZE_ANY_EXHDR(user), &key.user_len);
	return key;
}

void OnStoredRow(size_t k, const StoredRow &row, void *arg)
{
	QueuedKey &key = static_cast<QueuedKey *>(arg)[k];
	key.present = true;
	key.variant_id = row.variant_id;
	key.version = row.version;
	// 'infinity' and '-infinity' keep their sentinels (AssignedAtText names them).
	if (TIMESTAMP_IS_NOBEGIN(row.assigned_at))
		key.assigned_unix_micros = INT64_MIN;
	else if (TIMESTAMP_IS_NOEND(row.assigned_at))
		key.assigned_unix_micros = INT64_MAX;
	else
		key.assigned_unix_micros = row.assigned_at + kUnixEpochInPostgresMicros;
}

struct ProbeOrder {
	QueuedKey *keys;
	const int *order;  // probe k reads keys[order[k]]
};

void OnProbedRow(size_t k, const StoredRow &row, void *arg)
{
	auto *probes = static_cast<ProbeOrder *>(arg);
	OnStoredRow(static_cast<size_t>(probes->order[k]), row, probes->keys);
}

// Reads the row each key names now, in the batch's snapshot. The probes go
// in primary-key order: consecutive descents then share the index pages
// near the root, which stay in the CPU cache.
void ReadRows(QueuedKey *keys, int count)
{
	int *order = static_cast<int *>(palloc(sizeof(int) * (count + 1)));
	for (int i = 0; i < count; i++)
		order[i] = i;
	std::sort(order, order + count, [keys](int a, int b) {
		if (keys[a].experiment_id != keys[b].experiment_id)
			return keys[a].experiment_id < keys[b].experiment_id;
		text *x = DatumGetTextPP(keys[a].user_datum);
		text *y = DatumGetTextPP(keys[b].user_datum);
		size_t xlen = VARSIZE_ANY_EXHDR(x), ylen = VARSIZE_ANY_EXHDR(y);
		int c = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), std::min(xlen, ylen));
		return c != 0 ? c < 0 : xlen < ylen;
	});
	int32 *ids = static_cast<int32 *>(palloc(sizeof(int32) * (count + 1)));
	Datum *users = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
	for (int k = 0; k < count; k++) {
		ids[k] = keys[order[k]].experiment_id;
		users[k] = keys[order[k]].user_datum;
	}
	ProbeOrder probes{keys, order};
	ReadStoredRows(ids, users, count, false, OnProbedRow, &probes);
}

// Fills in variant_key from the catalog the get-or-create functions use
// (under READ COMMITTED a per-backend cache, reloaded after any change).
// A variant missing from it was deleted after this batch's snapshot, which
// its foreign key allows only once the assignment is gone: the key is then
// deleted, and the assignment's own DEL is queued behind this batch anyway.
void NameVariants(QueuedKey *keys, int count)
{
	int32 *ids = static_cast<int32 *>(palloc(sizeof(int32) * (count + 1)));
	for (int i = 0; i < count; i++)
		ids[i] = keys[i].experiment_id;
	std::sort(ids, ids + count);
	int distinct = static_cast<int>(std::unique(ids, ids + count) - ids);
	Catalog catalog = LoadCatalog(ids, distinct);
	for (int i = 0; i < count; i++) {
		if (!keys[i].present)
			continue;
		const Experiment *experiment = catalog.Find(keys[i].experiment_id);
		Datum key = experiment != nullptr ? VariantKey(*experiment, keys[i].variant_id) : Datum(0);
		if (key == Datum(0)) {
			keys[i].present = false;
			continue;
		}
		text *key_text = DatumGetTextPP(key);
		keys[i].variant_key = ToUtf8(VARDATA_ANY(key_text), VARSIZE_ANY_EXHDR(key_text),
									 &keys[i].variant_key_len);
	}
}

// Formats the batch and writes it to Redis. Runs inside CallCore: C++ containers only,
// no PostgreSQL call, so neither an exception nor a longjmp crosses it.
// Keys and values go into one buffer, and rows stored by one statement
// share their assigned_at text, so a batch costs a handful of allocations.
bool WriteBatch(redis::Link *link, const QueuedKey *keys, size_t count, const char *prefix,
				int ttl, char *error, size_t error_len)
{
	std::string buffer;
	std::vector<size_t> ends(2 * count);  // end of key i at 2i, of its value at 2i+1
	const std::string ttl_text = std::to_string(ttl);
	int64 last_assigned_at = 0;
	std::string assigned_at_text;
	for (size_t i = 0; i < count; i++) {
		const QueuedKey &k = keys[i];
		AppendAssignmentKey(&buffer, prefix, k.experiment_id, {k.user, static_cast<size_t>(k.user_len)});
		ends[2 * i] = buffer.size();
		if (k.present) {
			if (assigned_at_text.empty() || k.assigned_unix_micros != last_assigned_at) {
				assigned_at_text = AssignedAtText(k.assigned_unix_micros);
				last_assigned_at = k.assigned_unix_micros;
			}
			AppendAssignmentValue(&buffer, k.variant_id,
								  {k.variant_key, static_cast<size_t>(k.variant_key_len)},
								  k.version, assigned_at_text);
		}
		ends[2 * i + 1] = buffer.size();
	}
	// Pointers into buffer only now, when it no longer grows.
	std::vector<redis::Command> commands(count);
	size_t start = 0;
	for (size_t i = 0; i < count; i++) {
		redis::Command &c = commands[i];
		size_t key_end = ends[2 * i], value_end = ends[2 * i + 1];
		c.argv[1] = buffer.data() + start;
		c.argvlen[1] = key_end - start;
		if (keys[i].present) {
			c.argc = 4;
			c.argv[0] = "SETEX";
			c.argvlen[0] = 5;
			c.argv[2] = ttl_text.data();
			c.argvlen[2] = ttl_text.size();
			c.argv[3] = buffer.data() + key_end;
			c.argvlen[3] = value_end - key_end;
		} else {
			c.argc = 2;
			c.argv[0] = "DEL";
			c.argvlen[0] = 3;
		}
		start = value_end;
	}
	return link->Write(commands.data(), commands.size(), error, error_len);
}

// The part of one queue row a batch carries. Once the batch's replies are
// read, the row is deleted (done == total) or advanced to done.
struct RowSlice {
	int64 queue_id;
	int32 done;
	int32 total;
};

// The batch written to Redis whose replies are not read yet: the worker
// reads the next batch from PostgreSQL while Redis works on this one. It
// outlives the transaction that read it, so it lives in TopMemoryContext.
// It is valid only while the link still owes its replies: a closed or new
// connection means those commands may not have arrived, and their queue
// rows, never trimmed, are simply read again.
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

// Records keys (in queue order) as the batch in flight.
void SetInFlight(const QueuedKey *keys, int count, Oid extension)
{
	if (in_flight.capacity < count) {
		if (in_flight.rows != nullptr)
			pfree(in_flight.rows);
		in_flight.rows =
			static_cast<RowSlice *>(MemoryContextAlloc(TopMemoryContext, sizeof(RowSlice) * count));
		in_flight.capacity = count;
	}
	in_flight.nrows = 0;
	for (int i = 0, first = 0; i < count; i++) {
		bool last_of_row = i + 1 == count || keys[i + 1].queue_id != keys[i].queue_id;
		if (!last_of_row)
			continue;
		in_flight.rows[in_flight.nrows++] =
			RowSlice{keys[i].queue_id, keys[i].delivered + (i - first + 1), keys[i].total};
		first = i + 1;
	}
	in_flight.commands = count;
	in_flight.extension = extension;
}

// The queue ids of the batch in flight, ascending (its keys came in queue
// order): the next batch leaves those rows out.
int64 *InFlightIds()
{
	int64 *ids = static_cast<int64 *>(palloc(sizeof(int64) * (in_flight.nrows + 1)));
	for (int i = 0; i < in_flight.nrows; i++)
		ids[i] = in_flight.rows[i].queue_id;
	return ids;
}

// Removes what the batch in flight delivered, once its replies are read.
void ForgetInFlight()
{
	int64 *finished = static_cast<int64 *>(palloc(sizeof(int64) * (in_flight.nrows + 1)));
	int nfinished = 0;
	for (int i = 0; i < in_flight.nrows; i++) {
		const RowSlice &row = in_flight.rows[i];
		if (row.done >= row.total) {
			finished[nfinished++] = row.queue_id;
			continue;
		}
		Datum args[2] = {Int64GetDatum(row.queue_id), Int32GetDatum(row.done)};
		if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueAdvance), args, nullptr, false, 0) !=
			SPI_OK_UPDATE)
			elog(ERROR, "exp_assign: advancing the push queue failed");
	}
	if (nfinished > 0) {
		Datum ids = PointerGetDatum(construct_array(reinterpret_cast<Datum *>(finished), nfinished,
													INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueDelete), &ids, nullptr, false, 0) !=
			SPI_OK_DELETE)
			elog(ERROR, "exp_assign: trimming the push queue failed");
	}
	DropInFlight();
}

// Reads the replies of the batch in flight and trims the queue. False
// (error set, connection closed) when Redis failed.
bool Acknowledge(redis::Link *link, int64 *delivered, char *error, size_t error_len)
{
	bool ok = false;
	size_t commands = static_cast<size_t>(in_flight.commands);
	CallCore("reading Redis replies", [&] { ok = link->ReadReplies(commands, error, error_len); });
	if (!ok) {
		DropInFlight();
		return false;
	}
	*delivered += in_flight.commands;
	ForgetInFlight();
	return true;
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

	QueueEntry *entries = static_cast<QueueEntry *>(palloc(sizeof(QueueEntry) * batch_size));
	int count = ReadQueueHead(batch_size, InFlightIds(), in_flight.nrows, entries);
	// Keys come in queue order and were all read, with the rows they name,
	// in one snapshot: a key queued twice in the batch gets the same command
	// twice. Batches go out in the order of their snapshots, on one
	// connection, so a later state of a key always reaches Redis after an
	// earlier one.
	QueuedKey *keys = static_cast<QueuedKey *>(palloc(sizeof(QueuedKey) * (count + 1)));
	for (int i = 0; i < count; i++)
		keys[i] = FromEntry(entries[i]);
	ReadRows(keys, count);
	NameVariants(keys, count);
	counts->read = count;

	bool ok = true;
	if (count > 0) {
		const char *prefix = redis_key_prefix;
		int ttl = redis_ttl;
		CallCore("pushing to Redis",
				 [&] { ok = WriteBatch(link, keys, count, prefix, ttl, error, error_len); });
		if (!ok)
			DropInFlight();
	}
	// Redis now holds this batch behind the one in flight: acknowledge that
	// one, and make this one the batch in flight, unless the queue ran dry,
	// when there is nothing to overlap and the worker is about to idle.
	if (ok && in_flight.commands > 0)
		ok = Acknowledge(link, &counts->delivered, error, error_len);
	if (ok && count > 0) {
		SetInFlight(keys, count, extension);
		if (count < batch_size)
			ok = Acknowledge(link, &counts->delivered, error, error_len);
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return ok ? DeliveryResult::kDelivered : DeliveryResult::kRedisFailed;
}

}  // namespace exp_assign::pg
