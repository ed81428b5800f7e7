/* ctl.h: the control socket (ternctl's other end), served by a thread of
 * its own, off the query path.
 *
 * A unix stream socket at the configured path (never a network socket),
 * mode 0660, owned by ternd's user and its group: whoever may write to it
 * may steer ternd. One request per connection, one connection at a time;
 * a request must arrive whole within CTL_TIMEOUT_MS and be at most
 * CTL_LINE_MAX bytes (proto.h), or the client gets an error and is
 * closed. Commands that change zones take the server's change_lock, as
 * reloads do. */
#ifndef TERN_CTL_CTL_H
#define TERN_CTL_CTL_H

#include <sys/types.h>

#include "ctl/out.h"
#include "ctl/proto.h"
#include "server/server.h"

typedef struct ctl_hooks {
	/* Reloads the configuration and every zone as SIGHUP does, on the
	 * calling (control) thread; 0, or -1 when nothing changed (the
	 * reasons are logged). */
	int (*reload)(void *user);
	/* zone-refresh, zone-retransfer, zone-notify (replication): NULL
	 * until it exists. Writes its answer to out; returns 0 or -1. */
	int (*zone_op)(void *user, enum ctl_cmd cmd, const uint8_t *origin, sbuf *out);
	void *user;
	const char *version;
	const char *metrics; /* the metrics address, or NULL (for status) */
} ctl_hooks;

typedef struct ctl ctl;

/* Binds the socket at path (before privileges are dropped): a stale socket
 * left by a dead ternd is replaced; a live one, or a file that is not a
 * socket, is an error. uid/gid: the owner to give it ((uid_t)-1: keep).
 * NULL after logging why. */
ctl *ctl_open(const char *path, uid_t uid, gid_t gid);
/* Starts the thread (after the workers: call with signals blocked). */
int ctl_start(ctl *c, server *s, const ctl_hooks *hooks);
/* Stops the thread (waits for a command in progress), closes and removes
 * the socket, frees c. NULL is fine. */
void ctl_stop(ctl *c);

/* Runs one parsed request (cmds.c). Returns 0 (ok) or -1 (error); the
 * answer's body is in out. */
typedef struct ctl_env {
	server *srv;
	const ctl_hooks *hooks;
	stats_snap *base; /* the counters at the last stats --reset, or NULL */
	const char *path;
} ctl_env;
int ctl_run(ctl_env *env, const ctl_req *r, sbuf *out);

#endif
