/* ops.h: the operations side of ternd as main.c sees it: the control
 * socket (ctl.h), the metrics endpoint (metrics.h) and the query log
 * (qlog.h), opened before the privilege drop and started after the
 * workers. */
#ifndef TERN_CTL_OPS_H
#define TERN_CTL_OPS_H

#include "ctl/ctl.h"
#include "ctl/metrics.h"
#include "ctl/dnstap.h"
#include "ctl/qlog.h"

typedef struct ops ops;

/* Opens what cfg asks for (control:, metrics:, query-log:); user (may be
 * NULL) is who ternd runs as after the drop: the control socket is given
 * to that user and its group. s is bound but not started: the query log
 * goes in s->qlog. Returns 0 with *out set (NULL: nothing to serve), or -1
 * after logging. */
int ops_open(const config *cfg, const char *user, server *s, ops **out);
/* Starts the threads (call with signals blocked, after server_start).
 * hooks->metrics is filled in. */
int ops_start(ops *o, server *s, const ctl_hooks *hooks);
/* Stops the control and metrics threads (before server_stop). */
void ops_stop(ops *o);
/* After server_stop (no worker logs any more): the query log's last lines,
 * then everything is freed. NULL is fine. */
void ops_free(ops *o);

#endif
