// The shared library's entry: module magic and load-time set-up.
#include "pg/postgres.hpp"

#include "pg/settings.hpp"

extern "C" {

PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void)
{
	exp_assign::pg::DefineSettings();
}

}  // extern "C"
