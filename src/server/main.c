/* main.c: ternd's command line, start-up, and the main thread's life:
 * it waits for signals while the workers serve. SIGHUP reloads (a new
 * version is built and checked completely, then published; on any error the
 * old one keeps serving; then the listen addresses and upstreams follow
 * it), SIGUSR1 logs counters, SIGINT, SIGTERM and SIGQUIT stop, and the
 * other signals whose default would kill are logged and ignored. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ops.h"
#include "db/zone.h"
#include "server/config.h"
#include "server/local.h"
#include "server/log.h"
#include "server/reload.h"
#include "server/upstreams.h"
#include "server/server.h"
#include "server/tlsconn.h"
#include "server/zones.h"
#include "xfr/updater.h"
#include "xfr/secondary.h"
#include "xfr/notify.h"

#ifndef TERN_VERSION
#define TERN_VERSION "0.1.0"
#endif
/* The built-in default, relative to the working directory (make run starts
 * ternd from the top of the source tree). */
#ifndef TERN_DEFAULT_CONFIG
#define TERN_DEFAULT_CONFIG "etc/ternd.conf"
#endif

typedef struct args {
	const char *config;
	const char **listen;
	size_t nlisten;
	const char **zones;
	size_t nzones;
	const char **forward;
	size_t nforward;
	const char **fzones;
	size_t nfzones;
	const char **local;
	size_t nlocal;
	const char *resolv_conf;
	const char *user;
	const char *chroot;
	long rrl_limit; /* -1: as configured */
	const char *jail; /* set once chrooted: the prefix to strip from paths */
	unsigned threads;
	int check;
	int dnssec; /* --check --dnssec: verify every signature too */
	int verbose; /* -v: one log level more than configured, -vv two */
	int quiet;   /* -q: one less */
	char *log_file; /* the log's destination when not stderr (for messages) */
	/* the resolvers of client groups with upstreams of their own, by
	 * group name: made when a group first appears, kept for the life of
	 * the process (as the default resolver: in-flight questions use them) */
	struct group_res {
		char *name;
		struct resolver *res;
	} *gres;
	size_t ngres;
} args;


static void args_free(args *a)
{
	for (size_t i = 0; i < a->ngres; i++) {
		free(a->gres[i].name);
		resolver_free(a->gres[i].res);
	}
	free(a->gres);
	free(a->listen);
	free(a->zones);
	free(a->forward);
	free(a->fzones);
	free(a->local);
	free(a->log_file);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ternd [--config FILE] [--listen ADDR:PORT]... [--zone ORIGIN=FILE]...\n"
	        "             [--forward ADDR:PORT|none]... [--forward-zone ZONE=ADDR:PORT]...\n"
	        "             [--local 'RR']... [--resolv-conf FILE] [--rrl-limit N] [--user NAME]\n"
	        "             [--chroot DIR] [--threads N] [--check [--dnssec]] [-v|-q] [--help] [--version]\n"
	        "\n"
	        "  --config FILE        read the configuration file (see docs/configuration.md)\n"
	        "  --listen ADDR:PORT   listen on UDP and TCP: 127.0.0.1:5353 or [::1]:5353 (repeatable)\n"
	        "  --zone ORIGIN=FILE   serve the zone ORIGIN from the master file FILE (repeatable)\n"
	        "  --forward ADDR:PORT  forward other names to this upstream resolver (repeatable);\n"
	        "                       'none': no default upstreams (forward-zones still work)\n"
	        "  --forward-zone ZONE=ADDR:PORT  forward ZONE and below to this upstream (repeatable)\n"
	        "  --local 'RR'         a local record, e.g. 'printer.lan. A 192.168.1.9' (repeatable)\n"
	        "  --resolv-conf FILE   where to find upstreams when none are given (/etc/resolv.conf)\n"
	        "  --threads N          worker threads (default: one per CPU)\n"
	        "  --rrl-limit N        response rate limit per client prefix, responses/s (0: off)\n"
	        "  --user NAME          drop to this user after binding the sockets\n"
	        "  --chroot DIR         chroot to DIR after binding (files must lie inside it)\n"
	        "  --check              check the configuration and zones, print every error, exit\n"
	        "  --dnssec             with --check: verify every RRSIG of signed zones with their\n"
	        "                       DNSKEYs and warn for signatures expiring within 7 days\n"
	        "  -v, --verbose        log one level more than configured (-vv: two)\n"
	        "  -q, --quiet          log one level less than configured (-qq: two)\n"
	        "  --help               print this text and exit\n"
	        "  --version            print the version and exit\n"
	        "\n"
	        "With no --config, --listen or --zone, ternd reads %s.\n"
	        "Any --listen replaces the configured addresses; --zone adds to the configured zones.\n"
	        "Default listen addresses: 127.0.0.1:5353 and [::1]:5353.\n"
	        "Signals: SIGHUP reloads configuration and zones; SIGUSR1 logs counters;\n"
	        "SIGINT/SIGTERM/SIGQUIT stop.\n",
	        TERN_DEFAULT_CONFIG);
}

