/* updater.c: see updater.h. RFC 2136 section numbers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/apply.h"
#include "db/journal.h"
#include "dnssec/resign.h"
#include "server/log.h"
#include "server/server.h"
#include "tern/msg.h"
#include "tern/tsig.h"
#include "xfr/notify.h"
#include "xfr/update.h"
#include "xfr/updater.h"
#include "xfr/xfrconf.h"
#include "xfr/xfrin_config.h"
#include "xfr/xfrin_net.h"
#include "xfr/zonesync.h"

#define QUEUE_MAX 256 /* requests waiting; past it, SERVFAIL at once */

static int write_journal(const db_zone *z, const char *file, const char *zname)
{
	char jnl[4096];
	snprintf(jnl, sizeof jnl, "%s.jnl", file);
	int w = db_journal_write(z->journal, jnl);
	if (w)
		log_warn("zone %s: journal %s not written: %s", zname, jnl, strerror(-w));
	return w;
}

/* A zone ternd signs, changed and published: made durable before the
 * client is answered (docs/architecture.md, "Persisting a signed zone's
 * changes"). The journal is written; when the file is known to hold a
 * serial from which the journal leads to z, the file is left to the
 * writer thread, else written now. A crash before this loses a change the
 * client was not told of (the serial recorded already keeps a restart
 * above it); a write that fails is logged: the change serves, and the
 * file is written again at the next change. */
static void persist_signed(zonesync *zs, db_zone *z, const cfg_zone *cz, const char *zname)
{
	if (!z || !cz->file)
		return;
	bool jnl = z->journal && !write_journal(z, cz->file, zname);
	char err[256];
	int r = zs ? zonesync_persist(zs, z, cz->file, zname, jnl, err, sizeof err)
	           : xfr_zone_save(z, cz->file, err, sizeof err);
	if (r)
		log_err("zone %s: changed, but not written to %s: %s", zname, cz->file, err);
}

static void log_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	(void)line;
	log_msg(error ? LOG_ERR : LOG_WARN, "%s: %s", file, msg);
}

/* A zone ternd signs (dnssec-signing: on): the signer's records (RRSIG,
 * NSEC, NSEC3, NSEC3PARAM; the apex's DNSKEY, CDS, CDNSKEY) are not the
 * client's to add or delete one by one: REFUSED. Deleting them as part
 * of a whole RRset or name (ANY at the apex) leaves them to the signer.
 * Returns the rcode. */
static unsigned drop_managed(const db_zone *z, update_plan *p, char *why, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < p->nedits; i++) {
		const db_edit *e = &p->edits[i];
		if (e->op == DB_DEL_NAME || !dnssec_managed_type(z, e->owner, e->type)) {
			p->edits[k++] = *e;
			continue;
		}
		if (e->op == DB_DEL_RRSET)
			continue;
		char t[24];
		tern_type_to_text(e->type, t, sizeof t);
		snprintf(why, cap, "%s records are made by the signer", t);
		return TERN_R_REFUSED;
	}
	p->nedits = k;
	return TERN_R_NOERROR;
}

typedef struct req {
	struct req *next;
	worker_reply_to to;
	size_t len;
	uint8_t pkt[];
} req;

struct updater {
	server *s;
	struct notifier *nfy;
	zonesync *files; /* the zone-file writer for zones ternd signs */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	req *head, **tail;
	unsigned n;
	bool stop;
};

static void addr_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof a);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof a);
	snprintf(buf, cap, "%s", a);
}

static const cfg_zone *zone_conf(const config *c, const uint8_t *origin)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (tern_name_eq(c->zones[i].origin, origin))
			return &c->zones[i];
	return NULL;
}

/* 3.8: the answer: the header (opcode UPDATE) and the zone section, signed
 * when the request was (RFC 8945 5.3; error answers as 5.3.2 says). */
