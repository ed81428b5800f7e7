/* test_refresh.c: unit tests of the timed refresh by slices
 * (dnssec/resign.h, dnssec_refresh), on a zone of a few thousand names
 * signed whole (one CSK), with NSEC and with NSEC3, refreshed "a quarter of the
 * validity later" (now moved ahead):
 *   - each step re-signs at most the slice, the oldest first, and counts
 *     down what is still due; the steps end with every signature new;
 *   - the new version's sig_oldest is the oldest inception left;
 *   - a step's version keeps in its own arena only what the step made:
 *     the denial indexes (8 or 36 bytes per name) are the version's own
 *     and go with it, not with the last version sharing its nodes
 *     (otherwise every step of a big zone kept a copy of them alive until
 *     the next rebuild);
 *   - the journal bound cuts a step to a quarter of the journal, to all
 *     of it once signatures are half way to their expiry;
 *   - nothing due: no version (and when the oldest is due); a zone not
 *     signed by the policy's chain: to be signed whole. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/apply.h"
#include "db/dnssec.h"
#include "db/journal.h"
#include "db/zone.h"
#include "dnssec/resign.h"
#include "dnssec/sign.h"
#include "tern/rr.h"

static const uint8_t ORIGIN[] = "\7example";
#define NAMES 10000
#define SLICE 100

static void on_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	if (error)
		fprintf(stderr, "  error %s:%u: %s\n", file, line, msg);
}

typedef struct signed_zone {
	dnssec_policy p;
	struct dnssec_keyset *k;
	db_zone *z;
	int64_t signed_at;
} signed_zone;

static void make(signed_zone *s, bool nsec3)
{
	size_t cap = 200 + NAMES * 40, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "$ORIGIN example.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\n"
	                                   "ns A 192.0.2.1\n");
	for (unsigned i = 0; i < NAMES; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%u A 192.0.%u.%u\n", i, 2 + i / 250, i % 250);
	db_diag dg = {.fn = on_diag, .flags = DB_DIAG_NO_WRITE};
	db_zone *z = zone_load_string(ORIGIN, "t.zone", text, &dg);
	free(text);
	assert_non_null(z);
	memset(s, 0, sizeof *s);
	s->p = DNSSEC_POLICY_DEFAULT;
	s->p.on = true;
	s->p.nsec3 = nsec3;
	s->p.keydir = (char *)".";
	s->p.single_type = true;
	s->p.refresh_slice = SLICE;
	s->p.threads = 1;
	s->k = dnssec_keys_load(ORIGIN, &s->p, "t.zone", &dg);
	assert_non_null(s->k);
	bool changed = false;
	s->signed_at = (int64_t)time(NULL);
	assert_int_equal(dnssec_keys_roll(s->k, &s->p, z, s->signed_at, &changed, &dg), 0);
	s->z = dnssec_sign_zone(z, s->k, &s->p, 100, &dg);
	assert_non_null(s->z);
	zone_free(z);
}

static int count_sigs(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
                      uint16_t len)
{
	(void)owner;
	(void)ttl;
	uint32_t *v = user; /* [0]: RRSIGs, [1]: the oldest inception, [2]: made before v[3] */
	if (type != TERN_T_RRSIG || len < 18)
		return 0;
	uint32_t inc = tern_get_u32(rd + 12);
	v[0]++;
	if (inc < v[1])
		v[1] = inc;
	v[2] += inc < v[3];
	return 0;
}

