// Every exp_assign.* setting, declared in one place (settings.cpp).
#pragma once

namespace exp_assign::pg {

// Longest user id, in bytes, the get-or-create functions accept.
extern int max_user_id_bytes;

// Redis push (DESIGN.md section 5). All reload with SIGHUP.
extern char *push_database;
extern char *redis_host;
extern int redis_port;
extern char *redis_password;
extern int redis_db;
extern int redis_connect_timeout_ms;
extern int redis_command_timeout_ms;
extern int redis_batch_size;
extern int redis_ttl;
extern char *redis_key_prefix;
extern int redis_key_layout;  // a KeyLayout (core/redis_value.hpp)
extern bool redis_enabled;

// Registers the settings; called once from _PG_init.
void DefineSettings();

}  // namespace exp_assign::pg
