/* main.c: ternd's command line, start-up, and the main thread's life:
 * it waits for signals while the workers serve. SIGHUP reloads (a new
 * version is built and checked completely, then published; on any error the
 * old one keeps serving), SIGINT and SIGTERM stop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/zone.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

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
	unsigned threads;
	int check;
	int verbose;
} args;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ternd [--config FILE] [--listen ADDR:PORT]... [--zone ORIGIN=FILE]...\n"
	        "             [--threads N] [--check] [-v] [--help] [--version]\n"
	        "\n"
	        "  --config FILE        read the configuration file (see docs/configuration.md)\n"
	        "  --listen ADDR:PORT   listen on UDP and TCP: 127.0.0.1:5353 or [::1]:5353 (repeatable)\n"
	        "  --zone ORIGIN=FILE   serve the zone ORIGIN from the master file FILE (repeatable)\n"
	        "  --threads N          worker threads (default: one per CPU)\n"
	        "  --check              check the configuration and zones, print every error, exit\n"
	        "  -v, --verbose        log more (repeat for debug)\n"
	        "\n"
	        "With no --config, --listen or --zone, ternd reads %s.\n"
	        "Any --listen replaces the configured addresses; --zone adds to the configured zones.\n"
	        "Default listen addresses: 127.0.0.1:5353 and [::1]:5353.\n"
	        "Signals: SIGHUP reloads configuration and zones; SIGINT/SIGTERM stop.\n",
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

static void zone_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	if (line)
		log_msg(error ? LOG_ERR : LOG_WARN, "%s:%u: %s", file, line, msg);
	else
		log_msg(error ? LOG_ERR : LOG_WARN, "%s: %s", file, msg);
}

/* Builds a complete version from the arguments (and the config file they
 * name). Returns NULL after logging every error. */
static version *version_build(const args *a)
{
	version *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	config_init(&v->cfg);
	int errors = 0;
	if (a->config)
		errors += config_load(&v->cfg, a->config);
	if (a->nlisten) {
		v->cfg.nlisten = 0;
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
	db_zone **zones = calloc(v->cfg.nzones ? v->cfg.nzones : 1, sizeof *zones);
	db_diag diag = {.fn = zone_diag};
	size_t nz = 0;
	for (size_t i = 0; zones && i < v->cfg.nzones; i++) {
		const cfg_zone *cz = &v->cfg.zones[i];
		db_zone *z = zone_load(cz->origin, cz->file, &diag);
		if (z) {
			char name[TERN_NAME_TEXT_MAX];
			tern_name_to_text(z->origin, name, sizeof name);
			log_info("zone %s: %zu records, %zu names, serial %u, from %s", name, z->nrecords, z->nnodes,
			         z->serial, cz->file);
			zones[nz++] = z;
		}
	}
	if (!zones || diag.errors || errors) {
		for (size_t i = 0; zones && i < nz; i++)
			zone_free(zones[i]);
		free(zones);
		config_free(&v->cfg);
		free(v);
		if (diag.errors + (unsigned)errors)
			log_err("%u error(s) found", diag.errors + (unsigned)errors);
		return NULL;
	}
	v->zones = db_set_new(zones, nz);
	if (!v->zones) {
		for (size_t i = 0; i < nz; i++)
			zone_free(zones[i]);
		free(zones);
		config_free(&v->cfg);
		free(v);
		return NULL;
	}
	return v;
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
		{NULL, 0, NULL, 0},
	};
	args a = {0};
	int ch;
	while ((ch = getopt_long(argc, argv, "c:l:z:t:hVv", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a.config = optarg; break;
		case 'l':
			if (push(&a.listen, &a.nlisten, optarg))
				return 1;
			break;
		case 'z':
			if (push(&a.zones, &a.nzones, optarg))
				return 1;
			break;
		case 't': {
			char *e;
			long n = strtol(optarg, &e, 10);
			if (*e || n < 1 || n > 1024) {
				fprintf(stderr, "ternd: --threads wants 1..1024, got '%s'\n", optarg);
				return 2;
			}
			a.threads = (unsigned)n;
			break;
		}
		case 'k': a.check = 1; break;
		case 'v': a.verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ternd %s\n", TERN_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ternd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!a.config && !a.nlisten && !a.nzones) {
		if (access(TERN_DEFAULT_CONFIG, R_OK) == 0)
			a.config = TERN_DEFAULT_CONFIG;
		else
			log_warn("%s not found: serving no zones", TERN_DEFAULT_CONFIG);
	}
	log_set_level((enum log_level)(LOG_INFO + a.verbose > LOG_DEBUG ? LOG_DEBUG : LOG_INFO + a.verbose));

	version *v = version_build(&a);
	if (!v)
		return 1;
	if (!a.verbose)
		log_set_level((enum log_level)v->cfg.log_level);
	if (a.check) {
		printf("configuration and %zu zone(s) OK\n", v->cfg.nzones);
		version_free(v);
		return 0;
	}
	unsigned nworkers = v->cfg.threads ? v->cfg.threads : cpu_count();

	/* Signals are handled by this thread only (sigwait); workers inherit
	 * the blocked mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	server s;
	memset(&s, 0, sizeof s);
	if (server_bind(&s, &v->cfg, nworkers)) {
		version_free(v);
		return 1;
	}
	if (server_start(&s, v)) {
		log_err("cannot start workers: %s", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < v->cfg.nlisten; i++)
		log_info("listening on %s (UDP, TCP)", v->cfg.listen[i].text);
	log_info("ternd %s ready: %u worker(s), %zu zone(s)", TERN_VERSION, nworkers, v->cfg.nzones);

	for (;;) {
		int sig;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			log_info("SIGHUP: reloading");
			version *nv = version_build(&a);
			if (!nv) {
				log_err("reload failed; the previous configuration and zones keep serving");
				continue;
			}
			const version *cur = atomic_load(&s.current);
			if (nv->cfg.nlisten != cur->cfg.nlisten || nv->cfg.threads != cur->cfg.threads)
				log_warn("listen addresses and threads change only on restart");
			server_publish(&s, nv);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			log_info("reloaded: %zu zone(s) in %ld ms", nv->cfg.nzones,
			         (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
	server_stop(&s);
	free(a.listen);
	free(a.zones);
	return 0;
}
