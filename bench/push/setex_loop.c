/*
 * bench/push/setex_loop.c: the baseline of bench/push_run. A bare pipelined
 * SETEX loop over the same rows the push worker delivers, with hiredis (as
 * the worker uses): send B commands with redisAppendCommandArgv, read the B
 * replies, repeat. Nothing else is timed: the file is read and parsed before
 * the clock starts, on a connection already open.
 *
 *   setex_loop PORT BATCH TTL FILE
 *
 * FILE holds one "key<TAB>value<LF>" per row (bench keys hold neither byte).
 * Prints the elapsed seconds of the loop and the number of rows sent.
 * Build: gcc -O2 -o setex_loop setex_loop.c -lhiredis
 */
#include <hiredis/hiredis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s PORT BATCH TTL FILE\n", argv[0]);
		return 2;
	}
	int port = atoi(argv[1]);
	long batch = atol(argv[2]);
	const char *ttl = argv[3];
	FILE *f = fopen(argv[4], "rb");
	if (f == NULL || batch < 1) {
		perror(argv[4]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc(size + 1);
	if (fread(data, 1, size, f) != (size_t)size) {
		perror("read");
		return 2;
	}
	fclose(f);

	/* Parse into argv arrays up front. */
	long rows = 0;
	for (long i = 0; i < size; i++)
		if (data[i] == '\n')
			rows++;
	const char **args = malloc(sizeof(char *) * 4 * rows);
	size_t *lens = malloc(sizeof(size_t) * 4 * rows);
	char *p = data;
	for (long r = 0; r < rows; r++) {
		char *tab = memchr(p, '\t', data + size - p);
		char *nl = memchr(tab, '\n', data + size - tab);
		args[4 * r] = "SETEX";
		lens[4 * r] = 5;
		args[4 * r + 1] = p;
		lens[4 * r + 1] = tab - p;
		args[4 * r + 2] = ttl;
		lens[4 * r + 2] = strlen(ttl);
		args[4 * r + 3] = tab + 1;
		lens[4 * r + 3] = nl - tab - 1;
		p = nl + 1;
	}

	struct timeval tv = {5, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (c == NULL || c->err) {
		fprintf(stderr, "connect: %s\n", c ? c->errstr : "no context");
		return 1;
	}
	redisReply *reply = redisCommand(c, "PING");
	if (reply == NULL) {
		fprintf(stderr, "PING: %s\n", c->errstr);
		return 1;
	}
	freeReplyObject(reply);

	double t0 = now();
	for (long start = 0; start < rows; start += batch) {
		long end = start + batch < rows ? start + batch : rows;
		for (long r = start; r < end; r++)
			if (redisAppendCommandArgv(c, 4, &args[4 * r], &lens[4 * r]) != REDIS_OK) {
				fprintf(stderr, "append: %s\n", c->errstr);
				return 1;
			}
		for (long r = start; r < end; r++) {
			void *raw = NULL;
			if (redisGetReply(c, &raw) != REDIS_OK || raw == NULL) {
				fprintf(stderr, "reply: %s\n", c->errstr);
				return 1;
			}
			reply = raw;
			if (reply->type == REDIS_REPLY_ERROR) {
				fprintf(stderr, "Redis replied: %s\n", reply->str);
				return 1;
			}
			freeReplyObject(reply);
		}
	}
	double elapsed = now() - t0;
	printf("%.6f %ld\n", elapsed, rows);
	redisFree(c);
	return 0;
}
