// Fuzz target "redis_value": what the push worker writes to Redis (DESIGN.md
// section 5) and the timestamps it and explain print (IsoUtc, utc_time.hpp).
//
// Checks, with every field taken from the input:
// - AppendAssignmentKey appends exactly prefix ":" id ":" user (plain) or
//   prefix ":{" user "}:" id (cluster), the user's bytes unchanged, and
//   keeps what was in the buffer; in the cluster layout two experiments of
//   one user get the same Redis Cluster hash tag, when the prefix has no
//   '{' and the user id is not empty and does not start with '}' (outside
//   that, Redis's rule takes the tag from the prefix's braces, or finds
//   "{}" and hashes the whole key, experiment id included: one user's
//   keys then lie in different slots);
// - AppendAssignmentValue with any variant key is one JSON object read by
//   json_check.hpp: exactly variant_id, variant_key, version, assigned_at
//   in that order, the key decoding to its bytes, assigned_at to
//   AssignedAtText's text;
// - AssignedAtText(m): INT64_MAX "infinity", INT64_MIN "-infinity",
//   otherwise gmtime_r of floor(m / 1e6) as YYYY-MM-DDTHH:MM:SSZ;
// - IsoUtc(m), any int64: the same, with ".uuuuuu" when m is not a whole
//   second (microseconds of the instant, floor division, so always 0-999999);
// - BackoffMs(f, cap): 0 for f <= 0, else min(100 * 2^(f-1), cap).
// Year text: years from 0 up zero-padded to 4 digits (5 or 6 past 9999, no
// '+', as PostgreSQL prints them), negative (astronomical, -1 = 2 BC) years
// a '-' then at least 4 digits, as ISO 8601 writes them: -1 is "-0001".
// - ClusterSlot(key), the node the worker sends the key's command to, is
//   CRC16/XMODEM of the hash tag modulo 16384 (a table-driven reference),
//   the same for every key of one user in the cluster layout.
// Why: clients parse the key and value; their exact bytes are the contract.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "../unit/hash_tag.hpp"
#include "check.hpp"
#include "core/backoff.hpp"
#include "core/cluster_slot.hpp"
#include "core/json.hpp"
#include "core/redis_value.hpp"
#include "core/utc_time.hpp"
#include "json_check.hpp"

namespace {

using exp_assign::KeyLayout;
using exp_assign::test_support::HashTag;
using json_check::Show;
using json_check::Value;

// Redis's slot, from its documented rule: CRC16/XMODEM of the hash tag (or
// the whole key) modulo 16384, computed a byte at a time from a table built
// here, not bit by bit as the core does.
uint16_t ReferenceSlot(const std::string &key)
{
	static uint16_t table[256];
	static bool built = false;
	if (!built) {
		for (int i = 0; i < 256; i++) {
			uint16_t crc = static_cast<uint16_t>(i << 8);
			for (int bit = 0; bit < 8; bit++)
				crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
									 : static_cast<uint16_t>(crc << 1);
			table[i] = crc;
		}
		built = true;
	}
	uint16_t crc = 0;
	for (unsigned char byte : HashTag(key))
		crc = static_cast<uint16_t>((crc << 8) ^ table[((crc >> 8) ^ byte) & 0xff]);
	return crc & 16383;
}

std::string Key(std::string_view prefix, int32_t experiment_id, std::string_view user, KeyLayout layout)
{
	const std::string before = "kept|";
	std::string out = before;
	exp_assign::AppendAssignmentKey(&out, prefix, experiment_id, user, layout);
	if (out.compare(0, before.size(), before) != 0)
		fuzz::Mismatch("AppendAssignmentKey changed what was in the buffer");
	return out.substr(before.size());
}

std::string ZeroPadded(long long v, int width)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%0*lld", width, v);
	return buf;
}

// The expected text of the instant micros (Unix epoch, UTC); false when
// gmtime_r cannot represent it.
bool ExpectedUtc(int64_t micros, bool with_micros, std::string *out)
{
	int64_t seconds = micros / 1000000;
	int64_t fraction = micros % 1000000;
	if (fraction < 0) {
		fraction += 1000000;
		seconds -= 1;
	}
	std::time_t t = static_cast<std::time_t>(seconds);
	std::tm tm;
	if (gmtime_r(&t, &tm) == nullptr)
		return false;
	long long year = tm.tm_year + 1900LL;
	*out = year >= 0 ? ZeroPadded(year, 4) : "-" + ZeroPadded(-year, 4);
	*out += "-" + ZeroPadded(tm.tm_mon + 1, 2) + "-" + ZeroPadded(tm.tm_mday, 2) + "T" +
			ZeroPadded(tm.tm_hour, 2) + ":" + ZeroPadded(tm.tm_min, 2) + ":" + ZeroPadded(tm.tm_sec, 2);
	if (with_micros && fraction != 0)
		*out += "." + ZeroPadded(fraction, 6);
	*out += "Z";
	return true;
}

void CheckAssignedAt(int64_t micros)
{
	std::string want;
	if (micros == INT64_MAX)
		want = "infinity";
	else if (micros == INT64_MIN)
		want = "-infinity";
	else {
		// AssignedAtText counts from 2000 (PostgreSQL's TimestampTz); the
		// oracle from 1970, where the shifted value fits.
		int64_t unix_micros;
		if (__builtin_add_overflow(micros, exp_assign::kPostgresEpochUnixSeconds * 1000000, &unix_micros) ||
			!ExpectedUtc(unix_micros, false, &want))
			return;
	}
	std::string got = exp_assign::AssignedAtText(micros);
	if (got != want)
		fuzz::Mismatch("AssignedAtText(" + std::to_string(micros) + ") = " + Show(got) + ", expected " +
					   Show(want));
}

