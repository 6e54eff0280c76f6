// The backend half of Redis push (wake_worker_at_commit.cpp).
#pragma once

namespace exp_assign::pg {

// Registers the commit callback that wakes the worker; from _PG_init.
void InstallWakeAtCommit();

}  // namespace exp_assign::pg
