// The push worker's connection to Redis through hiredis 0.14, and the
// pipelined send of a batch of commands. A Redis Cluster is found on
// connect (CLUSTER SLOTS): then the link holds one connection per master
// and sends each command to the node serving its key's slot; a server
// without cluster support is one node serving every slot. No PostgreSQL
// header: the push worker calls it with plain buffers, and it never throws
// or allocates C++ objects, so a PostgreSQL ERROR in the worker can never
// skip a destructor here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cluster_slot.hpp"

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

// Trivially destructible on purpose; Close() releases the connections.
class Link {
public:
	// Masters of a Redis Cluster one link talks to, at most.
	static constexpr int kMaxNodes = 64;

	bool Connected() const noexcept { return nodes_ > 0; }

	// Connections: 1 without a cluster, else the cluster's masters.
	int Nodes() const noexcept { return nodes_; }

	// Commands written on this connection whose replies are not read yet
	// (0 after Close and on a new connection).
	size_t Unanswered() const noexcept { return unanswered_; }

	// Connects, sets the command timeout, authenticates and selects the
	// database; asks for the cluster's slots and, in a cluster, connects to
	// every master instead. On failure writes a message to error and stays
	// closed.
	bool Connect(const LinkOptions &options, char *error, size_t error_len) noexcept;

	// Appends every command and writes them all to the socket, without
	// waiting for a reply: the worker reads its next batch from PostgreSQL
	// while Redis works on this one. False, with the reason in error, when
	// a command could not be queued or written; the connection is then closed.
	bool Write(const Command *commands, size_t count, char *error, size_t error_len) noexcept;

	// Reads the replies to the oldest count commands written. False, with
	// the first problem in error, when a read failed or any reply was an
	// error (-MOVED after the cluster's slots moved included): the caller
	// must treat every command written so far as not delivered. The
	// connections are closed on failure, since hiredis contexts cannot be
	// reused after an error; the next Connect asks for the slots again.
	bool ReadReplies(size_t count, char *error, size_t error_len) noexcept;

	void Close() noexcept;

private:
	static constexpr uint8_t kNoNode = 0xff;

	redisContext *Open(const char *host, int port, const LinkOptions &options, char *error,
					   size_t error_len) noexcept;
	bool Simple(redisContext *context, int argc, const char **argv, const size_t *argvlen, char *error,
				size_t error_len) noexcept;
	bool LoadSlots(redisContext *seed, const LinkOptions &options, char *error, size_t error_len) noexcept;
	bool Remember(uint8_t node) noexcept;
	void Fail(redisContext *context, const char *what, char *error, size_t error_len) noexcept;

	redisContext *contexts_[kMaxNodes] = {};
	int nodes_ = 0;
	bool cluster_ = false;  // commands go to the node of their key's slot
	uint8_t slot_node_[kClusterSlots] = {};  // node of each slot; kNoNode: none
	// The node of each command written and not answered, oldest first: a
	// ring of capacity_ entries (malloc'd), so replies are read in order.
	uint8_t *pending_ = nullptr;
	size_t capacity_ = 0;
	size_t head_ = 0;
	size_t unanswered_ = 0;
};

}  // namespace exp_assign::redis