void CheckIsoUtc(int64_t micros)
{
	std::string want;
	if (!ExpectedUtc(micros, true, &want))
		return;
	std::string got = exp_assign::IsoUtc(micros);
	if (got != want)
		fuzz::Mismatch("IsoUtc(" + std::to_string(micros) + ") = " + Show(got) + ", expected " + Show(want));
}

void CheckBackoff(int failures, int cap_ms)
{
	long long want = 0;
	if (failures > 0) {
		long long delay = 100;
		for (int i = 1; i < failures && delay < 1LL << 40; i++)
			delay *= 2;
		want = std::min<long long>(delay, cap_ms);
	}
	int got = exp_assign::BackoffMs(failures, cap_ms);
	if (got != want)
		fuzz::Mismatch("BackoffMs(" + std::to_string(failures) + ", " + std::to_string(cap_ms) +
					   ") = " + std::to_string(got) + ", expected " + std::to_string(want));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider in(data, size);
	const KeyLayout layout = in.ConsumeBool() ? KeyLayout::kCluster : KeyLayout::kPlain;
	const int32_t experiment_id = in.ConsumeIntegral<int32_t>();
	const int32_t other_experiment_id = in.ConsumeIntegral<int32_t>();
	const int32_t variant_id = in.ConsumeIntegral<int32_t>();
	const int32_t version = in.ConsumeIntegral<int32_t>();
	int64_t assigned_micros = in.ConsumeIntegral<int64_t>();
	const int64_t other_micros = in.ConsumeIntegral<int64_t>();
	const int failures = in.ConsumeIntegral<int>();
	const int cap_ms = in.ConsumeIntegral<int>();
	const std::string prefix = in.ConsumeRandomLengthString(12);
	const std::string user = in.ConsumeRandomLengthString(24);
	const std::string variant_key = in.ConsumeRandomLengthString(32);

	// The key.
	const std::string key = Key(prefix, experiment_id, user, layout);
	const std::string id = std::to_string(experiment_id);
	const std::string want =
		layout == KeyLayout::kPlain ? prefix + ":" + id + ":" + user : prefix + ":{" + user + "}:" + id;
	if (key != want)
		fuzz::Mismatch("AppendAssignmentKey(" + Show(prefix) + ", " + id + ", " + Show(user) + ", " +
					   (layout == KeyLayout::kPlain ? "plain" : "cluster") + ") = " + Show(key) +
					   ", expected " + Show(want));
	if (layout == KeyLayout::kCluster && prefix.find('{') == std::string::npos && !user.empty() &&
		user[0] != '}') {
		const std::string other = Key(prefix, other_experiment_id, user, layout);
		if (HashTag(key) != HashTag(other))
			fuzz::Mismatch("cluster keys " + Show(key) + " and " + Show(other) +
						   " of one user have different hash tags");
		if (exp_assign::ClusterSlot(key) != exp_assign::ClusterSlot(other))
			fuzz::Mismatch("cluster keys " + Show(key) + " and " + Show(other) +
						   " of one user lie in different slots");
	}
	// The slot the worker sends a command to is Redis's.
	if (exp_assign::ClusterSlot(key) != ReferenceSlot(key))
		fuzz::Mismatch("ClusterSlot(" + Show(key) + ") = " + std::to_string(exp_assign::ClusterSlot(key)) +
					   ", Redis's rule gives " + std::to_string(ReferenceSlot(key)));

	// The timestamps (IsoUtc takes the whole range).
	CheckIsoUtc(assigned_micros);
	CheckIsoUtc(other_micros);
	CheckAssignedAt(assigned_micros);
	CheckBackoff(failures, cap_ms);

	// The value.
	const std::string assigned_at = exp_assign::AssignedAtText(assigned_micros);
	const std::string before = "kept|";
	std::string value = before;
	exp_assign::AppendAssignmentValue(&value, variant_id, variant_key, version, assigned_at);
	if (value.compare(0, before.size(), before) != 0)
		fuzz::Mismatch("AppendAssignmentValue changed what was in the buffer");
	std::string_view json = std::string_view(value).substr(before.size());
	Value doc;
	json_check::Reader reader(json);
	if (!reader.Document(&doc))
		fuzz::Mismatch("AppendAssignmentValue wrote " + Show(json) + ", not JSON: " + reader.Error());
	const bool shape_ok = doc.kind == Value::kObject && doc.keys.size() == 4 && doc.keys[0] == "variant_id" &&
						  doc.keys[1] == "variant_key" && doc.keys[2] == "version" &&
						  doc.keys[3] == "assigned_at" && doc.items[0].kind == Value::kNumber &&
						  doc.items[1].kind == Value::kString && doc.items[2].kind == Value::kNumber &&
						  doc.items[3].kind == Value::kString;
	if (!shape_ok || doc.items[0].text != std::to_string(variant_id) || doc.items[1].text != variant_key ||
		doc.items[2].text != std::to_string(version) || doc.items[3].text != assigned_at)
		fuzz::Mismatch("AppendAssignmentValue wrote " + Show(json) + " for variant " +
					   std::to_string(variant_id) + " " + Show(variant_key) + ", version " +
					   std::to_string(version) + ", assigned_at " + Show(assigned_at));
	return 0;
}
