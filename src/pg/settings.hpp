// Every exp_assign.* setting, declared in one place (settings.cpp).
#pragma once

namespace exp_assign::pg {

// Longest user id, in bytes, the get-or-create functions accept.
extern int max_user_id_bytes;

// Registers the settings; called once from _PG_init.
void DefineSettings();

}  // namespace exp_assign::pg