static int push(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* user: the cfg_zone being loaded. A message about the zone file as a
 * whole (it cannot be read) names the configuration line that names it:
 * "ternd.conf:12: zone file 'x.zone': cannot open: No such file or directory". */
static void zone_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	const cfg_zone *cz = user;
	enum log_level lv = error ? LOG_ERR : LOG_WARN;
	if (line) {
		log_msg(lv, "%s:%u: %s", file, line, msg);
	} else if (cz && !strcmp(file, cz->file)) {
		/* "cannot open 'x.zone': why" -> "cannot open: why" */
		const char *q = strstr(msg, " '"), *e = q ? strstr(q + 2, "': ") : NULL;
		if (q && e)
			log_msg(lv, "%s: zone file '%s': %.*s%s", cz->where, file, (int)(q - msg), msg, e + 1);
		else
			log_msg(lv, "%s: zone file '%s': %s", cz->where, file, msg);
	} else {
		log_msg(lv, "%s: %s", file, msg);
	}
}

/* The level: as configured, moved by -v and -q. */
static void set_level(const args *a, int configured)
{
	int l = configured + a->verbose - a->quiet;
	log_set_level((enum log_level)(l < LOG_ERR ? LOG_ERR : l > LOG_DEBUG ? LOG_DEBUG : l));
}

/* After chroot, the path /jail/x given before it is /x. Paths that do not
 * start with the jail are already relative to it (those from a config file
 * inside the jail); after chroot() no path can leave the jail anyway. */
static int jail_path(const args *a, char **path)
{
	if (!a->jail || !*path)
		return 0;
	size_t n = strlen(a->jail);
	if (!strncmp(*path, a->jail, n) && (*path)[n] == '/')
		memmove(*path, *path + n, strlen(*path + n) + 1);
	return 0;
}

static int jail_paths(const args *a, config *c)
{
	int errors = 0;
	for (size_t i = 0; i < c->nzones; i++) {
		errors -= jail_path(a, &c->zones[i].file);
		errors -= jail_path(a, &c->zones[i].sign.keydir); /* NULL stays NULL */
		errors -= jail_path(a, &c->zones[i].sign.signed_file);
	}
	for (size_t i = 0; i < c->nlocal_files; i++)
		errors -= jail_path(a, &c->local_files[i].val);
	for (size_t i = 0; i < c->nhosts_files; i++)
		errors -= jail_path(a, &c->hosts_files[i].val);
	errors -= jail_path(a, &c->log_file);
	/* the policy engine's lists, global and per client group */
	for (size_t g = 0; g <= c->policy.ngroups; g++) {
		pol_lists *l = g ? &c->policy.groups[g - 1].lists : &c->policy.lists;
		for (size_t i = 0; i < l->nblock; i++)
			errors -= jail_path(a, &l->block[i]);
		for (size_t i = 0; i < l->nallow; i++)
			errors -= jail_path(a, &l->allow[i]);
		for (size_t i = 0; i < l->nrpz; i++)
			errors -= jail_path(a, &l->rpz[i]);
	}
	return errors;
}

/* Least privilege: chroot and drop to an unprivileged user once the
 * sockets are bound (port 53 needs root or CAP_NET_BIND_SERVICE only to
 * bind). Reloads then run as that user, inside the chroot. */
static int drop_privileges(args *a, const config *c)
{
	const char *user = a->user ? a->user : c->user;
	const char *dir = a->chroot ? a->chroot : c->chroot;
	struct passwd *pw = NULL;
	if (user && !(pw = getpwnam(user))) {
		log_err("--user: no such user '%s'", user);
		return -1;
	}
	uid_t uid = pw ? pw->pw_uid : 0;
	gid_t gid = pw ? pw->pw_gid : 0;
	if (dir) {
		char *real = realpath(dir, NULL);
		if (!real || chroot(real) || chdir("/")) {
			log_err("--chroot %s: %s", dir, strerror(errno));
			free(real);
			return -1;
		}
		a->jail = real; /* freed at exit */
		if (a->config) {
			static char cfgpath[4096];
			snprintf(cfgpath, sizeof cfgpath, "%s", a->config);
			char *p = cfgpath;
			if (jail_path(a, &p))
				return -1;
			a->config = cfgpath;
		}
		log_info("chroot %s", real);
	}
	if (pw) {
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
			log_err("cannot drop privileges to %s: %s", user, strerror(errno));
			return -1;
		}
		if (uid != 0 && setuid(0) == 0) {
			log_err("privileges could be regained after dropping them; stopping");
			return -1;
		}
		log_info("running as user %s (uid %u, gid %u)", user, (unsigned)uid, (unsigned)gid);
	} else if (geteuid() == 0) {
		log_warn("running as root: use --user NAME (or 'user:' in the config) to drop privileges after binding");
	}
	return 0;
}

