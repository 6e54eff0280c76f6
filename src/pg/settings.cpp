#include "pg/settings.hpp"

#include "core/redis_value.hpp"
#include "pg/postgres.hpp"

namespace exp_assign::pg {

int max_user_id_bytes = 1000;

char *push_database = nullptr;
char *redis_host = nullptr;
int redis_port = 6379;
char *redis_password = nullptr;
int redis_db = 0;
int redis_connect_timeout_ms = 2000;
int redis_command_timeout_ms = 2000;
int redis_batch_size = 500;
int redis_ttl = 604800;
char *redis_key_prefix = nullptr;
int redis_key_layout = static_cast<int>(KeyLayout::kPlain);
bool redis_enabled = true;

namespace {

// A btree entry holds at most 2704 bytes; the primary key of assignments
// stores the experiment id and the whole user id, so an id past this would
// fail inside the INSERT with an index error instead of a clear 22001.
constexpr int kLongestIndexableUserId = 2600;

const config_enum_entry kKeyLayouts[] = {
	{"plain", static_cast<int>(KeyLayout::kPlain), false},
	{"cluster", static_cast<int>(KeyLayout::kCluster), false},
	{nullptr, 0, false},
};

// An empty prefix would yield keys like ":42:user" that readers cannot
// tell from a misconfiguration. A brace would make Redis Cluster hash the
// prefix's tag instead of the user id's: every key in one slot.
bool CheckKeyPrefix(char **newval, void **, GucSource)
{
	if (**newval == '\0') {
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("exp_assign.redis_key_prefix must not be empty.");
		return false;
	}
	if (strpbrk(*newval, "{}") != nullptr) {
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("exp_assign.redis_key_prefix must not contain \"{\" or \"}\".");
		GUC_check_errhint("Redis Cluster hashes the first {...} of a key; the cluster key layout "
						  "puts the user id there.");
		return false;
	}
	return true;
}

// SHOW and pg_settings print a mask: GUC_SUPERUSER_ONLY alone would still
// show the password to members of pg_read_all_settings (pg_monitor).
const char *ShowPasswordMask()
{
	return redis_password != nullptr && redis_password[0] != '\0' ? "********" : "";
}

}  // namespace

void DefineSettings()
{
	DefineCustomIntVariable("exp_assign.max_user_id_bytes",
							"Longest user id, in bytes, that the get-or-create functions accept.",
							"Longer ids are rejected with SQLSTATE 22001. Redis keys and index entries "
							"carry the whole id, so keep it short.",
							&max_user_id_bytes, 1000, 1000, kLongestIndexableUserId, PGC_USERSET,
							GUC_UNIT_BYTE, nullptr, nullptr, nullptr);

	DefineCustomStringVariable(
		"exp_assign.database", "Database whose assignments the Redis push worker delivers.",
		"Only this database queues changes; others never do, so no queue grows unread.", &push_database,
		"postgres", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable("exp_assign.redis_host", "Redis host the push worker connects to.", nullptr,
							   &redis_host, "127.0.0.1", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("exp_assign.redis_port", "Redis TCP port.", nullptr, &redis_port, 6379, 1, 65535,
							PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable("exp_assign.redis_password", "Password sent with AUTH; empty sends none.",
							   "Shown as ******** even to superusers; never logged.", &redis_password, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL, nullptr, nullptr,
							   ShowPasswordMask);
	DefineCustomIntVariable("exp_assign.redis_db", "Redis logical database (SELECT).", nullptr, &redis_db, 0,
							0, 1024, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("exp_assign.redis_connect_timeout", "Timeout to connect to Redis.", nullptr,
							&redis_connect_timeout_ms, 2000, 1, 600000, PGC_SIGHUP, GUC_UNIT_MS, nullptr,
							nullptr, nullptr);
	DefineCustomIntVariable("exp_assign.redis_command_timeout", "Timeout of one Redis read or write.",
							nullptr, &redis_command_timeout_ms, 2000, 1, 600000, PGC_SIGHUP, GUC_UNIT_MS,
							nullptr, nullptr, nullptr);
	DefineCustomIntVariable("exp_assign.redis_batch_size", "Keys the push worker sends in one pipeline.",
							nullptr, &redis_batch_size, 500, 1, 100000, PGC_SIGHUP, 0, nullptr, nullptr,
							nullptr);
	DefineCustomIntVariable("exp_assign.redis_ttl", "Expiry of the keys the worker sets.", nullptr,
							&redis_ttl, 604800, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr,
							nullptr);
	DefineCustomStringVariable("exp_assign.redis_key_prefix",
							   "First part of every key: <prefix>:<experiment_id>:<user_id>.", nullptr,
							   &redis_key_prefix, "assign", PGC_SIGHUP, 0, CheckKeyPrefix, nullptr, nullptr);
	DefineCustomEnumVariable("exp_assign.redis_key_layout", "How the push worker spells keys.",
							 "plain: <prefix>:<experiment_id>:<user_id>; cluster: "
							 "<prefix>:{<user_id>}:<experiment_id>, one hash slot per user.",
							 &redis_key_layout, static_cast<int>(KeyLayout::kPlain), kKeyLayouts, PGC_SIGHUP,
							 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("exp_assign.redis_enabled", "Whether the push worker delivers to Redis.",
							 "Off pauses delivery; the queue keeps filling and drains when it is on again.",
							 &redis_enabled, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

	MarkGUCPrefixReserved("exp_assign");
}

}  // namespace exp_assign::pg
