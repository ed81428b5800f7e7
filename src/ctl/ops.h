/* ops.h: the operations side of ternd as main.c sees it: the control
 * socket (ctl.h) and the metrics endpoint (metrics.h), opened before the
 * privilege drop and started after the workers. */
#ifndef TERN_CTL_OPS_H
#define TERN_CTL_OPS_H

#include "ctl/ctl.h"
#include "ctl/metrics.h"

typedef struct ops ops;

/* Opens what cfg asks for (control:, metrics:); user (may be NULL) is who
 * ternd runs as after the drop: the control socket is given to that user
 * and its group. Returns 0 with *out set (NULL: nothing to serve), or -1
 * after logging. */
int ops_open(const config *cfg, const char *user, ops **out);
/* Starts the threads (call with signals blocked, after server_start).
 * hooks->metrics is filled in. */
int ops_start(ops *o, server *s, const ctl_hooks *hooks);
void ops_stop(ops *o);

#endif
