#include "core/redis_value.hpp"

#include <charconv>
#include <cstdint>

#include "core/json.hpp"
#include "core/utc_time.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

namespace {

void AppendInt(std::string *out, int64_t value)
{
	char digits[24];
	auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
	out->append(digits, end);
}

}  // namespace

void AppendAssignmentKey(std::string *out, std::string_view prefix, int32_t experiment_id,
						 std::string_view user, KeyLayout layout)
{
	out->append(prefix);
	*out += ':';
	if (layout == KeyLayout::kCluster) {
		// Redis hashes what lies between the first '{' and the next '}': the
		// user id, or its part before a '}' of its own. Either way the same
		// bytes for every key of the user, never the experiment (one slot per
		// experiment would be a hotspot).
		*out += '{';
		out->append(user);
		out->append("}:");
		AppendInt(out, experiment_id);
		return;
	}
	AppendInt(out, experiment_id);
	*out += ':';
	out->append(user);
}

std::string AssignedAtText(int64_t assigned_micros_since_2000)
{
	return InstantText(assigned_micros_since_2000, Fraction::kWholeSecond);
}

void AppendAssignmentValue(std::string *out, int32_t variant_id, std::string_view variant_key,
						   int32_t version, std::string_view assigned_at_text)
{
	out->append("{\"variant_id\":");
	AppendInt(out, variant_id);
	out->append(",\"variant_key\":");
	AppendJsonString(out, variant_key);
	out->append(",\"version\":");
	AppendInt(out, version);
	out->append(",\"assigned_at\":\"");
	out->append(assigned_at_text);
	out->append("\"}");
}

}  // namespace exp_assign