static void check_one(const args *a, const char *path, const char *what, const char *user)
{
	if (!path)
		return;
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	char *p = buf;
	if (jail_path(a, &p) == 0)
		reload_check_readable(p, path, what, user);
}

/* Issue 10 item 7: once privileges are dropped, every file a reload will
 * read must still be readable, or the reload fails long after start-up;
 * say so now, naming each file. (a->config is already inside the jail.) */
static void check_reload_files(const args *a, const config *c)
{
	const char *user = a->user ? a->user : c->user;
	if (!user)
		return;
	if (a->config)
		reload_check_readable(a->config, a->config, "configuration", user);
	for (size_t i = 0; i < c->nzones; i++)
		check_one(a, c->zones[i].file, "zone file", user);
	for (size_t i = 0; i < c->nlocal_files; i++)
		check_one(a, c->local_files[i].val, "local-file", user);
	for (size_t i = 0; i < c->nhosts_files; i++)
		check_one(a, c->hosts_files[i].val, "hosts-file", user);
	for (size_t g = 0; g <= c->policy.ngroups; g++) {
		const pol_lists *l = g ? &c->policy.groups[g - 1].lists : &c->policy.lists;
		for (size_t i = 0; i < l->nblock; i++)
			check_one(a, l->block[i], "block-list", user);
		for (size_t i = 0; i < l->nallow; i++)
			check_one(a, l->allow[i], "allow-list", user);
		for (size_t i = 0; i < l->nrpz; i++)
			check_one(a, l->rpz[i], "rpz", user);
	}
	check_one(a, c->tls_cert, "tls-certificate", user);
	check_one(a, c->tls_key, "tls-key", user);
	check_one(a, c->tls_ca_file, "tls-ca-file", user);
	bool any_default = false;
	for (size_t i = 0; i < c->nforward; i++)
		any_default |= c->forward[i].zone[0] == 0;
	if (!c->no_forward && !any_default)
		check_one(a, c->resolv_conf ? c->resolv_conf : "/etc/resolv.conf", "resolv-conf", user);
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, so the
 * unit can be Type=notify. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	size_t len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	ssize_t r = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
	                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	(void)r;
	close(fd);
}

/* Builds a complete version from the arguments (and the config file they
 * name), sharing the zones of old (the version serving now, or NULL) that
 * fail to load. Returns NULL after logging every error of the
 * configuration (or, with --check, of any zone); a zone that does not load
 * is logged and served as zones.h says. */
