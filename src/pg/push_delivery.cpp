#include "pg/push_delivery.hpp"

#include "core/redis_value.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"
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

QueuedKey ReadKey(HeapTuple tuple, TupleDesc desc)
{
	QueuedKey key{};
	bool isnull;
	key.queue_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	key.delivered = DatumGetInt32(SPI_getbinval(tuple, desc, 2, &isnull));
	key.total = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));
	key.experiment_id = DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
	key.user_datum = SPI_getbinval(tuple, desc, 5, &isnull);
	text *user = DatumGetTextPP(key.user_datum);
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

// Reads the row each key names now, in the batch's snapshot.
void ReadRows(QueuedKey *keys, int count)
{
	int32 *ids = static_cast<int32 *>(palloc(sizeof(int32) * (count + 1)));
	Datum *users = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
	for (int i = 0; i < count; i++) {
		ids[i] = keys[i].experiment_id;
		users[i] = keys[i].user_datum;
	}
	ReadStoredRows(ids, users, count, false, OnStoredRow, keys);
}

int CompareQueueId(const void *a, const void *b)
{
	int64 x = static_cast<const QueuedKey *>(a)->queue_id;
	int64 y = static_cast<const QueuedKey *>(b)->queue_id;
	return (x > y) - (x < y);
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

// Formats and sends the batch. Runs inside CallCore: C++ containers only,
// no PostgreSQL call, so neither an exception nor a longjmp crosses it.
// Keys and values go into one buffer, and rows stored by one statement
// share their assigned_at text, so a batch costs a handful of allocations.
bool SendBatch(redis::Link *link, const QueuedKey *keys, size_t count, const char *prefix,
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
	return link->Send(commands.data(), commands.size(), error, error_len);
}

// Removes what was delivered: every queue row the batch read, or, for the
// row the batch ended inside, the part it read. keys are sorted by queue id.
void ForgetDelivered(const QueuedKey *keys, int count)
{
	int64 *finished = static_cast<int64 *>(palloc(sizeof(int64) * count));
	int nfinished = 0;
	for (int i = 0; i < count; i++) {
		bool last_of_row = i + 1 == count || keys[i + 1].queue_id != keys[i].queue_id;
		if (!last_of_row)
			continue;
		int first = i;
		while (first > 0 && keys[first - 1].queue_id == keys[i].queue_id)
			first--;
		int32 done = keys[i].delivered + (i - first + 1);
		if (done >= keys[i].total) {
			finished[nfinished++] = keys[i].queue_id;
		} else {
			Datum args[2] = {Int64GetDatum(keys[i].queue_id), Int32GetDatum(done)};
			if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueAdvance), args, nullptr, false, 0) !=
				SPI_OK_UPDATE)
				elog(ERROR, "exp_assign: advancing the push queue failed");
		}
	}
	if (nfinished > 0) {
		Datum ids = PointerGetDatum(construct_array(reinterpret_cast<Datum *>(finished), nfinished,
													INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueDelete), &ids, nullptr, false, 0) !=
			SPI_OK_DELETE)
			elog(ERROR, "exp_assign: trimming the push queue failed");
	}
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

DeliveryResult DeliverBatch(redis::Link *link, int batch_size, int64 *delivered, char *error,
							size_t error_len)
{
	*delivered = 0;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!OidIsValid(get_extension_oid("exp_assign", true))) {
		CommitTransactionCommand();
		return DeliveryResult::kNoExtension;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "exp_assign: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());

	Datum limit = Int32GetDatum(batch_size);
	// read_only: the batch and the variant names share the snapshot pushed above.
	if (SPI_execute_plan(SpiPlan(SqlPlan::kQueueBatch), &limit, nullptr, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "exp_assign: reading the push queue failed");
	int count = static_cast<int>(SPI_processed);
	QueuedKey *keys = static_cast<QueuedKey *>(palloc(sizeof(QueuedKey) * (count + 1)));
	for (int i = 0; i < count; i++)
		keys[i] = ReadKey(SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
	// Every key was read in one snapshot, so a key queued twice in the batch
	// gets the same command twice: the commands commute, and the batch can
	// go in any order. Sorting by queue id groups what ForgetDelivered trims.
	qsort(keys, count, sizeof(QueuedKey), CompareQueueId);
	ReadRows(keys, count);
	NameVariants(keys, count);

	DeliveryResult result = DeliveryResult::kDelivered;
	if (count > 0) {
		bool sent = false;
		const char *prefix = redis_key_prefix;
		int ttl = redis_ttl;
		CallCore("pushing to Redis",
				 [&] { sent = SendBatch(link, keys, count, prefix, ttl, error, error_len); });
		if (sent) {
			ForgetDelivered(keys, count);
			*delivered = count;
		} else {
			result = DeliveryResult::kRedisFailed;
		}
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return result;
}

}  // namespace exp_assign::pg
