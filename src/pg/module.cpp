// The shared library's entry: module magic and load-time set-up.
#include "pg/postgres.hpp"

#include "pg/catalog.hpp"
#include "pg/log_redaction.hpp"
#include "pg/push_shared.hpp"
#include "pg/settings.hpp"
#include "pg/wake_worker_at_commit.hpp"
#include "worker/push_worker.hpp"

extern "C" {

PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void)
{
	exp_assign::pg::DefineSettings();
	exp_assign::pg::InstallCatalogInvalidation();
	// Redis push exists only when preloaded: the worker needs shared memory
	// and must be registered by the postmaster. Loaded on demand, the
	// functions work and nothing is queued.
	if (process_shared_preload_libraries_in_progress) {
		exp_assign::pg::InstallPushShared();
		exp_assign::pg::RegisterPushLauncher();
		exp_assign::pg::InstallWakeAtCommit();
		exp_assign::pg::InstallLogRedaction();
	}
}

}  // extern "C"
