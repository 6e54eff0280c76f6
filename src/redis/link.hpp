// One connection to Redis through hiredis 0.14, and the pipelined send of a
// batch of commands. No PostgreSQL header: the push worker calls it with
// plain buffers, and it never throws or allocates C++ objects, so a
// PostgreSQL ERROR in the worker can never skip a destructor here.
#pragma once

#include <cstddef>

struct redisContext;

namespace exp_assign::redis {

struct LinkOptions {
	const char *host;
	int port;
	const char *password;  // empty: no AUTH
	int db;
	int connect_timeout_ms;
	int command_timeout_ms;
};

// A Redis command as binary-safe arguments (SETEX key ttl value, DEL key).
struct Command {
	int argc;
	const char *argv[4];
	size_t argvlen[4];
};

// Trivially destructible on purpose; Close() releases the connection.
class Link {
public:
	bool Connected() const noexcept { return context_ != nullptr; }

	// Commands written on this connection whose replies are not read yet
	// (0 after Close and on a new connection).
	size_t Unanswered() const noexcept { return unanswered_; }

	// Connects, sets the command timeout, authenticates and selects the
	// database. On failure writes a message to error and stays closed.
	bool Connect(const LinkOptions &options, char *error, size_t error_len) noexcept;

	// Appends every command and writes them all to the socket, without
	// waiting for a reply: the worker reads its next batch from PostgreSQL
	// while Redis works on this one. False, with the reason in error, when
	// a command could not be queued or written; the connection is then closed.
	bool Write(const Command *commands, size_t count, char *error, size_t error_len) noexcept;

	// Reads the replies to the oldest count commands written. False, with
	// the first problem in error, when a read failed or any reply was an
	// error: the caller must treat every command written so far as not
	// delivered. The connection is closed on failure, since hiredis contexts
	// cannot be reused after an error.
	bool ReadReplies(size_t count, char *error, size_t error_len) noexcept;

	void Close() noexcept;

private:
	bool Simple(int argc, const char **argv, const size_t *argvlen, char *error,
				size_t error_len) noexcept;
	void Fail(const char *what, char *error, size_t error_len) noexcept;

	redisContext *context_ = nullptr;
	size_t unanswered_ = 0;
};

}  // namespace exp_assign::redis
