/* ixfr_apply.c: IXFR differences applied to a zone version (xfr_apply, see
 * xfrin.h): each sequence's deletions and additions become edits for
 * zone_apply (db/apply.h), which makes the new version sharing every node
 * the differences do not touch (docs/architecture.md, "Applying a small
 * change"), with IXFR's strict rules: a deletion of a record the zone does
 * not hold is an error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/apply.h"
#include "tern/rr.h"
#include "xfr/xfrin.h"

void xfr_diag_first(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	xfr_errbuf *b = user;
	if (!error || b->have)
		return;
	b->have = true;
	if (line)
		snprintf(b->err, b->cap, "record %u: %s", line, msg);
	else
		snprintf(b->err, b->cap, "%s", msg);
}

static void describe(const xfr_rr *r, char *buf, size_t cap)
{
	char o[TERN_NAME_TEXT_MAX], t[24], rd[256];
	tern_name_to_text(r->owner, o, sizeof o);
	tern_type_to_text(r->type, t, sizeof t);
	if (tern_rdata_to_text(r->type, r->rdata, r->rdlen, rd, sizeof rd) < 0)
		snprintf(rd, sizeof rd, "...");
	snprintf(buf, cap, "%s %s %s", o, t, rd);
}

db_zone *xfr_apply(const db_zone *cur, const xfr_delta *deltas, const char *name, char *err, size_t errcap)
{
	size_t n = 0;
	for (const xfr_delta *d = deltas; d; d = d->next)
		n += d->ndel + d->nadd;
	db_edit *e = calloc(n ? n : 1, sizeof *e);
	const xfr_delta **of = calloc(n ? n : 1, sizeof *of); /* the sequence of each edit */
	const xfr_rr **rr = calloc(n ? n : 1, sizeof *rr);
	db_zone *z = NULL;
	if (!e || !of || !rr) {
		snprintf(err, errcap, "out of memory");
		goto done;
	}
	/* RFC 1995 4: each sequence deletes, then adds; they chain by serial */
	uint32_t serial = cur->serial;
	size_t k = 0;
	for (const xfr_delta *d = deltas; d; d = d->next) {
		if (d->from != serial) {
			snprintf(err, errcap, "IXFR sequence starts at serial %u, the zone is at %u", d->from, serial);
			goto done;
		}
		for (const xfr_rr *r = d->del; r; r = r->next, k++) {
			/* the opening SOA: the zone's SOA at serial `from`,
			 * whatever else it says */
			bool soa = r->type == TERN_T_SOA && r == d->del;
			e[k] = (db_edit){.op = soa ? DB_DEL_RRSET : DB_DEL_RR, .owner = r->owner, .type = r->type,
			                 .rdlen = r->rdlen, .rdata = r->rdata};
			of[k] = d, rr[k] = r;
		}
		for (const xfr_rr *r = d->add; r; r = r->next, k++) {
			e[k] = (db_edit){.op = DB_ADD_RR, .owner = r->owner, .type = r->type, .ttl = r->ttl,
			                 .rdlen = r->rdlen, .rdata = r->rdata};
			of[k] = d, rr[k] = r;
		}
		serial = d->to;
	}
	xfr_errbuf eb = {err, errcap, false};
	db_diag diag = {.fn = xfr_diag_first, .user = &eb};
	db_apply_stats st;
	z = zone_apply(cur, e, k, DB_APPLY_STRICT, name, &diag, &st);
	if (!z && st.failed_edit < k && e[st.failed_edit].op == DB_DEL_RR) {
		char what[TERN_NAME_TEXT_MAX + 300];
		describe(rr[st.failed_edit], what, sizeof what);
		snprintf(err, errcap, "IXFR from serial %u to %u deletes '%s', which the zone does not hold",
		         of[st.failed_edit]->from, of[st.failed_edit]->to, what);
	} else if (!z && !eb.have) {
		snprintf(err, errcap, "the differences do not apply");
	}
done:
	free(e);
	free(of);
	free(rr);
	return z;
}