static size_t answer(const tern_query *q, bool zone_ok, unsigned rcode, tern_tsig_ctx *t, bool sign, uint8_t *out,
                     size_t cap)
{
	size_t reserve = sign ? tern_tsig_sign_size(t) : 0;
	size_t opt = q->edns ? 11 : 0;
	if (cap < TERN_HDR_LEN + reserve + opt + TERN_NAME_MAX + 4)
		return 0;
	tern_msgw m;
	tern_msgw_init(&m, out, cap, cap - reserve - opt, q->hdr.id, TERN_F_QR | TERN_OP_UPDATE << 11);
	if (zone_ok && q->question_end)
		(void)tern_msgw_question(&m, q->qname, q->qtype, q->qclass);
	if (q->edns && tern_msgw_opt(&m, TERN_EDNS_SIZE, rcode, false, NULL, 0))
		return 0;
	int n = tern_msgw_finish(&m, rcode & 0xf);
	if (n < 0)
		return 0;
	size_t len = (size_t)n;
	if (sign && tern_tsig_sign(t, out, len, cap, (uint64_t)time(NULL), &len))
		return 0;
	return len;
}

size_t updater_apply(updater *u, const uint8_t *pkt, size_t len, const struct sockaddr *client, uint8_t *out,
                     size_t cap)
{
	server *s = u->s;
	tern_query q;
	enum tern_qparse pr = tern_query_parse(pkt, len, &q);
	if (pr == TERN_Q_DROP)
		return 0;
	if (pr != TERN_Q_OK)
		return answer(&q, false, pr == TERN_Q_BADVERS ? TERN_R_BADVERS : TERN_R_FORMERR, NULL, false, out, cap);
	char who[INET6_ADDRSTRLEN + 8], zname[TERN_NAME_TEXT_MAX] = "?";
	addr_text(client, who, sizeof who);
	struct timespec t0, t1, t_made = {0, 0};
	clock_gettime(CLOCK_MONOTONIC, &t0);

	pthread_mutex_lock(&s->change_lock); /* the one writer: reloads and transfers wait */
	const version *v = atomic_load(&s->current);
	tern_tsig_ctx t;
	memset(&t, 0, sizeof t);
	bool sign = false;
	unsigned rcode = TERN_R_NOERROR;
	const uint8_t *key = NULL;
	if (q.tsig_off) {
		int r = tern_tsig_verify_request(&t, v->cfg.keys, v->cfg.nkeys, pkt, len, q.tsig_off,
		                                 (uint64_t)time(NULL));
		if (r < 0) {
			rcode = TERN_R_FORMERR;
		} else {
			sign = true; /* a verified request, or an error answer (5.3.2) */
			if (r > 0)
				rcode = TERN_R_NOTAUTH;
			else
				key = t.key->name;
		}
	}
	uint8_t zone[TERN_NAME_MAX];
	bool zone_ok = false;
	const db_zone *z = NULL;
	const cfg_zone *cz = NULL;
	update_plan p;
	memset(&p, 0, sizeof p);
	arena_init(&p.mem);
	if (rcode == TERN_R_NOERROR) {
		rcode = update_zone(pkt, len, zone);
		zone_ok = rcode == TERN_R_NOERROR;
	}
	if (zone_ok) {
		tern_name_to_text(zone, zname, sizeof zname);
		z = db_set_get(v->zones, zone);
		cz = z ? zone_conf(&v->cfg, zone) : NULL;
		if (!z || !cz || q.qclass != TERN_C_IN) {
			rcode = TERN_R_NOTAUTH; /* 3.1.2: not a zone we serve */
		} else if (cz->xfrin && cz->xfrin->nprimaries) {
			/* 6: a secondary would forward to its primary; ternd does not */
			log_info("UPDATE from %s for %s refused: a secondary zone (send updates to its primary)", who, zname);
			rcode = TERN_R_REFUSED;
		} else if (!xfr_acl_allows(cz->xfr.update, cz->xfr.nupdate, client, key)) {
			log_info("UPDATE from %s for %s refused (allow-update)", who, zname);
			rcode = TERN_R_REFUSED;
		} else if (!zone_has_data(z)) {
			rcode = TERN_R_SERVFAIL;
		}
	}
	if (rcode == TERN_R_NOERROR) {
		arena_free(&p.mem);
		update_plan_make(z, pkt, len, &p);
		rcode = p.rcode;
		if (rcode != TERN_R_NOERROR)
			log_info("UPDATE from %s for %s: %s (%s)", who, zname,
			         tern_rcode_name(rcode) ? tern_rcode_name(rcode) : "error", p.why);
	}
	if (rcode == TERN_R_NOERROR && p.changed && cz->sign.on) {
		char why[128];
		rcode = drop_managed(z, &p, why, sizeof why);
		if (rcode != TERN_R_NOERROR)
			log_info("UPDATE from %s for %s refused: %s", who, zname, why);
	}
	if (rcode == TERN_R_NOERROR && p.changed) {
		char what[INET6_ADDRSTRLEN + 32];
		snprintf(what, sizeof what, "UPDATE from %s", who);
		db_diag diag = {.fn = log_diag};
		db_apply_stats st;
		dnssec_resign_stats rst = {0};
		db_zone *nz;
		if (cz->sign.on) { /* re-signed: what changed, and the chain around it */
			/* the keys as they sign now (under change_lock, as the key timer
			 * in zones.c moves them): a step due now changes the key set, and
			 * then the zone is signed whole (the DNSKEY RRset differs) */
			struct dnssec_keyset *ks = dnssec_keys_load(cz->origin, &cz->sign, cz->file, &diag);
			bool stepped = false;
			if (ks && dnssec_keys_roll(ks, &cz->sign, z, (int64_t)time(NULL), &stepped, &diag)) {
				dnssec_keys_free(ks);
				ks = NULL;
			}
			nz = ks ? dnssec_resign(z, p.edits, p.nedits, ks, &cz->sign, 0, DB_APPLY_DIFF, what, &diag, &st, &rst)
			        : NULL;
			if (nz && stepped)
				dnssec_keys_save(ks, &diag);
			dnssec_keys_free(ks);
			clock_gettime(CLOCK_MONOTONIC, &t_made);
		} else {
			nz = zone_apply(z, p.edits, p.nedits, DB_APPLY_DIFF, what, &diag, &st);
		}
		char err[256] = "";
		if (!nz) {
			rcode = TERN_R_SERVFAIL;
			log_err("UPDATE from %s for %s: the zone could not be changed", who, zname);
		} else {
			/* the journal, so secondaries get IXFR (as a reload's step) */
			/* and, for a zone ternd signs, what makes the change
			 * durable before its file is written (persist_signed) */
			if (st.diff && (cz->xfr.nacl || cz->sign.on) && cz->xfr.journal_size)
				nz->journal = db_journal_add(z->journal, st.diff, cz->xfr.journal_size);
			else
				db_diff_unref(st.diff);
			/* the change survives a restart: the zone file is written
			 * (atomically) before anyone sees the change, and the
			 * journal beside it; a write that fails refuses the update.
			 * A zone ternd signs is published first (its file, signed,
			 * is some ten times bigger: 0.8 s for 100k names) and
			 * written before the client is answered (persist_signed) */
			if (!cz->sign.on && xfr_zone_save(nz, cz->file, err, sizeof err)) {
				log_err("UPDATE from %s for %s not applied: %s", who, zname, err);
				rcode = TERN_R_SERVFAIL;
				zone_unref(nz);
				nz = NULL;
			}
		}
		if (nz) {
			if (nz->journal && !cz->sign.on)
				write_journal(nz, cz->file, zname);
			uint32_t from = z->serial, to = nz->serial;
			size_t changes = p.nedits;
			if (server_replace_zone_locked(s, nz)) {
				rcode = TERN_R_SERVFAIL;
			} else {
				const version *nv = atomic_load(&s->current);
				notify_zone(u->nfy, &nv->cfg, db_set_get(nv->zones, zone));
				clock_gettime(CLOCK_MONOTONIC, &t1);
				char signing[96] = "";
				if (cz->sign.on) { /* a restart signs above it (sign.h) */
					dnssec_serial_save(cz->origin, &cz->sign, cz->file, to, &diag);
					if (rst.whole)
						snprintf(signing, sizeof signing, ", signed whole");
					else
						snprintf(signing, sizeof signing,
						         ", %zu signature(s) and %zu chain record(s) made again in %.1f ms",
						         rst.signatures, rst.chain,
						         (double)(t_made.tv_sec - t0.tv_sec) * 1e3 +
						                 (double)(t_made.tv_nsec - t0.tv_nsec) / 1e6);
				}
				log_info("UPDATE from %s for %s: serial %u -> %u, %zu edit(s), %s%s, %.1f ms", who, zname, from,
				         to, changes, st.rebuilt ? "zone rebuilt" : "nodes shared", signing,
				         (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
				if (cz->sign.on)
					persist_signed(u->files, (db_zone *)db_set_get(nv->zones, zone), cz, zname);
			}
		}
	}
	size_t n = answer(&q, zone_ok, rcode, &t, sign, out, cap);
	pthread_mutex_unlock(&s->change_lock);
	update_plan_free(&p);
	tern_tsig_ctx_free(&t);
	return n;
}

static void *run(void *arg)
{
	updater *u = arg;
	uint8_t *out = malloc(65535);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		while (!u->head && !u->stop)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->stop) {
			pthread_mutex_unlock(&u->lock);
			break;
		}
		req *r = u->head;
		u->head = r->next;
		if (!u->head)
			u->tail = &u->head;
		u->n--;
		pthread_mutex_unlock(&u->lock);
		size_t n = out ? updater_apply(u, r->pkt, r->len, (const struct sockaddr *)&r->to.addr, out,
		                               r->to.tcp_slot >= 0 ? 65535 : 512)
		               : 0;
		if (n)
			worker_post(u->s, &r->to, out, n);
		free(r);
	}
	free(out);
	return NULL;
}

