// PostgreSQL logs every setting a reload changes with its new value, and
// would print the Redis password with it. This hook rewrites that message,
// and hides the current password wherever else a message would quote it
// (say, a failed statement that spelled it out).
#include "pg/log_redaction.hpp"

#include "pg/postgres.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "tcop/tcopprot.h"
}

namespace exp_assign::pg {

namespace {

constexpr char kParameterPrefix[] = "parameter \"exp_assign.redis_password\"";
constexpr char kHidden[] = "********";

emit_log_hook_type previous_hook = nullptr;

// A copy of text with every occurrence of secret replaced by kHidden.
char *WithoutSecret(const char *text, const char *secret)
{
	StringInfoData out;
	initStringInfo(&out);
	size_t secret_len = strlen(secret);
	const char *rest = text;
	for (const char *hit; (hit = strstr(rest, secret)) != nullptr; rest = hit + secret_len) {
		appendBinaryStringInfo(&out, rest, static_cast<int>(hit - rest));
		appendStringInfoString(&out, kHidden);
	}
	appendStringInfoString(&out, rest);
	return out.data;
}

// Hides secret in one field of the report.
void Scrub(char **field, const char *secret)
{
	if (*field != nullptr && strstr(*field, secret) != nullptr)
		*field = WithoutSecret(*field, secret);
}

void Redact(ErrorData *edata)
{
	if (edata->message != nullptr &&
		strncmp(edata->message, kParameterPrefix, sizeof kParameterPrefix - 1) == 0)
		edata->message = psprintf("%s changed (value hidden)", kParameterPrefix);
	// The statement logged with an error is not part of edata: hide it when it
	// names the setting (ALTER SYSTEM SET exp_assign.redis_password = ...).
	if (debug_query_string != nullptr && strcasestr(debug_query_string, "redis_password") != nullptr)
		edata->hide_stmt = true;
	const char *secret = redis_password;
	if (secret != nullptr && secret[0] != '\0') {
		Scrub(&edata->message, secret);
		Scrub(&edata->detail, secret);
		Scrub(&edata->detail_log, secret);
		Scrub(&edata->hint, secret);
		Scrub(&edata->context, secret);
		Scrub(&edata->internalquery, secret);
		if (debug_query_string != nullptr && strstr(debug_query_string, secret) != nullptr)
			edata->hide_stmt = true;
	}
	if (previous_hook != nullptr)
		previous_hook(edata);
}

}  // namespace

void InstallLogRedaction()
{
	previous_hook = emit_log_hook;
	emit_log_hook = Redact;
}

}  // namespace exp_assign::pg
