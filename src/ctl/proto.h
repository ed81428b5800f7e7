/* proto.h: the control socket's request language, shared by ternd
 * (src/ctl/ctl.c) and ternctl (src/ctl/ternctl.c).
 *
 * A request is one line of at most CTL_LINE_MAX bytes ending in '\n':
 * words of printable ASCII separated by spaces or tabs; words starting
 * with "--" are flags (--json, --reset), the first other word is the
 * command, the rest its arguments. No quoting: a word cannot hold a space.
 *
 * The answer is a status line, "ok" or "error", then the body (human text,
 * or one JSON object with --json), then the server closes the connection. */
#ifndef TERN_CTL_PROTO_H
#define TERN_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_LINE_MAX 4096
#define CTL_ARGS_MAX 4
#define CTL_TIMEOUT_MS 5000 /* for a whole request, and for the answer */

enum ctl_cmd {
	CTL_STATUS,
	CTL_STOP,
	CTL_RELOAD,
	CTL_ZONE_STATUS,
	CTL_ZONE_ADD,
	CTL_ZONE_REMOVE,
	CTL_ZONE_REFRESH,
	CTL_ZONE_RETRANSFER,
	CTL_ZONE_NOTIFY,
	CTL_ZONE_KSK_SUBMITTED,
	CTL_CACHE_FLUSH,
	CTL_CACHE_DUMP,
	CTL_STATS,
	CTL_LOG_LEVEL,
	CTL_NCMDS
};

typedef struct ctl_req {
	enum ctl_cmd cmd;
	bool json;  /* --json */
	bool reset; /* --reset (stats only) */
	unsigned argc;
	const char *argv[CTL_ARGS_MAX]; /* point into the parsed buffer */
} ctl_req;

/* Parses one request (the line without its '\n'; a trailing '\r' is
 * allowed) in place: words are NUL-terminated in buf, which must have room
 * for len + 1 bytes (buf[len] is written). Returns 0, or -1 with *err
 * pointing to a static message. Reads no byte past len. */
int ctl_parse(char *buf, size_t len, ctl_req *r, const char **err);

/* The command's name, and a one-line usage of every command (for ternctl). */
const char *ctl_cmd_name(enum ctl_cmd cmd);
extern const char ctl_usage_text[];

#endif