updater *updater_start(server *s, struct notifier *nfy)
{
	updater *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->s = s;
	u->nfy = nfy;
	u->tail = &u->head;
	u->files = zonesync_start();
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	if (!u->files || pthread_create(&u->thread, NULL, run, u)) {
		zonesync_stop(u->files);
		pthread_mutex_destroy(&u->lock);
		pthread_cond_destroy(&u->cond);
		free(u);
		return NULL;
	}
	return u;
}

void updater_stop(updater *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	zonesync_stop(u->files); /* what is pending is written */
	while (u->head) {
		req *r = u->head;
		u->head = r->next;
		free(r);
	}
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cond);
	free(u);
}

bool updater_submit(updater *u, const uint8_t *pkt, size_t len, const worker_reply_to *to)
{
	if (!u || len > 65535)
		return false;
	req *r = malloc(sizeof *r + len);
	if (!r)
		return false;
	r->next = NULL;
	r->to = *to;
	r->len = len;
	memcpy(r->pkt, pkt, len);
	pthread_mutex_lock(&u->lock);
	bool ok = u->n < QUEUE_MAX && !u->stop;
	if (ok) {
		*u->tail = r;
		u->tail = &r->next;
		u->n++;
		pthread_cond_signal(&u->cond);
	}
	pthread_mutex_unlock(&u->lock);
	if (!ok)
		free(r);
	return ok;
}

void updater_files_settle(updater *u)
{
	if (u)
		zonesync_flush(u->files);
}

void updater_files_prime(updater *u)
{
	if (!u)
		return;
	const version *v = atomic_load(&u->s->current);
	for (size_t i = 0; i < v->cfg.nzones; i++) {
		const cfg_zone *cz = &v->cfg.zones[i];
		db_zone *z = cz->sign.on && cz->file && cz->xfr.nupdate ? (db_zone *)db_set_get(v->zones, cz->origin)
		                                                          : NULL;
		if (z && zone_has_data(z)) {
			char zname[TERN_NAME_TEXT_MAX];
			tern_name_to_text(cz->origin, zname, sizeof zname);
			zonesync_prime(u->files, z, cz->file, zname);
		}
	}
}
