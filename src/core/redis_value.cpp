#include "core/redis_value.hpp"

#include "core/json.hpp"

#include "core/core_only.hpp"

namespace exp_assign {

std::string AssignmentKey(std::string_view prefix, int32_t experiment_id, std::string_view user)
{
	std::string key;
	key.reserve(prefix.size() + user.size() + 13);
	key.append(prefix);
	key += ':';
	key += std::to_string(experiment_id);
	key += ':';
	key.append(user);
	return key;
}

std::string AssignmentValue(int32_t variant_id, std::string_view variant_key, int32_t version,
							int64_t assigned_unix_micros)
{
	constexpr int64_t kMicrosPerSecond = 1000000;
	int64_t seconds = assigned_unix_micros / kMicrosPerSecond;
	if (assigned_unix_micros % kMicrosPerSecond < 0)
		seconds -= 1;  // truncate towards the past, as to_char does
	JsonWriter json;
	json.BeginObject()
		.Key("variant_id").Int(variant_id)
		.Key("variant_key").String(variant_key)
		.Key("version").Int(version)
		.Key("assigned_at").String(IsoUtc(seconds * kMicrosPerSecond))
		.EndObject();
	return json.Text();
}

int BackoffMs(int failures, int cap_ms) noexcept
{
	constexpr int kFirstMs = 100;
	if (failures <= 0)
		return 0;
	int64_t delay = kFirstMs;
	for (int i = 1; i < failures && delay < cap_ms; i++)
		delay *= 2;
	return static_cast<int>(delay < cap_ms ? delay : cap_ms);
}

}  // namespace exp_assign