static void steps(bool nsec3)
{
	signed_zone s;
	make(&s, nsec3);
	size_t index_bytes = nsec3 ? s.z->dnssec->nn3 * sizeof(db_nsec3) + s.z->dnssec->nhidden * sizeof(void *)
	                           : s.z->dnssec->nnsec * sizeof(void *);
	uint32_t before[4] = {0, UINT32_MAX, 0, 0};
	zone_walk(s.z, count_sigs, before);
	uint32_t validity = DNSSEC_SIG_VALIDITY;
	/* the signatures are made again "now": a quarter of the validity on,
	 * and their inception says so */
	int64_t now = s.signed_at + validity / 4 + 5;
	uint32_t made = (uint32_t)now - DNSSEC_INCEPTION_SKEW;
	db_zone *z = s.z;
	size_t due = SIZE_MAX, nsteps = 0;
	while (due) {
		db_diag dg = {.fn = on_diag};
		db_apply_stats ast;
		dnssec_refresh_stats rs;
		db_zone *nz = dnssec_refresh(z, s.k, &s.p, z->serial + 1, now, 0, DB_APPLY_DIFF, &dg, &ast, &rs);
		assert_non_null(nz);
		assert_false(rs.whole);
		assert_false(rs.urgent);
		assert_false(ast.rebuilt && nsteps == 0);
		assert_true(rs.rrsets <= SLICE);
		assert_true(due == SIZE_MAX || rs.due_left + rs.rrsets == due);
		due = rs.due_left;
		/* what this version holds of its own: the step's records, not
		 * a copy of the denial indexes (fast path only: a rebuild, by the
		 * compaction rule, makes everything anew) */
		if (!ast.rebuilt)
			assert_true(nz->mem.total < index_bytes);
		/* the oldest inception left: the first signing's while any is
		 * due, then the new ones' */
		assert_int_equal(nz->sig_oldest, due ? before[1] : made);
		assert_non_null(ast.diff);
		db_diff_unref(ast.diff);
		zone_unref(z);
		z = nz;
		nsteps++;
	}
	assert_true(nsteps >= before[0] / (SLICE + 1));
	uint32_t after[4] = {0, UINT32_MAX, 0, made};
	zone_walk(z, count_sigs, after);
	assert_int_equal(after[0], before[0]); /* the same signatures, */
	assert_int_equal(after[2], 0);         /* all made again */
	zone_unref(z);
	dnssec_keys_free(s.k);
}

static void test_steps_nsec(void **state)
{
	(void)state;
	steps(false);
}

static void test_steps_nsec3(void **state)
{
	(void)state;
	steps(true);
}

static void test_journal_bound(void **state)
{
	(void)state;
	signed_zone s;
	make(&s, false);
	int64_t now = s.signed_at + DNSSEC_SIG_VALIDITY / 4 + 5;
	db_diag dg = {.fn = on_diag};
	db_apply_stats ast;
	dnssec_refresh_stats rs;
	s.p.refresh_slice = 1000;
	/* a 40 KB journal: a step's entry a quarter of it, some 36 RRsets
	 * (~280 bytes each), so the fewest, 100 */
	db_zone *nz = dnssec_refresh(s.z, s.k, &s.p, 101, now, 40000, DB_APPLY_DIFF, &dg, &ast, &rs);
	assert_non_null(nz);
	assert_int_equal(rs.rrsets, DNSSEC_REFRESH_SLICE_MIN);
	db_diff_unref(ast.diff);
	zone_unref(nz);
	/* half way to expiry: the whole journal (some 144 RRsets), not a quarter */
	now = s.signed_at + DNSSEC_SIG_VALIDITY / 2 + 5;
	nz = dnssec_refresh(s.z, s.k, &s.p, 101, now, 40000, DB_APPLY_DIFF, &dg, &ast, &rs);
	assert_non_null(nz);
	assert_true(rs.urgent);
	assert_true(rs.rrsets > DNSSEC_REFRESH_SLICE_MIN && rs.rrsets < 1000);
	db_diff_unref(ast.diff);
	zone_unref(nz);
	zone_unref(s.z);
	dnssec_keys_free(s.k);
}

/* Nothing due (right after the signing): no version, and when the oldest
 * falls due; another chain than the policy's: to be signed whole. */
static void test_idle_and_whole(void **state)
{
	(void)state;
	signed_zone s;
	make(&s, false);
	db_diag dg = {.fn = on_diag};
	db_apply_stats ast;
	dnssec_refresh_stats rs;
	assert_null(dnssec_refresh(s.z, s.k, &s.p, 101, s.signed_at, 0, DB_APPLY_DIFF, &dg, &ast, &rs));
	assert_true(rs.idle && !rs.whole);
	assert_int_equal(rs.oldest, (uint32_t)s.signed_at - DNSSEC_INCEPTION_SKEW);
	s.p.nsec3 = true;
	assert_null(dnssec_refresh(s.z, s.k, &s.p, 101, s.signed_at + DNSSEC_SIG_VALIDITY / 4 + 5, 0, DB_APPLY_DIFF,
	                           &dg, &ast, &rs));
	assert_true(rs.whole && !rs.idle);
	assert_int_equal(dg.errors, 0);
	zone_unref(s.z);
	dnssec_keys_free(s.k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps_nsec),
		cmocka_unit_test(test_steps_nsec3),
		cmocka_unit_test(test_journal_bound),
		cmocka_unit_test(test_idle_and_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
