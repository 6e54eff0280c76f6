// Two background workers, as PostgreSQL's own logical replication launcher
// does it: a worker can connect to one database only, once, and connecting
// to a database that does not exist is FATAL. So the launcher connects to
// no database, waits quietly for exp_assign.database to appear, and starts
// the push worker there; it restarts it when it exits or the setting changes.
#include "worker/push_worker.hpp"

#include "core/backoff.hpp"
#include "core/redis_value.hpp"
#include "pg/postgres.hpp"
#include "pg/push_shared.hpp"
#include "pg/settings.hpp"
#include "worker/push_delivery.hpp"
#include "worker/redis_link.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"
}

namespace exp_assign::pg {

namespace {

constexpr int kPollMs = 1000;  // timer: prepared transactions fire no commit hook
constexpr int kBackoffCapMs = 5000;  // longest pause between two Redis attempts
constexpr int kRestartDelayMs = 1000;  // launcher: pause before restarting the worker

bool ReloadIfAsked()
{
	if (!ConfigReloadPending)
		return false;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	return true;
}

void Wait(int ms)
{
	(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

// Sleeps ms ignoring commit wake-ups (they would turn the backoff into a
// busy retry under load), but not a reload: a fixed password retries now.
void Backoff(int ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
	for (;;) {
		long left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
		if (left <= 0 || ConfigReloadPending)
			return;
		Wait(static_cast<int>(left));
	}
}

void ReleaseSlotAtExit(int, Datum)
{
	ReleaseWorkerSlot(MyProcPid);
}

redis::LinkOptions CurrentOptions()
{
	return redis::LinkOptions{
		redis_host, redis_port, redis_password, redis_db, redis_connect_timeout_ms, redis_command_timeout_ms};
}

[[noreturn]] void RunPushLoop()
{
	// Trivially destructible: if an ERROR ends this process, nothing is skipped.
	redis::Link link;
	char error[256];
	int failures = 0;
	for (;;) {
		CHECK_FOR_INTERRUPTS();
		if (ReloadIfAsked()) {
			link.Close();  // host, port, password or db may have changed
			failures = 0;
		}
		if (RecoveryInProgress()) {
			// The primary's worker delivers; this one waits for a promotion.
			link.Close();
			SetPushState(PushState::kStandby, false);
			Wait(kPollMs);
			continue;
		}
		if (!redis_enabled) {
			link.Close();
			SetPushState(PushState::kDisabled, false);
			Wait(kPollMs);
			continue;
		}
		if (!link.Connected()) {
			// No Redis connection is needed, nor its errors shown, before
			// there is anything to deliver from.
			if (!ExtensionInstalled()) {
				SetPushState(PushState::kWaitingExtension, false);
				Wait(kPollMs);
				continue;
			}
			SetPushState(PushState::kConnecting, false);
			if (!link.Connect(CurrentOptions(), error, sizeof error)) {
				RecordPushError(error);
				SetPushState(PushState::kBackingOff, false);
				Backoff(BackoffMs(++failures, kBackoffCapMs));
				continue;
			}
		}
		DeliveryCounts counts;
		pgstat_report_activity(STATE_RUNNING, "exp_assign: pushing queued keys to Redis");
		DeliveryResult result = DeliverBatch(&link, redis_batch_size, &counts, error, sizeof error);
		pgstat_report_activity(STATE_IDLE, "exp_assign: waiting for queued keys");
		switch (result) {
		case DeliveryResult::kNoExtension:
			SetPushState(PushState::kWaitingExtension, link.Connected());
			Wait(kPollMs);
			break;
		case DeliveryResult::kRedisFailed:
			RecordPushError(error);
			SetPushState(PushState::kBackingOff, false);
			Backoff(BackoffMs(++failures, kBackoffCapMs));
			break;
		case DeliveryResult::kDelivered:
			failures = 0;
			if (counts.delivered > 0)
				RecordPushed(counts.delivered);
			if (counts.drained) {
				SetPushState(PushState::kIdle, true);
				Wait(kPollMs);
			} else {
				SetPushState(PushState::kPushing, true);
			}
			break;
		}
	}
}

// A plain scan of pg_database, as the autovacuum launcher does: with no
// database selected, the index scans behind get_database_oid() fail until
// some backend has written the shared relcache init file.
Oid LookUpDatabase(const char *name)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void)GetTransactionSnapshot();
	Relation rel = table_open(DatabaseRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
	Oid found = InvalidOid;
	for (HeapTuple tuple; HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection));) {
		auto *database = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
		if (database->datallowconn && strcmp(NameStr(database->datname), name) == 0) {
			found = database->oid;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return found;
}

// A launcher that was itself restarted (terminated, or an ERROR) may find
// the worker its predecessor started still running: stop it, so the one
// this launcher starts is the only one and follows the current settings.
void StopOrphanWorker()
{
	int pid = WorkerSlotPid();
	if (pid != 0 && BackendPidGetProc(pid) != nullptr)
		kill(pid, SIGTERM);
}

BackgroundWorkerHandle *StartPushWorker(Oid database)
{
	BackgroundWorker worker;
	memset(&worker, 0, sizeof worker);
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;  // the launcher restarts it
	strlcpy(worker.bgw_library_name, "exp_assign", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "exp_assign_push_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "exp_assign redis push", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "exp_assign redis push", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(database);
	worker.bgw_notify_pid = MyProcPid;
	BackgroundWorkerHandle *handle = nullptr;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return nullptr;  // no free worker slot: max_worker_processes; retried
	return handle;
}

}  // namespace

void RegisterPushLauncher()
{
	BackgroundWorker worker;
	memset(&worker, 0, sizeof worker);
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 1;
	strlcpy(worker.bgw_library_name, "exp_assign", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "exp_assign_push_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "exp_assign launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "exp_assign launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

}  // namespace exp_assign::pg

using namespace exp_assign::pg;

extern "C" {

PGDLLEXPORT void exp_assign_push_launcher_main(Datum);
PGDLLEXPORT void exp_assign_push_worker_main(Datum);

void exp_assign_push_launcher_main(Datum)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
	StopOrphanWorker();

	BackgroundWorkerHandle *handle = nullptr;
	char running_database[NAMEDATALEN] = "";
	TimestampTz next_start = 0;
	for (;;) {
		CHECK_FOR_INTERRUPTS();
		ReloadIfAsked();
		if (handle != nullptr) {
			pid_t pid;
			if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED) {
				pfree(handle);
				handle = nullptr;
				next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), kRestartDelayMs);
			} else if (strncmp(running_database, push_database, NAMEDATALEN) != 0) {
				TerminateBackgroundWorker(handle);  // restarted in the new database
			}
		}
		int wait_ms = kPollMs;
		if (handle == nullptr) {
			long until_start = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_start);
			if (until_start > 0) {
				wait_ms = static_cast<int>(until_start);
			} else {
				Oid database = LookUpDatabase(push_database);
				if (!OidIsValid(database)) {
					SetPushState(PushState::kWaitingDatabase, false);
				} else {
					handle = StartPushWorker(database);
					strlcpy(running_database, push_database, sizeof running_database);
				}
			}
		}
		Wait(wait_ms);
	}
}

void exp_assign_push_worker_main(Datum database)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(database), InvalidOid, 0);
	// The worker's statements touch a handful of queue rows by id; on a
	// queue or table not yet analyzed, costs once led the planner to a full
	// scan per batch, 25 times slower. Index access is always right here,
	// so the other plan types are off, in this process only.
	for (const char *plan_type :
		 {"enable_bitmapscan", "enable_memoize", "enable_hashjoin", "enable_mergejoin", "enable_seqscan"})
		SetConfigOption(plan_type, "off", PGC_SUSET, PGC_S_SESSION);
	// With those, the plan never depends on the batch size: plan it once.
	SetConfigOption("plan_cache_mode", "force_generic_plan", PGC_SUSET, PGC_S_SESSION);
	before_shmem_exit(ReleaseSlotAtExit, 0);
	while (!ClaimWorkerSlot(MyLatch, MyProcPid))
		Wait(kPollMs);  // the previous worker is still stopping
	SetPushState(PushState::kConnecting, false);
	RunPushLoop();
}

}  // extern "C"
