/* reload.c: see reload.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/log.h"
#include "server/reload.h"

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

static unsigned warn_uint(const char *name, unsigned old, unsigned nw)
{
	if (old == nw)
		return 0;
	log_warn("reload: '%s' changed (%u -> %u) but takes effect only on restart; still %u", name, old, nw, old);
	return 1;
}

static unsigned warn_size(const char *name, size_t old, size_t nw)
{
	if (old == nw)
		return 0;
	log_warn("reload: '%s' changed (%zu -> %zu) but takes effect only on restart; still %zu", name, old, nw,
	         old);
	return 1;
}

static unsigned warn_str(const char *name, const char *old, const char *nw)
{
	if (!str_differs(old, nw))
		return 0;
	log_warn("reload: '%s' changed ('%s' -> '%s') but takes effect only on restart", name, old ? old : "",
	         nw ? nw : "");
	return 1;
}

unsigned reload_warn_restart(const config *old, const config *nw, bool user_fixed, bool chroot_fixed)
{
	unsigned n = 0;
	/* the workers, their connection tables, the cache, the in-flight
	 * table and the rate limiter are made once, at start */
	n += warn_uint("threads", old->threads, nw->threads);
	if (!user_fixed)
		n += warn_str("user", old->user, nw->user);
	if (!chroot_fixed)
		n += warn_str("chroot", old->chroot, nw->chroot);
	n += warn_uint("tcp-max-connections", old->tcp_max, nw->tcp_max);
	n += warn_size("cache-size", old->cache_bytes, nw->cache_bytes);
	n += warn_uint("cache-min-ttl", old->cache_min_ttl, nw->cache_min_ttl);
	n += warn_uint("cache-max-ttl", old->cache_max_ttl, nw->cache_max_ttl);
	n += warn_uint("cache-max-negative-ttl", old->cache_max_neg_ttl, nw->cache_max_neg_ttl);
	n += warn_uint("serve-stale", old->serve_stale, nw->serve_stale);
	n += warn_uint("max-inflight", old->max_inflight, nw->max_inflight);
	n += warn_uint("rrl-limit", old->rrl_limit, nw->rrl_limit);
	n += warn_uint("rrl-slip", old->rrl_slip, nw->rrl_slip);
	n += warn_uint("rrl-ipv4-prefix", old->rrl_v4_prefix, nw->rrl_v4_prefix);
	n += warn_uint("rrl-ipv6-prefix", old->rrl_v6_prefix, nw->rrl_v6_prefix);
	/* operations (src/ctl/): opened before the privilege drop */
	n += warn_str("control", old->control, nw->control);
	n += warn_str("metrics", old->metrics_on ? old->metrics.text : NULL, nw->metrics_on ? nw->metrics.text : NULL);
	n += warn_str("query-log", old->query_log, nw->query_log);
	n += warn_str("dnstap", old->dnstap, nw->dnstap);
	return n;
}

int reload_check_readable(const char *path, const char *shown, const char *what, const char *user)
{
	if (!path || access(path, R_OK) == 0) /* access: the real uid, which is the dropped one */
		return 0;
	log_warn("%s %s is not readable by user %s (%s): a reload (SIGHUP) will fail to read it", what, shown,
	         user ? user : "?", strerror(errno));
	return -1;
}

const char *reload_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{SIGHUP, "SIGHUP"},     {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"}, {SIGTERM, "SIGTERM"},
		{SIGUSR1, "SIGUSR1"},   {SIGUSR2, "SIGUSR2"},     {SIGALRM, "SIGALRM"}, {SIGVTALRM, "SIGVTALRM"},
		{SIGPROF, "SIGPROF"},   {SIGIO, "SIGIO"},         {SIGPWR, "SIGPWR"},   {SIGPIPE, "SIGPIPE"},
		{SIGXFSZ, "SIGXFSZ"},   {SIGXCPU, "SIGXCPU"},     {SIGSTKFLT, "SIGSTKFLT"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].sig == sig)
			return names[i].name;
	static char buf[32];
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}
