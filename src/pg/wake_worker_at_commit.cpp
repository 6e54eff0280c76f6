// The backend half of Redis push: whether this backend queues changed keys,
// and waking the worker when a transaction that queued some commits.
// The queueing itself is the statement triggers on assignments
// (sql/exp_assign--0.1.sql): one set-based INSERT per statement.
#include "pg/postgres.hpp"

#include "pg/push_shared.hpp"
#include "pg/settings.hpp"
#include "pg/wake_worker_at_commit.hpp"

extern "C" {
#include "commands/dbcommands.h"
}

namespace exp_assign::pg {

namespace {

bool wake_at_commit = false;

void WakeAtCommit(XactEvent event, void *)
{
	switch (event) {
	case XACT_EVENT_COMMIT:
		if (wake_at_commit)
			WakePushWorker();
		wake_at_commit = false;
		break;
	case XACT_EVENT_ABORT:
	case XACT_EVENT_PREPARE:  // the worker's timer delivers it after COMMIT PREPARED
		wake_at_commit = false;
		break;
	default:
		break;
	}
}

// Queueing happens only where a worker will read the queue: in the
// database exp_assign.database names, with the library preloaded.
bool QueueWanted()
{
	if (!PushAvailable() || push_database == nullptr)
		return false;
	static Oid cached_db = InvalidOid;
	static char cached_setting[NAMEDATALEN + 1];
	static bool cached_answer = false;
	if (cached_db != MyDatabaseId || strncmp(cached_setting, push_database, NAMEDATALEN) != 0) {
		char *name = get_database_name(MyDatabaseId);
		cached_answer = name != nullptr && strcmp(name, push_database) == 0;
		cached_db = MyDatabaseId;
		strlcpy(cached_setting, push_database, sizeof cached_setting);
	}
	return cached_answer;
}

}  // namespace

void InstallWakeAtCommit()
{
	RegisterXactCallback(WakeAtCommit, nullptr);
}

}  // namespace exp_assign::pg

using namespace exp_assign::pg;

extern "C" {

PG_FUNCTION_INFO_V1(exp_assign_push_wanted);

// exp_assign.push_wanted() -> bool: true when this statement's changes must
// be queued for Redis; also arms the wake-up at commit.
Datum exp_assign_push_wanted(PG_FUNCTION_ARGS [[maybe_unused]])
{
	bool wanted = QueueWanted();
	if (wanted)
		wake_at_commit = true;
	PG_RETURN_BOOL(wanted);
}

}  // extern "C"
