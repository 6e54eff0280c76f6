// Keeps exp_assign.redis_password out of the server log.
#pragma once

namespace exp_assign::pg {

// Installs an emit_log_hook; from _PG_init while preloading, so the
// postmaster, which logs "parameter ... changed to ..." on reload, has it.
void InstallLogRedaction();

}  // namespace exp_assign::pg