static version *version_build(const args *a, const version *old)
{
	version *v = calloc(1, sizeof *v);
	if (!v || !(v->cfg_refs = malloc(sizeof *v->cfg_refs))) {
		free(v);
		return NULL;
	}
	atomic_init(v->cfg_refs, 1);
	config_init(&v->cfg);
	int errors = 0;
	unsigned logged = log_error_count();
	if (a->config)
		errors += config_load(&v->cfg, a->config);
	if (a->nlisten) {
		config_drop_plain_listens(&v->cfg); /* listen-tls/-https stay */
		for (size_t i = 0; i < a->nlisten; i++)
			if (config_add_listen(&v->cfg, a->listen[i], "--listen"))
				errors++;
	}
	for (size_t i = 0; i < a->nzones; i++) {
		const char *eq = strchr(a->zones[i], '=');
		if (!eq || eq == a->zones[i] || !eq[1]) {
			log_err("--zone: want ORIGIN=FILE, got '%s'", a->zones[i]);
			errors++;
			continue;
		}
		char origin[1024];
		snprintf(origin, sizeof origin, "%.*s", (int)(eq - a->zones[i]), a->zones[i]);
		if (config_add_zone(&v->cfg, origin, eq + 1, "--zone"))
			errors++;
	}
	if (!v->cfg.nlisten) {
		config_add_listen(&v->cfg, "127.0.0.1:5353", "default");
		config_add_listen(&v->cfg, "[::1]:5353", "default");
	}
	if (a->threads)
		v->cfg.threads = a->threads;
	if (a->rrl_limit >= 0)
		v->cfg.rrl_limit = (unsigned)a->rrl_limit;
	for (size_t i = 0; i < a->nforward; i++) {
		if (!strcmp(a->forward[i], "none"))
			v->cfg.no_forward = true;
		else if (config_add_forward(&v->cfg, ".", a->forward[i], "--forward"))
			errors++;
	}
	for (size_t i = 0; i < a->nfzones; i++) {
		char zone[1024];
		const char *eq = strchr(a->fzones[i], '=');
		if (!eq || (size_t)(eq - a->fzones[i]) >= sizeof zone) {
			log_err("--forward-zone: want ZONE=ADDR:PORT, got '%s'", a->fzones[i]);
			errors++;
			continue;
		}
		snprintf(zone, sizeof zone, "%.*s", (int)(eq - a->fzones[i]), a->fzones[i]);
		if (config_add_forward(&v->cfg, zone, eq + 1, "--forward-zone"))
			errors++;
	}
	for (size_t i = 0; i < a->nlocal; i++)
		if (config_add_str(&v->cfg.local_data, &v->cfg.nlocal_data, a->local[i], "--local"))
			errors++;
	if (a->resolv_conf) {
		free(v->cfg.resolv_conf);
		v->cfg.resolv_conf = strdup(a->resolv_conf);
	}
	errors += jail_paths(a, &v->cfg);
	if (local_build(&v->cfg, &v->local))
		errors++;
	/* with RPZ feeds (rpz: zone NAME), the policy is built once the zones
	 * are loaded: it reads them */
	bool feeds = pol_config_has_feeds(&v->cfg.policy);
	if (!errors && !feeds && policy_build(&v->cfg.policy, NULL, &v->policy))
		errors++;
	if (config_tls_check(&v->cfg) || tlsconn_ctx_build(v)) /* the TLS certificate, read again on reload */
		errors++;
	if (errors && !a->check) { /* the configuration itself is wrong: nothing changes */
		version_free(v);
		unsigned n = log_error_count() - logged;
		log_err("%u error(s) found", n ? n : (unsigned)errors);
		return NULL;
	}
	/* --check goes on to the zones, so that one run reports every error */
	db_diag diag = {.fn = zone_diag,
	                .flags = (a->check && a->dnssec ? DB_DIAG_VERIFY : 0) | (a->check ? DB_DIAG_NO_WRITE : 0)};
	unsigned failed = 0;
	zones_env env = {.sec = old ? old->sec : NULL, .check = a->check};
	v->zones = zones_load(&v->cfg, old ? old->zones : NULL, &env, &diag, &failed);
	if (!v->zones || (a->check && diag.errors + (unsigned)errors)) {
		/* the lines logged, when every error logged one (the count of
		 * failed steps otherwise) */
		unsigned n = log_error_count() - logged;
		if (diag.errors + (unsigned)errors)
			log_err("%u error(s) found", n ? n : diag.errors + (unsigned)errors);
		version_free(v);
		return NULL;
	}
	if (failed)
		log_warn("%u of %zu zone(s) did not load; the errors are above", failed, v->cfg.nzones);
	if (feeds && (pol_config_hide_feeds(&v->cfg.policy, v->zones) ||
	              policy_build(&v->cfg.policy, v->zones, &v->policy))) {
		log_err("the policy (block lists, RPZ) did not build; the errors are above");
		version_free(v);
		return NULL;
	}
	return v;
}

/* The upstreams and resolvers of the client groups that forward to their
 * own upstreams (policy.h): the group's forward: addresses as its default
 * set, plus the configuration's forward-zones. cur (may be NULL): the
 * version serving now, whose groups' upstream health is kept. Returns 0,
 * or -1 when out of memory. */
static int groups_build(args *a, version *nv, const version *cur)
{
	const pol_config *pc = &nv->cfg.policy;
	size_t n = 0;
	for (size_t i = 0; i < pc->ngroups; i++)
		n += pc->groups[i].nforward != 0;
	if (!n || !nv->policy)
		return 0;
	group_fwd *g = calloc(1, sizeof *g);
	if (!g || !(g->res = calloc(pc->ngroups, sizeof *g->res)) || !(g->ups = calloc(pc->ngroups, sizeof *g->ups))) {
		if (g)
			free(g->res);
		free(g);
		return -1;
	}
	atomic_init(&g->refs, 1);
	g->n = pc->ngroups;
	nv->gfwd = g; /* freed with nv from here on */
	for (size_t i = 0; i < pc->ngroups; i++) {
		const pol_group_cfg *gc = &pc->groups[i];
		if (!gc->nforward)
			continue;
		upstreams *u = upstreams_new(1);
		if (!u)
			return -1;
		g->ups[i] = u;
		for (size_t j = 0; j < nv->cfg.nforward; j++)
			if (nv->cfg.forward[j].zone[0])
				upstreams_add(u, &nv->cfg, nv->cfg.forward[j].zone, &nv->cfg.forward[j].addr, &nv->cfg.forward[j].tls);
		for (size_t j = 0; j < gc->nforward; j++) {
			cfg_listen l;
			if (config_parse_listen(gc->forward[j], &l) == 0)
				upstreams_add(u, &nv->cfg, (const uint8_t *)"", &l, NULL);
		}
		for (size_t j = 0; cur && cur->gfwd && cur->policy && j < cur->gfwd->n && j < cur->policy->ngroups; j++)
			if (!strcmp(cur->policy->groups[j].name, gc->name))
				upstreams_keep_health(u, cur->gfwd->ups[j]);
		for (size_t j = 0; j < a->ngres && !g->res[i]; j++)
			if (!strcmp(a->gres[j].name, gc->name))
				g->res[i] = a->gres[j].res;
		if (!g->res[i]) {
			struct group_res *ng = realloc(a->gres, (a->ngres + 1) * sizeof *ng);
			if (!ng)
				return -1;
			a->gres = ng;
			resolver *r = resolver_build(&nv->cfg, u);
			char *name = strdup(gc->name);
			if (!r || !name) {
				resolver_free(r);
				free(name);
				return -1;
			}
			a->gres[a->ngres++] = (struct group_res){name, r};
			g->res[i] = r;
			log_info("client group %s: %u upstream(s) of its own, with its own cache", gc->name,
			         upstreams_total(u));
		}
	}
	return 0;
}

