#include "pg/push_shared.hpp"

extern "C" {
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
}

namespace exp_assign::pg {

namespace {

struct PushShared {
	slock_t mutex;
	Latch *worker_latch;
	PushStatus status;
};

PushShared *shared = nullptr;
bool preloaded = false;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

void RequestShared()
{
	if (previous_request_hook != nullptr)
		previous_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(PushShared)));
}

void StartupShared()
{
	if (previous_startup_hook != nullptr)
		previous_startup_hook();
	bool found;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = static_cast<PushShared *>(ShmemInitStruct("exp_assign push", sizeof(PushShared), &found));
	if (!found) {
		memset(shared, 0, sizeof(PushShared));
		SpinLockInit(&shared->mutex);
		shared->status.state = PushState::kNotRunning;
	}
	LWLockRelease(AddinShmemInitLock);
}

}  // namespace

const char *PushStateName(PushState state)
{
	switch (state) {
	case PushState::kNotRunning:
		return "not running";
	case PushState::kWaitingDatabase:
		return "waiting for database";
	case PushState::kWaitingExtension:
		return "waiting for extension";
	case PushState::kDisabled:
		return "disabled";
	case PushState::kStandby:
		return "standby";
	case PushState::kConnecting:
		return "connecting";
	case PushState::kIdle:
		return "idle";
	case PushState::kPushing:
		return "pushing";
	case PushState::kBackingOff:
		return "backing off";
	}
	return "unknown";
}

bool PushAvailable()
{
	return preloaded && shared != nullptr;
}

void InstallPushShared()
{
	preloaded = true;
	previous_request_hook = shmem_request_hook;
	shmem_request_hook = RequestShared;
	previous_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StartupShared;
}

bool ClaimWorkerSlot(Latch *latch, int pid)
{
	SpinLockAcquire(&shared->mutex);
	bool free = shared->status.pid == 0;
	if (free) {
		shared->worker_latch = latch;
		shared->status.pid = pid;
	}
	SpinLockRelease(&shared->mutex);
	return free;
}

void ReleaseWorkerSlot(int pid)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->status.pid == pid) {
		shared->worker_latch = nullptr;
		shared->status.pid = 0;
		shared->status.state = PushState::kNotRunning;
		shared->status.connected = false;
	}
	SpinLockRelease(&shared->mutex);
}

int WorkerSlotPid()
{
	SpinLockAcquire(&shared->mutex);
	int pid = shared->status.pid;
	SpinLockRelease(&shared->mutex);
	return pid;
}

void SetPushState(PushState state, bool connected)
{
	SpinLockAcquire(&shared->mutex);
	shared->status.state = state;
	shared->status.connected = connected;
	SpinLockRelease(&shared->mutex);
}

void RecordPushed(int64 keys)
{
	TimestampTz now = GetCurrentTimestamp();
	SpinLockAcquire(&shared->mutex);
	shared->status.pushed_total += keys;
	shared->status.last_push_at = now;
	SpinLockRelease(&shared->mutex);
}

void RecordPushError(const char *message)
{
	TimestampTz now = GetCurrentTimestamp();
	SpinLockAcquire(&shared->mutex);
	strlcpy(shared->status.last_error, message, sizeof shared->status.last_error);
	shared->status.last_error_at = now;
	SpinLockRelease(&shared->mutex);
}

void WakePushWorker()
{
	if (!PushAvailable())
		return;
	SpinLockAcquire(&shared->mutex);
	Latch *latch = shared->worker_latch;
	SpinLockRelease(&shared->mutex);
	// The latch lives in the worker's PGPROC, which stays in shared memory
	// even if the worker exits meanwhile: setting it is always safe.
	if (latch != nullptr)
		SetLatch(latch);
}

bool ReadPushStatus(PushStatus *out)
{
	if (!PushAvailable())
		return false;
	SpinLockAcquire(&shared->mutex);
	*out = shared->status;
	SpinLockRelease(&shared->mutex);
	return true;
}

}  // namespace exp_assign::pg
