// PostgreSQL logs every setting a reload changes with its new value, and
// would print the Redis password with it. This hook rewrites that message,
// and hides the current password wherever else a message would quote it
// (say, a failed statement that spelled it out).
#include "pg/log_redaction.hpp"

#include "pg/postgres.hpp"
#include "pg/settings.hpp"

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

void Redact(ErrorData *edata)
{
	if (edata->message != nullptr &&
		strncmp(edata->message, kParameterPrefix, sizeof kParameterPrefix - 1) == 0)
		edata->message = psprintf("%s changed (value hidden)", kParameterPrefix);
	const char *secret = redis_password;
	if (secret != nullptr && secret[0] != '\0') {
		if (edata->message != nullptr && strstr(edata->message, secret) != nullptr)
			edata->message = WithoutSecret(edata->message, secret);
		if (edata->detail != nullptr && strstr(edata->detail, secret) != nullptr)
			edata->detail = WithoutSecret(edata->detail, secret);
		if (edata->internalquery != nullptr && strstr(edata->internalquery, secret) != nullptr)
			edata->internalquery = WithoutSecret(edata->internalquery, secret);
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