/* SIGHUP (and ternctl reload): build and check a complete new version; on
 * success apply the listen addresses (new ones bound before old ones
 * close) and publish it with its new upstreams, warning for each setting
 * that needs a restart. On any error the old version keeps serving and -1
 * is returned. Any thread but a worker (change_lock serializes). */
static int reload(args *a, server *s, resolver *res, rrl *rl, const cookie_secret *cookie, secondary *sec,
                  notifier *nfy, updater *upd)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_reopen(); /* after logrotate: a new file under the same name */
	log_info("SIGHUP: reloading");
	notify("RELOADING=1");
	/* one writer at a time: zone changes from elsewhere wait (server.h) */
	pthread_mutex_lock(&s->change_lock);
	updater_files_settle(upd); /* the files of signed zones as served (xfr/zonesync.h) */
	const version *cur = atomic_load(&s->current);
	version *nv = version_build(a, cur);
	if (nv && s->nrt_zones) { /* what ternctl zone-add/zone-remove did stays */
		db_diag diag = {.fn = zone_diag};
		if (!(nv->zones = zones_runtime_apply(nv->zones, s->rt_zones, s->nrt_zones, cur->zones, &nv->cfg, &diag))) {
			version_free(nv);
			nv = NULL;
		}
	}
	if (!nv) {
		pthread_mutex_unlock(&s->change_lock);
		log_err("reload failed; the previous configuration and zones keep serving");
		notify("READY=1");
		atomic_fetch_add(&s->reloads_failed, 1);
		return -1;
	}
	db_diag rdiag = {.fn = zone_diag};
	db_set_check_reload(cur->zones, nv->zones, &rdiag);
	nv->rrl = rl;
	nv->cookie = cookie; /* not cur's: the first version is freed by the first reload */
	nv->res = res;
	nv->sec = sec;
	nv->upd = upd;
	nv->ups = upstreams_build(&nv->cfg, cur->ups);
	if (!nv->ups || groups_build(a, nv, cur)) {
		log_err("reload failed (out of memory); the previous configuration and zones keep serving");
		version_free(nv);
		pthread_mutex_unlock(&s->change_lock);
		notify("READY=1");
		atomic_fetch_add(&s->reloads_failed, 1);
		return -1;
	}
	if (!res && upstreams_total(nv->ups))
		log_warn("reload: 'forward' changed, but forwarding was off at start: it takes effect only on "
		         "restart");
	reload_warn_restart(&cur->cfg, &nv->cfg, a->user != NULL, a->chroot != NULL);
	log_open(nv->cfg.log_file); /* on failure the old destination stays */
	set_level(a, nv->cfg.log_level);
	if (server_relisten(s, &nv->cfg))
		log_err("reload: the listen addresses stay as they were");
	notify_batch *nb = notify_collect(cur, nv); /* before cur is freed */
	bool rejudge = res && (cur->cfg.val || nv->cfg.val); /* anchors may have changed */
	server_publish(s, nv);
	server_trim_memory(); /* the old zones are gone now */
	updater_files_prime(upd); /* signed zones' files as served (xfr/zonesync.h) */
	if (rejudge)
		cache_forget_status(res->cache);
	notify_submit(nfy, nb);
	pthread_mutex_unlock(&s->change_lock);
	secondary_reconfigure(sec);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("reloaded: %zu zone(s) in %ld ms", nv->cfg.nzones,
	         (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	notify("READY=1");
	atomic_fetch_add(&s->reloads_ok, 1);
	return 0;
}

/* ternctl reload: the same as SIGHUP, on the control thread. */
typedef struct reload_ctx {
	args *a;
	server *s;
	resolver *res;
	rrl *rl;
	const cookie_secret *cookie;
	secondary *sec;
	notifier *nfy;
	updater *upd;
} reload_ctx;

/* A zone signed again on zones_resign's timer (or after
 * zone-ksk-submitted), published: its secondaries are told (a key step or
 * new signatures reach them now, not at their SOA refresh), and, when
 * to_file, its file goes to the writer, as after a reload
 * (xfr/zonesync.h). Under change_lock. */
static void resigned_hook(void *user, const version *v, const db_zone *z, bool to_file)
{
	reload_ctx *r = user;
	notify_zone(r->nfy, &v->cfg, z);
	if (to_file)
		updater_files_prime(r->upd);
}

/* ternctl zone-refresh, zone-retransfer, zone-notify (ctl.h). */
static int zone_op_hook(void *user, enum ctl_cmd cmd, const uint8_t *origin, sbuf *out)
{
	reload_ctx *r = user;
	char name[TERN_NAME_TEXT_MAX];
	tern_name_to_text(origin, name, sizeof name);
	int rc = 0;
	if (cmd == CTL_ZONE_NOTIFY) {
		pthread_mutex_lock(&r->s->change_lock); /* the version and its configuration stay */
		const version *v = atomic_load(&r->s->current);
		const cfg_zone *cz = NULL;
		for (size_t i = 0; i < v->cfg.nzones && !cz; i++)
			if (tern_name_eq(v->cfg.zones[i].origin, origin))
				cz = &v->cfg.zones[i];
		const db_zone *z = db_set_get(v->zones, origin);
		if (!cz || !cz->xfr.nnotify || !z || !zone_has_data(z)) {
			sb_printf(out, "zone %s has no notify: targets (or no data)\n", name);
			rc = -1;
		} else {
			notify_zone(r->nfy, &v->cfg, z);
			sb_printf(out, "zone %s: NOTIFY (serial %u) queued to %zu target(s)\n", name, z->serial,
			          cz->xfr.nnotify);
		}
		pthread_mutex_unlock(&r->s->change_lock);
		return rc;
	}
	/* a secondary zone: configured with primary:, or a catalog member */
	if (!secondary_has(r->sec, origin)) {
		sb_printf(out, "zone %s is not a secondary zone\n", name);
		return -1;
	}
	if (cmd == CTL_ZONE_REFRESH) {
		secondary_notify(r->sec, origin);
		sb_printf(out, "zone %s: checking the primaries now\n", name);
	} else if (secondary_retransfer(r->sec, origin)) {
		sb_printf(out, "zone %s: no such secondary zone\n", name);
		rc = -1;
	} else {
		sb_printf(out, "zone %s: transferring the whole zone again\n", name);
	}
	return rc;
}

static int reload_hook(void *user)
{
	reload_ctx *r = user;
	return reload(r->a, r->s, r->res, r->rl, r->cookie, r->sec, r->nfy, r->upd);
}

/* Reads the configuration file once, silently, for its log-file and
 * log-level, and opens the log before anything else is logged (as Unbound
 * does), so the zone loading goes there too. A configuration with errors
 * leaves the log on stderr: the real read then shows them there. Returns -1
 * if the log file cannot be opened (said on stderr). */
static int open_log_early(args *a)
{
	if (!a->config)
		return 0;
	config c;
	config_init(&c);
	log_set_level(LOG_OFF);
	int errors = config_load(&c, a->config);
	set_level(a, c.log_level);
	int rc = 0;
	if (!errors && c.log_file && strcmp(c.log_file, "stderr")) {
		if (log_open(c.log_file))
			rc = -1;
		else
			a->log_file = strdup(c.log_file);
	}
	if (errors)
		set_level(a, LOG_INFO);
	config_free(&c);
	return rc;
}

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
		{"zone", required_argument, NULL, 'z'},   {"threads", required_argument, NULL, 't'},
		{"check", no_argument, NULL, 'k'},        {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {"verbose", no_argument, NULL, 'v'},
		{"forward", required_argument, NULL, 'f'}, {"forward-zone", required_argument, NULL, 'F'},
		{"local", required_argument, NULL, 'L'},  {"resolv-conf", required_argument, NULL, 'R'},
		{"user", required_argument, NULL, 'u'},   {"chroot", required_argument, NULL, 'C'},
		{"rrl-limit", required_argument, NULL, 'r'}, {"quiet", no_argument, NULL, 'q'},
		{"dnssec", no_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	args a = {0};
	a.rrl_limit = -1;
	int ch, rc;
	server_malloc_setup();
	while ((ch = getopt_long(argc, argv, "c:l:z:t:hVvq", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a.config = optarg; break;
		case 'l':
			if (push(&a.listen, &a.nlisten, optarg))
				{ rc = 1; goto done; }
			break;
		case 'z':
			if (push(&a.zones, &a.nzones, optarg))
				{ rc = 1; goto done; }
			break;
		case 't': {
			char *e;
			long n = strtol(optarg, &e, 10);
			if (*e || n < 1 || n > 1024) {
				fprintf(stderr, "ternd: --threads wants 1..1024, got '%s'\n", optarg);
				{ rc = 2; goto done; }
			}
			a.threads = (unsigned)n;
			break;
		}
		case 'f':
			if (push(&a.forward, &a.nforward, optarg))
				{ rc = 1; goto done; }
			break;
		case 'F':
			if (push(&a.fzones, &a.nfzones, optarg))
				{ rc = 1; goto done; }
			break;
		case 'L':
			if (push(&a.local, &a.nlocal, optarg))
				{ rc = 1; goto done; }
			break;
		case 'R': a.resolv_conf = optarg; break;
		case 'u': a.user = optarg; break;
		case 'r': {
			char *e;
			long n = strtol(optarg, &e, 10);
			if (*e || n < 0 || n > 1000000) {
				fprintf(stderr, "ternd: --rrl-limit wants 0..1000000, got '%s'\n", optarg);
				rc = 2;
				goto done;
			}
			a.rrl_limit = n;
			break;
		}
		case 'C': a.chroot = optarg; break;
		case 'k': a.check = 1; break;
		case 'D': a.dnssec = 1; break;
		case 'v': a.verbose++; break;
		case 'q': a.quiet++; break;
		case 'h': usage(stdout); rc = 0; goto done;
		case 'V': printf("ternd %s\n", TERN_VERSION); rc = 0; goto done;
		default: usage(stderr); rc = 2; goto done;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ternd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		{ rc = 2; goto done; }
	}
	if (a.dnssec && !a.check) {
		fprintf(stderr, "ternd: --dnssec goes with --check\n");
		usage(stderr);
		rc = 2;
		goto done;
	}
	/* until the configuration says otherwise: info (warning for --check) */
	set_level(&a, a.check ? LOG_WARN : LOG_INFO);
	if (a.check)
		log_check_begin(); /* plain "file:line: message" lines, in file order */
	static char config_abs[4096];
	if (a.chroot && a.config && realpath(a.config, config_abs))
		a.config = config_abs; /* relative paths do not survive the chroot */
	if (!a.config && !a.nlisten && !a.nzones && !a.nlocal) {
		if (access(TERN_DEFAULT_CONFIG, R_OK) == 0) {
			a.config = TERN_DEFAULT_CONFIG;
		} else if (a.check) { /* --check of the (installed) default: it must be there */
			log_err("%s: cannot read: %s", TERN_DEFAULT_CONFIG, strerror(errno));
			log_check_flush();
			args_free(&a);
			return 1;
		} else {
			log_warn("%s not found: serving no zones", TERN_DEFAULT_CONFIG);
		}
	}
	if (!a.check) {
		if (open_log_early(&a)) {
			rc = 1;
			goto done;
		}
		log_info("ternd %s starting%s%s", TERN_VERSION, a.config ? ": configuration " : "",
		         a.config ? a.config : "");
	}

	version *v = version_build(&a, NULL);
	if (a.check) {
		log_check_flush();
		int ok = v != NULL;
		if (ok)
			printf("configuration and %zu zone(s) OK\n", v->cfg.nzones);
		version_free(v);
		args_free(&a);
		return ok ? 0 : 1;
	}
	if (!v) {
		if (a.log_file)
			fprintf(stderr, "ternd: cannot start; see the log (%s)\n", a.log_file);
		args_free(&a);
		return 1;
	}
	if (log_open(v->cfg.log_file)) {
		version_free(v);
		args_free(&a);
		return 1;
	}
	set_level(&a, v->cfg.log_level);
	unsigned nworkers = v->cfg.threads ? v->cfg.threads : cpu_count();
	v->ups = upstreams_build(&v->cfg, NULL);
	resolver *res = resolver_build(&v->cfg, v->ups);
	v->res = res;
	if (groups_build(&a, v, NULL)) {
		log_err("out of memory");
		version_free(v);
		resolver_free(res);
		args_free(&a);
		return 1;
	}
	/* Rate limiting and cookies are shared by all versions (set at start). */
	rrl *rl = NULL;
	if (v->cfg.rrl_limit) {
		rrl_opts ro = rrl_opts_default();
		ro.rate = v->cfg.rrl_limit;
		ro.slip = v->cfg.rrl_slip;
		ro.v4_prefix = v->cfg.rrl_v4_prefix;
		ro.v6_prefix = v->cfg.rrl_v6_prefix;
		rl = rrl_new(&ro);
		log_info("response rate limiting: %u/s per prefix, slip %u", ro.rate, ro.slip);
	}
	static cookie_secret secret;
	bool have_secret = cookie_secret_init(&secret) == 0;
	const cookie_secret *cookie = have_secret ? &secret : NULL;
	v->rrl = rl;
	v->cookie = cookie;

	/* Signals are handled by this thread only (sigwait); workers inherit
	 * the blocked mask. Every signal a user may send by habit, or whose
	 * default action would end the process without a word, is either
	 * handled or logged and ignored. */
	static const int waited[] = {SIGINT,  SIGTERM,   SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
	                             SIGALRM, SIGVTALRM, SIGPROF, SIGIO,  SIGPWR,  SIGSTKFLT};
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof waited / sizeof waited[0]; i++)
		sigaddset(&set, waited[i]);
	sigaddset(&set, ZONES_RESIGN_SIGNAL); /* zones.h: sent by ternd itself */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed connection is an error return */
	signal(SIGXFSZ, SIG_IGN); /* a log file at its size limit: the write fails */

	server s;
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.change_lock, NULL);
	secondary *sec = v->sec = secondary_new(&s); /* secondary zones (src/xfr/) */
	notifier *nfy = notify_start(); /* NOTIFY out (xfr/notify.h); NULL: none sent */
	updater *upd = v->upd = updater_start(&s, nfy); /* dynamic update (xfr/updater.h) */
	if (server_bind(&s, &v->cfg, nworkers)) {
		version_free(v);
		resolver_free(res);
		args_free(&a);
		return 1;
	}
	ops *opsv = NULL; /* the control socket and /metrics (src/ctl/) */
	if (ops_open(&v->cfg, a.user ? a.user : v->cfg.user, &s, &opsv) || drop_privileges(&a, &v->cfg)) {
		ops_free(opsv);
		version_free(v);
		resolver_free(res);
		args_free(&a);
		return 1;
	}
	check_reload_files(&a, &v->cfg);
	if (a.jail)
		log_jail(a.jail);
	if (server_start(&s, v)) {
		log_err("cannot start workers: %s", strerror(errno));
		return 1;
	}
	/* v is read before the secondary thread starts: its first transfer
	 * may publish a new version and free v (a catalog's members come
	 * within milliseconds). */
	notify_batch *startup_nb = notify_collect(NULL, v);
	for (size_t i = 0; i < v->cfg.nlisten; i++)
		log_info("listening on %s (%s)", v->cfg.listen[i].text,
		         (const char *[]){"UDP, TCP", "DNS over TLS", "DNS over HTTPS"}[v->cfg.listen[i].transport % 3]);
	server_trim_memory(); /* what loading and signing freed */
	/* signed zones' files as served (xfr/zonesync.h); under change_lock:
	 * the workers run, and an UPDATE may publish (and free) meanwhile */
	pthread_mutex_lock(&s.change_lock);
	updater_files_prime(upd);
	pthread_mutex_unlock(&s.change_lock);
	log_info("ternd %s ready: %u worker(s), %zu zone(s)", TERN_VERSION, nworkers, v->cfg.nzones);
	v = NULL;
	if (secondary_start(sec))
		log_err("cannot start the secondary zones' thread: %s", strerror(errno));
	notify("READY=1");
	secondary_set_notifier(sec, nfy);
	notify_submit(nfy, startup_nb);
	/* the current version may be replaced from here on (ternctl reload) */
	reload_ctx rctx = {&a, &s, res, rl, cookie, sec, nfy, upd};
	s.resigned = resigned_hook;
	s.resigned_user = &rctx;
	ctl_hooks hooks = {.reload = reload_hook, .zone_op = zone_op_hook, .user = &rctx, .version = TERN_VERSION};
	if (ops_start(opsv, &s, &hooks))
		log_err("cannot start the control or metrics thread: %s", strerror(errno));

	struct timespec started;
	clock_gettime(CLOCK_MONOTONIC, &started);
	/* the zones ternd signs are signed again on time (zones_resign) */
	time_t resign = zones_resign(&s, NULL);
	for (;;) {
		int sig;
		if (resign) {
			time_t now = time(NULL);
			struct timespec wait = {.tv_sec = resign > now ? resign - now : 0};
			sig = sigtimedwait(&set, NULL, &wait);
			if (sig < 0) {
				resign = zones_resign(&s, NULL);
				continue;
			}
		} else if (sigwait(&set, &sig)) {
			continue;
		}
		if (sig == SIGHUP) {
			reload(&a, &s, res, rl, cookie, sec, nfy, upd);
			resign = zones_resign(&s, NULL);
			continue;
		}
		if (sig == ZONES_RESIGN_SIGNAL) { /* ternctl zone-ksk-submitted: a key step moved */
			resign = zones_resign(&s, NULL);
			continue;
		}
		if (sig == SIGUSR1) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			server_log_stats(&s, (double)(now.tv_sec - started.tv_sec) +
			                         (double)(now.tv_nsec - started.tv_nsec) / 1e9);
			continue;
		}
		if (sig != SIGINT && sig != SIGTERM && sig != SIGQUIT) {
			log_info("%s ignored (SIGHUP reloads, SIGUSR1 logs statistics, SIGTERM stops)",
			         reload_signal_name(sig));
			continue;
		}
		log_info("%s: stopping", reload_signal_name(sig));
		notify("STOPPING=1");
		break;
	}
	ops_stop(opsv); /* first: it may reload */
	updater_stop(upd); /* before the workers: it posts answers to them */
	secondary_stop(sec);
	notify_stop(nfy);
	server_stop(&s);
	ops_free(opsv); /* the query log's last lines */
	resolver_free(res);
	rrl_free(rl);
	free((char *)a.jail);
	args_free(&a);
	return 0;
done:
	args_free(&a);
	return rc;
}
