/* resign_reload.c: a reload of a zone ternd signs, re-signed by its
 * differences (resign.h, dnssec_resign_reload). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/journal.h"
#include "dnssec/keyimpl.h"
#include "dnssec/resign.h"
#include "dnssec/resign_impl.h"
#include "tern/rr.h"

/* ---- a reload ---- */

/* The edits of one run of a difference (journal.h: owner, type, class,
 * TTL, RDLENGTH, RDATA, uncompressed), but the signer's records: into
 * *v (grown). */
static int run_edits(const db_zone *z, const uint8_t *p, size_t len, uint32_t n, db_edit_op op, db_edit **v,
                     size_t *nv, size_t *cap)
{
	const uint8_t *end = p + len;
	for (uint32_t i = 0; i < n; i++) {
		size_t ol = tern_name_len(p);
		if (p + ol + 10 > end)
			return -1;
		uint16_t type = tern_get_u16(p + ol), rdlen = tern_get_u16(p + ol + 8);
		uint32_t ttl = tern_get_u32(p + ol + 4);
		if (p + ol + 10 + rdlen > end)
			return -1;
		if (!dnssec_managed_type(z, p, type) && !(op == DB_DEL_RR && type == TERN_T_SOA)) {
			if (*nv == *cap) {
				size_t c = *cap ? 2 * *cap : 256;
				db_edit *x = realloc(*v, c * sizeof *x);
				if (!x)
					return -1;
				*v = x;
				*cap = c;
			}
			(*v)[(*nv)++] = (db_edit){.op = op, .owner = p, .type = type, .ttl = ttl, .rdlen = rdlen,
			                          .rdata = p + ol + 10};
		}
		p += ol + 10 + rdlen;
	}
	return 0;
}

db_zone *dnssec_resign_reload(const db_zone *served, const db_zone *z, const dnssec_keyset *ks, const dnssec_policy *p,
                              uint32_t serial, db_diag *diag, dnssec_resign_stats *rs)
{
	/* the served version must be of these keys and this policy; CDS and
	 * CDNSKEY follow the keys' states (dnssec-cds), so a zone that has or
	 * wants them is signed whole */
	if (!zone_has_data(served) || !served->soa || !zone_has_data(z) || !z->soa || !dnssec_keys_serve(served, ks) ||
	    !dnssec_chain_is(served, p) || node_rrset(served->apex, TERN_T_CDS) || p->cds != DNSSEC_CDS_OFF)
		return NULL;
	db_diff *d = db_diff_make(served, z);
	if (!d)
		return NULL;
	db_edit *v = NULL;
	size_t nv = 0, cap = 0;
	db_zone *out = NULL;
	/* removed first, then added (the file's SOA among them: its fields,
	 * with the serial asked for) */
	if (!run_edits(served, d->del, d->del_len, d->ndel, DB_DEL_RR, &v, &nv, &cap) &&
	    !run_edits(served, d->add, d->add_len, d->nadd, DB_ADD_RR, &v, &nv, &cap)) {
		char what[4200];
		snprintf(what, sizeof what, "%s (reload)", z->file);
		out = dnssec_resign(served, v, nv, ks, p, serial, 0, what, diag, NULL, rs);
		if (out) {
			const char *file = arena_dup(&out->mem, z->file, strlen(z->file) + 1);
			if (file)
				out->file = file;
		}
	}
	free(v);
	db_diff_unref(d);
	return out;
}
