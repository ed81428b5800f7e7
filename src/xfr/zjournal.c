/* zjournal.c: see zjournal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/apply.h"
#include "db/journal.h"
#include "server/log.h"
#include "tern/error.h"
#include "xfr/zjournal.h"

static char *jnl_path(const char *file)
{
	size_t n = strlen(file);
	char *p = malloc(n + 5);
	if (p) {
		memcpy(p, file, n);
		memcpy(p + n, ".jnl", 5);
	}
	return p;
}

static void save(const char *zname, const char *path, const db_journal *j)
{
	if (!path) /* a zone without a file (a catalog producer's): in memory only */
		return;
	int rc = db_journal_write(j, path);
	if (rc)
		log_warn("zone %s: cannot write the journal %s: %s (IXFR still served from memory)", zname, path,
		         strerror(-rc));
}

void xfr_zone_loaded(const cfg_zone *cz, const db_zone *prev, db_zone *z)
{
	if (!cz->xfr.nacl || !cz->xfr.journal_size || !z->soa)
		return;
	char zname[TERN_NAME_TEXT_MAX];
	tern_name_to_text(cz->origin, zname, sizeof zname);
	char *path = cz->file ? jnl_path(cz->file) : NULL;
	if (cz->file && !path)
		return;
	if (!prev || !zone_has_data(prev) || !prev->soa) {
		db_journal *j = NULL;
		if (!path)
			return;
		int rc = db_journal_read(path, &j);
		if (rc) {
			log_warn("zone %s: journal %s ignored: %s", zname, path,
			         rc == TERN_EMALFORMED ? "malformed" : strerror(-rc));
		} else if (j && j->d[j->n - 1]->to != z->serial) {
			log_info("zone %s: journal %s ends at serial %u, the zone is at %u: not used", zname, path,
			         j->d[j->n - 1]->to, z->serial);
			db_journal_unref(j);
		} else if (j) {
			log_info("zone %s: journal %s: %zu difference(s) from serial %u", zname, path, j->n,
			         j->d[0]->from);
			z->journal = j;
		}
		free(path);
		return;
	}
	if (prev->serial == z->serial) {
		z->journal = db_journal_ref(prev->journal);
	} else if (db_serial_lt(prev->serial, z->serial)) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		db_diff *d = db_diff_make(prev, z);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (!d) {
			log_warn("zone %s: out of memory for the difference %u -> %u; IXFR falls back to AXFR", zname,
			         prev->serial, z->serial);
		} else {
			uint32_t ndel = d->ndel - 1, nadd = d->nadd - 1;
			z->journal = db_journal_add(prev->journal, d, cz->xfr.journal_size);
			log_info("zone %s: serial %u -> %u: %u record(s) removed, %u added (compared in %ld ms); journal "
			         "%zu difference(s), %zu bytes",
			         zname, prev->serial, z->serial, ndel, nadd, ms, z->journal ? z->journal->n : 0,
			         z->journal ? z->journal->bytes : 0);
		}
		save(zname, path, z->journal);
	} else {
		log_warn("zone %s: serial went back from %u to %u; the journal is dropped (secondaries need AXFR)",
		         zname, prev->serial, z->serial);
		save(zname, path, NULL);
	}
	free(path);
}

static void xfr_diag_log(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	(void)line;
	log_msg(error ? LOG_ERR : LOG_WARN, "%s: %s", file, msg);
}

db_zone *xfr_zone_replay(const cfg_zone *cz, db_zone *z, const char *zname)
{
	if (!cz->file || !z || !zone_has_data(z) || !z->soa)
		return z;
	char *path = jnl_path(cz->file);
	db_journal *j = NULL;
	int rc = path ? db_journal_read(path, &j) : -ENOMEM;
	if (rc) {
		log_warn("zone %s: journal %s not read: %s; the zone file is used as it is", zname, path ? path : "?",
		         rc == TERN_EMALFORMED ? "malformed" : strerror(-rc));
		free(path);
		return z;
	}
	int k = j ? db_journal_find(j, z->serial) : -1;
	if (k < 0) {
		db_journal_unref(j);
		free(path);
		return z;
	}
	size_t n = 0;
	for (size_t i = (size_t)k; i < j->n; i++)
		n += j->d[i]->ndel + j->d[i]->nadd;
	db_edit *e = calloc(n ? n : 1, sizeof *e);
	db_zone *out = NULL;
	char what[4200];
	snprintf(what, sizeof what, "journal %s", path);
	if (e) {
		size_t m = 0;
		for (size_t i = (size_t)k; i < j->n; i++)
			m += db_diff_edits(j->d[i], e + m);
		db_diag diag = {.fn = xfr_diag_log};
		out = zone_apply(z, e, m, DB_APPLY_STRICT, what, &diag, NULL);
	}
	if (out) {
		log_info("zone %s: %zu change(s) from the journal %s applied to the zone file: serial %u -> %u", zname,
		         j->n - (size_t)k, path, z->serial, out->serial);
		zone_unref(z);
		z = out;
	} else {
		log_warn("zone %s: the journal %s does not apply to the zone file (serial %u): the file is used as it is",
		         zname, path, z->serial);
	}
	free(e);
	db_journal_unref(j);
	free(path);
	return z;
}
