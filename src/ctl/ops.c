/* ops.c: see ops.h. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl/ops.h"
#include "server/log.h"

struct ops {
	ctl *ctl;
	metrics *metrics;
	qlog *qlog;
	dnstap *dnstap;
	char metrics_text[64];
};

int ops_open(const config *cfg, const char *user, server *s, ops **out)
{
	*out = NULL;
	if (!cfg->control && !cfg->metrics_on && !cfg->query_log && !cfg->dnstap)
		return 0;
	ops *o = calloc(1, sizeof *o);
	if (!o)
		return -1;
	if (cfg->control) {
		uid_t uid = (uid_t)-1;
		gid_t gid = (gid_t)-1;
		struct passwd *pw = user ? getpwnam(user) : NULL;
		if (pw) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		}
		if (!(o->ctl = ctl_open(cfg->control, uid, gid))) {
			free(o);
			return -1;
		}
	}
	if (cfg->metrics_on) {
		if (!(o->metrics = metrics_open(&cfg->metrics))) {
			ctl_stop(o->ctl);
			free(o);
			return -1;
		}
		snprintf(o->metrics_text, sizeof o->metrics_text, "%s", cfg->metrics.text);
	}
	if (cfg->query_log) {
		if (!(o->qlog = qlog_open(cfg->query_log, s->nworkers))) {
			metrics_stop(o->metrics);
			ctl_stop(o->ctl);
			free(o);
			return -1;
		}
		s->qlog = o->qlog;
	}
	if (cfg->dnstap) {
		if (!(o->dnstap = dnstap_open(cfg->dnstap, s->nworkers, cfg->identity))) {
			qlog_stop(o->qlog);
			s->qlog = NULL;
			metrics_stop(o->metrics);
			ctl_stop(o->ctl);
			free(o);
			return -1;
		}
		s->dnstap = o->dnstap;
	}
	*out = o;
	return 0;
}

int ops_start(ops *o, server *s, const ctl_hooks *hooks)
{
	if (!o)
		return 0;
	ctl_hooks h = *hooks;
	h.metrics = o->metrics ? o->metrics_text : NULL;
	if (o->ctl && ctl_start(o->ctl, s, &h))
		return -1;
	if (o->metrics && metrics_start(o->metrics, s))
		return -1;
	if (o->qlog && qlog_start(o->qlog))
		return -1;
	if (o->dnstap && dnstap_start(o->dnstap))
		return -1;
	return 0;
}

void ops_stop(ops *o)
{
	if (!o)
		return;
	ctl_stop(o->ctl);
	metrics_stop(o->metrics);
	o->ctl = NULL;
	o->metrics = NULL;
}

void ops_free(ops *o)
{
	if (!o)
		return;
	ops_stop(o);
	qlog_stop(o->qlog);
	dnstap_stop(o->dnstap);
	free(o);
}
