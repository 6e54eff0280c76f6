#include "redis/link.hpp"

#include <hiredis/hiredis.h>

#include <cstdio>
#include <cstring>

namespace exp_assign::redis {

namespace {

timeval Milliseconds(int ms)
{
	timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

// Copies a Redis error reply ("WRONGPASS ...", "MOVED ...", "OOM ...").
void ReplyError(const redisReply *reply, char *error, size_t error_len)
{
	std::snprintf(error, error_len, "Redis replied: %.*s", static_cast<int>(reply->len),
				  reply->str);
}

}  // namespace

void Link::Fail(const char *what, char *error, size_t error_len) noexcept
{
	if (context_ != nullptr && context_->err != 0)
		std::snprintf(error, error_len, "%s: %s", what, context_->errstr);
	else
		std::snprintf(error, error_len, "%s", what);
	Close();
}

bool Link::Connect(const LinkOptions &options, char *error, size_t error_len) noexcept
{
	Close();
	context_ = redisConnectWithTimeout(options.host, options.port,
									   Milliseconds(options.connect_timeout_ms));
	if (context_ == nullptr) {
		std::snprintf(error, error_len, "cannot allocate a Redis context");
		return false;
	}
	if (context_->err != 0) {
		char what[128];
		std::snprintf(what, sizeof what, "cannot connect to Redis at %s:%d", options.host,
					  options.port);
		Fail(what, error, error_len);
		return false;
	}
	// hiredis 0.14 applies the connect timeout to the socket; reads and writes
	// need their own, set on every new context.
	if (redisSetTimeout(context_, Milliseconds(options.command_timeout_ms)) != REDIS_OK) {
		Fail("cannot set the Redis command timeout", error, error_len);
		return false;
	}
	redisEnableKeepAlive(context_);
	if (options.password != nullptr && options.password[0] != '\0') {
		const char *argv[] = {"AUTH", options.password};
		size_t argvlen[] = {4, std::strlen(options.password)};
		if (!Simple(2, argv, argvlen, error, error_len))
			return false;
	}
	if (options.db != 0) {
		char db[16];
		int len = std::snprintf(db, sizeof db, "%d", options.db);
		const char *argv[] = {"SELECT", db};
		size_t argvlen[] = {6, static_cast<size_t>(len)};
		if (!Simple(2, argv, argvlen, error, error_len))
			return false;
	}
	return true;
}

bool Link::Simple(int argc, const char **argv, const size_t *argvlen, char *error,
				  size_t error_len) noexcept
{
	void *raw = redisCommandArgv(context_, argc, argv, argvlen);
	redisReply *reply = static_cast<redisReply *>(raw);
	if (reply == nullptr) {
		Fail("Redis connection failed", error, error_len);
		return false;
	}
	bool ok = reply->type != REDIS_REPLY_ERROR;
	if (!ok) {
		// Never echo the command: AUTH carries the password.
		ReplyError(reply, error, error_len);
	}
	freeReplyObject(reply);
	if (!ok)
		Close();
	return ok;
}

bool Link::Write(const Command *commands, size_t count, char *error, size_t error_len) noexcept
{
	if (context_ == nullptr) {
		std::snprintf(error, error_len, "not connected to Redis");
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		// hiredis 0.14 takes char ** but only reads the arguments.
		if (redisAppendCommandArgv(context_, commands[i].argc,
								   const_cast<const char **>(commands[i].argv),
								   commands[i].argvlen) != REDIS_OK) {
			Fail("cannot queue a Redis command", error, error_len);
			return false;
		}
	}
	// The socket blocks, so each call writes what the kernel takes; Redis
	// buffers its replies, so writing everything first cannot deadlock.
	for (int done = 0; !done;) {
		if (redisBufferWrite(context_, &done) != REDIS_OK) {
			Fail("Redis connection failed", error, error_len);
			return false;
		}
	}
	unanswered_ += count;
	return true;
}

bool Link::ReadReplies(size_t count, char *error, size_t error_len) noexcept
{
	if (context_ == nullptr) {
		std::snprintf(error, error_len, "not connected to Redis");
		return false;
	}
	// Every reply is read even after an error reply, so the message in
	// error is the first one; the connection is closed anyway.
	if (count > unanswered_) {
		std::snprintf(error, error_len, "no reply is due for %zu of %zu Redis commands",
					  count - unanswered_, count);
		Close();
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < count; i++) {
		void *raw = nullptr;
		if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
			Fail("Redis connection failed", error, error_len);
			return false;
		}
		unanswered_--;
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
	if (context_ != nullptr)
		redisFree(context_);
	context_ = nullptr;
	unanswered_ = 0;
}

}  // namespace exp_assign::redis
