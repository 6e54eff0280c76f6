#include "worker/redis_link.hpp"

#include <hiredis/hiredis.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "worker/cluster_slots_reply.hpp"

namespace exp_assign::redis {

namespace {

timeval Milliseconds(int ms)
{
	timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
	return tv;
}

// Copies a Redis error reply ("WRONGPASS ...", "MOVED ...", "OOM ...").
void ReplyError(const redisReply *reply, char *error, size_t error_len)
{
	std::snprintf(error, error_len, "Redis replied: %.*s", static_cast<int>(reply->len), reply->str);
}

}  // namespace

void Link::Fail(redisContext *context, const char *what, char *error, size_t error_len) noexcept
{
	if (context != nullptr && context->err != 0)
		std::snprintf(error, error_len, "%s: %s", what, context->errstr);
	else
		std::snprintf(error, error_len, "%s", what);
	Close();
}

// A connection with the command timeout set and the password sent; NULL
// (error set) on failure. The caller owns it.
redisContext *Link::Open(const char *host, int port, const LinkOptions &options, char *error,
						 size_t error_len) noexcept
{
	redisContext *context = redisConnectWithTimeout(host, port, Milliseconds(options.connect_timeout_ms));
	if (context == nullptr) {
		std::snprintf(error, error_len, "cannot allocate a Redis context");
		return nullptr;
	}
	if (context->err != 0) {
		std::snprintf(error, error_len, "cannot connect to Redis at %s:%d: %s", host, port, context->errstr);
		redisFree(context);
		return nullptr;
	}
	// hiredis 0.14 applies the connect timeout to the socket; reads and writes
	// need their own, set on every new context.
	if (redisSetTimeout(context, Milliseconds(options.command_timeout_ms)) != REDIS_OK) {
		std::snprintf(error, error_len, "cannot set the Redis command timeout");
		redisFree(context);
		return nullptr;
	}
	redisEnableKeepAlive(context);
	if (options.password != nullptr && options.password[0] != '\0') {
		const char *argv[] = {"AUTH", options.password};
		size_t argvlen[] = {4, std::strlen(options.password)};
		if (!Simple(context, 2, argv, argvlen, error, error_len)) {
			redisFree(context);
			return nullptr;
		}
	}
	return context;
}

bool Link::Connect(const LinkOptions &options, char *error, size_t error_len) noexcept
{
	Close();
	redisContext *seed = Open(options.host, options.port, options, error, error_len);
	if (seed == nullptr)
		return false;
	if (options.db != 0) {
		char db[16];
		int len = std::snprintf(db, sizeof db, "%d", options.db);
		const char *argv[] = {"SELECT", db};
		size_t argvlen[] = {6, static_cast<size_t>(len)};
		if (!Simple(seed, 2, argv, argvlen, error, error_len)) {
			redisFree(seed);
			return false;
		}
	}
	return LoadSlots(seed, options, error, error_len);
}

// Asks the seed for the cluster's slots. A server without cluster support
// answers with an error: it is then the only node, serving every slot.
// Otherwise the seed is closed and every master is connected; slots no
// master serves map to no node (a command for them fails, and is retried).
bool Link::LoadSlots(redisContext *seed, const LinkOptions &options, char *error, size_t error_len) noexcept
{
	const char *argv[] = {"CLUSTER", "SLOTS"};
	size_t argvlen[] = {7, 5};
	auto *reply = static_cast<redisReply *>(redisCommandArgv(seed, 2, argv, argvlen));
	if (reply == nullptr) {
		Fail(seed, "Redis connection failed", error, error_len);
		redisFree(seed);
		return false;
	}
	if (reply->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(reply);
		contexts_[0] = seed;
		nodes_ = 1;
		cluster_ = false;
		return true;
	}
	redisFree(seed);
	if (options.db != 0) {
		freeReplyObject(reply);
		std::snprintf(error, error_len, "a Redis Cluster has only database 0, exp_assign.redis_db is %d",
					  options.db);
		return false;
	}
	auto *ranges = static_cast<MasterRange *>(std::malloc(sizeof(MasterRange) * (reply->elements + 1)));
	size_t nranges = 0;
	bool ok = ranges != nullptr;
	if (!ok)
		std::snprintf(error, error_len, "out of memory reading CLUSTER SLOTS");
	else
		ok = ParseClusterSlots(reply, options.host, ranges, &nranges, error, error_len);
	std::memset(slot_node_, kNoNode, sizeof slot_node_);
	cluster_ = true;
	for (size_t i = 0; ok && i < nranges; i++) {
		const MasterRange &range = ranges[i];
		// The same master serves several ranges: one connection each.
		int node = -1;
		for (int n = 0; n < nodes_; n++) {
			if (contexts_[n]->tcp.port == range.port && std::strcmp(contexts_[n]->tcp.host, range.host) == 0)
				node = n;
		}
		if (node < 0) {
			if (nodes_ == kMaxNodes) {
				std::snprintf(error, error_len, "a Redis Cluster of more than %d masters", kMaxNodes);
				ok = false;
				break;
			}
			redisContext *context = Open(range.host, range.port, options, error, error_len);
			if (context == nullptr) {
				ok = false;
				break;
			}
			node = nodes_;
			contexts_[nodes_++] = context;
		}
		for (long long slot = range.first; slot <= range.last; slot++)
			slot_node_[slot] = static_cast<uint8_t>(node);
	}
	std::free(ranges);
	freeReplyObject(reply);
	if (ok && nodes_ == 0) {
		std::snprintf(error, error_len, "the Redis Cluster serves no slot");
		ok = false;
	}
	if (!ok)
		Close();
	return ok;
}

bool Link::Simple(redisContext *context, int argc, const char **argv, const size_t *argvlen, char *error,
				  size_t error_len) noexcept
{
	auto *reply = static_cast<redisReply *>(redisCommandArgv(context, argc, argv, argvlen));
	if (reply == nullptr) {
		std::snprintf(error, error_len, "Redis connection failed%s%s", context->err ? ": " : "",
					  context->err ? context->errstr : "");
		return false;
	}
	bool ok = reply->type != REDIS_REPLY_ERROR;
	if (!ok) {
		// Never echo the command: AUTH carries the password.
		ReplyError(reply, error, error_len);
	}
	freeReplyObject(reply);
	return ok;
}

// Appends node to the ring of unanswered commands.
bool Link::Remember(uint8_t node) noexcept
{
	if (unanswered_ == capacity_) {
		size_t capacity = capacity_ == 0 ? 1024 : 2 * capacity_;
		auto *ring = static_cast<uint8_t *>(std::malloc(capacity));
		if (ring == nullptr)
			return false;
		for (size_t i = 0; i < unanswered_; i++)
			ring[i] = pending_[(head_ + i) % capacity_];
		std::free(pending_);
		pending_ = ring;
		capacity_ = capacity;
		head_ = 0;
	}
	pending_[(head_ + unanswered_) % capacity_] = node;
	unanswered_++;
	return true;
}

bool Link::Write(const Command *commands, size_t count, char *error, size_t error_len) noexcept
{
	if (nodes_ == 0) {
		std::snprintf(error, error_len, "not connected to Redis");
		return false;
	}
	bool written_to[kMaxNodes] = {};
	for (size_t i = 0; i < count; i++) {
		uint8_t node = 0;
		if (cluster_) {
			uint16_t slot = ClusterSlot({commands[i].argv[1], commands[i].argvlen[1]});
			node = slot_node_[slot];
			if (node == kNoNode) {
				char what[64];
				std::snprintf(what, sizeof what, "no Redis Cluster node serves slot %u", slot);
				Fail(nullptr, what, error, error_len);
				return false;
			}
		}
		// hiredis 0.14 takes char ** but only reads the arguments.
		if (redisAppendCommandArgv(contexts_[node], commands[i].argc,
								   const_cast<const char **>(commands[i].argv),
								   commands[i].argvlen) != REDIS_OK) {
			Fail(contexts_[node], "cannot queue a Redis command", error, error_len);
			return false;
		}
		if (!Remember(node)) {
			Fail(nullptr, "out of memory queueing Redis commands", error, error_len);
			return false;
		}
		written_to[node] = true;
	}
	// The sockets block, so each call writes what the kernel takes; Redis
	// buffers its replies, so writing everything first cannot deadlock.
	for (int node = 0; node < nodes_; node++) {
		for (int done = !written_to[node]; !done;) {
			if (redisBufferWrite(contexts_[node], &done) != REDIS_OK) {
				Fail(contexts_[node], "Redis connection failed", error, error_len);
				return false;
			}
		}
	}
	return true;
}

bool Link::ReadReplies(size_t count, char *error, size_t error_len) noexcept
{
	if (nodes_ == 0) {
		std::snprintf(error, error_len, "not connected to Redis");
		return false;
	}
	// Every reply is read even after an error reply, so the message in
	// error is the first one; the connections are closed anyway.
	if (count > unanswered_) {
		std::snprintf(error, error_len, "no reply is due for %zu of %zu Redis commands", count - unanswered_,
					  count);
		Close();
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < count; i++) {
		// Each node answers its commands in the order they were written.
		redisContext *context = contexts_[pending_[head_]];
		head_ = (head_ + 1) % capacity_;
		unanswered_--;
		void *raw = nullptr;
		if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
			Fail(context, "Redis connection failed", error, error_len);
			return false;
		}
		redisReply *reply = static_cast<redisReply *>(raw);
		if (reply->type == REDIS_REPLY_ERROR && ok) {
			ReplyError(reply, error, error_len);
			ok = false;
		}
		freeReplyObject(reply);
	}
	if (!ok)
		Close();
	return ok;
}

void Link::Close() noexcept
{
	for (int node = 0; node < nodes_; node++)
		redisFree(contexts_[node]);
	nodes_ = 0;
	head_ = 0;
	unanswered_ = 0;
}

}  // namespace exp_assign::redis
