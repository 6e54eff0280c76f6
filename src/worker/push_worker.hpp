// The Redis push processes: a launcher, registered at preload, that waits
// for exp_assign.database to exist and keeps one push worker running in it.
#pragma once

namespace exp_assign::pg {

// Called from _PG_init while preloading.
void RegisterPushLauncher();

}  // namespace exp_assign::pg
