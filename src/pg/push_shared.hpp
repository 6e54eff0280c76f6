// State the Redis push worker shares with every backend: its latch, so a
// committing backend can wake it, and what worker_status reports. Exists
// only when exp_assign is in shared_preload_libraries.
#pragma once

#include "pg/postgres.hpp"

namespace exp_assign::pg {

enum class PushState : int {
	kNotRunning,  // no worker (not started yet, or between restarts)
	kWaitingDatabase,  // exp_assign.database does not exist yet
	kWaitingExtension,  // the database lacks CREATE EXTENSION exp_assign
	kDisabled,  // exp_assign.redis_enabled = off
	kStandby,  // a hot standby: nothing to deliver until promotion
	kConnecting,
	kIdle,
	kPushing,
	kBackingOff,  // Redis failed; retrying after a pause
};

const char *PushStateName(PushState state);

// What worker_status shows, copied out under the lock.
struct PushStatus {
	PushState state;
	bool connected;
	int pid;
	int64 pushed_total;
	TimestampTz last_error_at;  // 0: never
	TimestampTz last_push_at;  // 0: never
	char last_error[256];
};

// True when this library was loaded by shared_preload_libraries, so the
// shared state and the worker exist.
bool PushAvailable();

// Called from _PG_init while preloading: asks for the shared memory.
void InstallPushShared();

// Worker side. Only one push worker may deliver at a time (two would send
// the same keys and could reorder a SET after a DEL): a worker claims the
// slot, and gets false while another live worker holds it.
bool ClaimWorkerSlot(Latch *latch, int pid);
void ReleaseWorkerSlot(int pid);
// The pid holding the slot, 0 if none: a launcher that starts finds the
// worker its predecessor left behind.
int WorkerSlotPid();
void SetPushState(PushState state, bool connected);
void RecordPushed(int64 keys);
void RecordPushError(const char *message);

// Backend side: wakes the worker if one is attached (at commit).
void WakePushWorker();
bool ReadPushStatus(PushStatus *out);

}  // namespace exp_assign::pg
