#include "pg/settings.hpp"

#include "pg/postgres.hpp"

namespace exp_assign::pg {

int max_user_id_bytes = 1000;

void DefineSettings()
{
	DefineCustomIntVariable(
		"exp_assign.max_user_id_bytes",
		"Longest user id, in bytes, that the get-or-create functions accept.",
		"Longer ids are rejected with SQLSTATE 22001. Redis keys and index entries "
		"carry the whole id, so keep it short.",
		&max_user_id_bytes, 1000, 1000, 1024 * 1024, PGC_USERSET, GUC_UNIT_BYTE, nullptr,
		nullptr, nullptr);
	MarkGUCPrefixReserved("exp_assign");
}

}  // namespace exp_assign::pg
