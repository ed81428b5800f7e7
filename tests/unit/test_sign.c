/* test_sign.c: unit tests of zone signing (dnssec/sign.h): a zone signed
 * with keys that are not kept (DB_DIAG_NO_WRITE) loads again with every
 * signature verified (DB_DIAG_VERIFY) and no warning, for NSEC and NSEC3,
 * with a KSK and a ZSK (the KSK signs only the DNSKEY RRset, the ZSK the
 * rest) and with one CSK;
 * a name with more types than any bitmap buffer on the stack would hold;
 * the serial asked for;
 * the signing split over threads (dnssec-signing-threads): a zone of
 * thousands of names (delegations with glue and occluded names, empty
 * non-terminals, wildcards, names below a DNAME) signed with Ed25519
 * (deterministic signatures) by 1 thread and by 2 to 16 writes the same
 * signed zone file, byte for byte, with NSEC and with NSEC3; the thread
 * counts tried put a part's first name on a delegation, on glue, on an
 * occluded name, on an empty non-terminal and below a DNAME (sign.h: part
 * i of T starts at name i * n / T in canonical order); a failure in the
 * threads fails the signing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/dnssec.h"
#include "db/zone.h"
#include "dnssec/sign.h"
#include "tern/rr.h"

static void on_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	fprintf(stderr, "  %s %s:%u: %s\n", error ? "error" : "warning", file, line, msg);
}

static char *zone_text(void)
{
	size_t cap = 64 << 10, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n,
	                      "$ORIGIN example.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n"
	                      "*.w TXT \"w\"\na.b.ent A 192.0.2.2\nsub NS ns.sub\nns.sub A 192.0.2.3\n");
	/* 600 types at one name: windows 3 to 5 of the bitmap */
	for (unsigned ty = 1000; ty < 1600; ty++)
		n += (size_t)snprintf(t + n, cap - n, "many TYPE%u \\# 1 %02x\n", ty, ty & 0xff);
	return t;
}

/* The key tags of the RRSIGs over type at n. */
static unsigned sig_count(const db_node *n, uint16_t type)
{
	const db_rrset *sig = node_rrsigs(n, type);
	return sig ? sig->count : 0;
}

static void sign_and_check(bool nsec3, bool csk)
{
	static const uint8_t origin[] = "\7example";
	char *text = zone_text();
	db_diag dg = {.fn = on_diag, .flags = DB_DIAG_NO_WRITE | DB_DIAG_VERIFY};
	db_zone *z = zone_load_string(origin, "t.zone", text, &dg);
	assert_non_null(z);
	dnssec_policy p = DNSSEC_POLICY_DEFAULT;
	p.on = true;
	p.alg = 15;
	p.nsec3 = nsec3;
	p.single_type = csk;
	p.keydir = (char *)".";
	struct dnssec_keyset *ks = dnssec_keys_load(origin, &p, "t.zone", &dg);
	assert_non_null(ks);
	bool changed = false;
	assert_int_equal(dnssec_keys_roll(ks, &p, z, (int64_t)time(NULL), &changed, &dg), 0);
	assert_true(changed);
	assert_int_equal(dnssec_keys_count(ks), csk ? 1 : 2);
	unsigned warnings = dg.warnings;
	db_zone *s = dnssec_sign_zone(z, ks, &p, 4242, &dg);
	assert_non_null(s);
	assert_int_equal(dg.errors, 0);
	assert_int_equal(dg.warnings, warnings); /* every signature verifies, the chain is whole */
	assert_int_equal(s->serial, 4242);
	assert_non_null(s->dnssec);
	assert_int_equal(s->dnssec->nsec3, nsec3);
	/* one key signs each RRset: the KSK (or CSK) the DNSKEY RRset, the
	 * ZSK (or CSK) the SOA */
	assert_int_equal(node_rrset(s->apex, TERN_T_DNSKEY)->count, csk ? 1 : 2);
	assert_int_equal(sig_count(s->apex, TERN_T_DNSKEY), 1);
	assert_int_equal(sig_count(s->apex, TERN_T_SOA), 1);
	uint16_t l1, l2;
	const uint8_t *k1 = rrset_rdata(node_rrsigs(s->apex, TERN_T_DNSKEY)->rdata, &l1);
	const uint8_t *k2 = rrset_rdata(node_rrsigs(s->apex, TERN_T_SOA)->rdata, &l2);
	if (csk)
		assert_int_equal(tern_get_u16(k1 + 16), tern_get_u16(k2 + 16));
	else
		assert_int_not_equal(tern_get_u16(k1 + 16), tern_get_u16(k2 + 16));
	const db_node *many = zone_find(s, (const uint8_t *)"\4many\7example");
	assert_non_null(many);
	if (!nsec3) {
		const db_rrset *nsec = node_rrset(many, TERN_T_NSEC);
		assert_non_null(nsec);
		uint16_t len;
		const uint8_t *rd = rrset_rdata(nsec->rdata, &len);
		size_t nl = tern_name_len(rd);
		/* windows 0 (RRSIG, NSEC), 3, 4, 5, 6 (1536..1599) */
		assert_int_equal(rd[nl], 0);
		unsigned windows = 0;
		for (size_t i = nl; i < len; i += 2u + rd[i + 1])
			windows++;
		assert_int_equal(windows, 5);
	}
	dnssec_keys_free(ks);
	zone_free(s);
	zone_free(z);
	free(text);
}

static void test_sign_nsec(void **state)
{
	(void)state;
	sign_and_check(false, false);
}

static void test_sign_nsec3(void **state)
{
	(void)state;
	sign_and_check(true, false);
}

static void test_sign_csk(void **state)
{
	(void)state;
	sign_and_check(false, true);
}

/* ---- the signing split over threads ---- */

#define GROUPS 1200

/* Groups of names, each under its own label nNNNN, of six kinds in turn. */
static char *big_zone_text(void)
{
	size_t cap = 256 << 10, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n, "$ORIGIN example.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n"
	                                      "@ NS ns\nns A 192.0.2.1\n");
	for (unsigned i = 0; i < GROUPS; i++) {
		assert_true(cap - n > 256);
		switch (i % 6) {
		case 0: n += (size_t)snprintf(t + n, cap - n, "n%04u A 192.0.2.1\n", i); break;
		case 1: /* a delegation, its glue, and a name it occludes below an empty one */
			n += (size_t)snprintf(t + n, cap - n, "n%04u NS ns.n%04u\nns.n%04u A 192.0.2.2\nx.y.n%04u TXT \"o\"\n",
			                      i, i, i, i);
			break;
		case 2: n += (size_t)snprintf(t + n, cap - n, "a.b.n%04u A 192.0.2.3\n", i); break; /* two ENTs */
		case 3: n += (size_t)snprintf(t + n, cap - n, "*.n%04u TXT \"w\"\n", i); break;
		case 4: n += (size_t)snprintf(t + n, cap - n, "n%04u DNAME t.invalid.\nu.n%04u A 192.0.2.4\n", i, i); break;
		default: n += (size_t)snprintf(t + n, cap - n, "n%04u MX 10 n%04u\nn%04u AAAA 2001:db8::1\n", i, i, i); break;
		}
	}
	return t;
}

static int cmp_node_canon(const void *a, const void *b)
{
	return tern_name_cmp((*(const db_node *const *)a)->name, (*(const db_node *const *)b)->name);
}

/* z's names in canonical order, as dnssec_sign_zone splits them; *n of them. */
static const db_node **canon_nodes(const db_zone *z, size_t *n)
{
	const db_node **v = malloc(z->nnodes * sizeof *v);
	assert_non_null(v);
	*n = 0;
	for (size_t b = 0; b < (size_t)1 << (32 - z->shift); b++)
		for (const db_node *x = z->table[b]; x; x = x->hnext)
			if (*n < z->nnodes)
				v[(*n)++] = x;
	qsort(v, *n, sizeof *v, cmp_node_canon);
	return v;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *t = malloc((size_t)len + 1);
	assert_non_null(t);
	assert_int_equal(fread(t, 1, (size_t)len, f), (size_t)len);
	t[len] = 0;
	fclose(f);
	return t;
}

/* The signed zone file of z signed at now by threads threads (p->signed_file). */
static char *signed_with(const db_zone *z, struct dnssec_keyset *ks, dnssec_policy *p, unsigned threads, int64_t now)
{
	db_diag dg = {.fn = on_diag};
	p->threads = threads;
	db_zone *s = dnssec_sign_zone_at(z, ks, p, 4242, now, &dg);
	assert_non_null(s);
	assert_int_equal(dg.errors, 0);
	zone_free(s);
	return read_all(p->signed_file);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

static void parallel_same(bool nsec3)
{
	static const uint8_t origin[] = "\7example";
	char dir[] = "/tmp/tern-test-sign-XXXXXX", out[sizeof dir + 16];
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/signed", dir);
	char *text = big_zone_text();
	db_diag dg = {.fn = NULL};
	db_zone *z = zone_load_string(origin, "big.zone", text, &dg);
	assert_non_null(z);
	assert_int_equal(dg.errors, 0);
	dnssec_policy p = DNSSEC_POLICY_DEFAULT;
	p.on = true;
	p.alg = 15;
	p.nsec3 = nsec3;
	p.keydir = dir;
	p.signed_file = out;
	struct dnssec_keyset *ks = dnssec_keys_load(origin, &p, "big.zone", &dg);
	assert_non_null(ks);
	bool changed = false;
	assert_int_equal(dnssec_keys_roll(ks, &p, z, (int64_t)time(NULL), &changed, &dg), 0);
	assert_int_equal(dnssec_keys_count(ks), 2);

	/* the thread counts whose parts start on each kind of name */
	size_t n;
	const db_node **v = canon_nodes(z, &n);
	assert_true(n >= DNSSEC_SIGN_PAR_MIN_NAMES);
	enum { CUT, GLUE, OCCLUDED, ENT, DNAMED, KINDS };
	unsigned first[KINDS] = {0}, want[32], nw = 0;
	want[nw++] = 4;
	for (unsigned t = 2; t <= 16; t++)
		for (unsigned i = 1; i < t; i++) {
			const db_node *x = v[i * n / t];
			int k = x->flags & DB_CUT                                   ? CUT
			        : (x->flags & DB_OCCLUDED) && x->nrrsets && x->name[0] == 2 ? GLUE
			        : x->flags & DB_OCCLUDED                            ? OCCLUDED
			        : x->flags & DB_UNDER_DNAME                         ? DNAMED
			        : !x->nrrsets                                       ? ENT
			                                                            : -1;
			if (k >= 0 && !first[k]) {
				first[k] = t;
				bool have = false;
				for (unsigned j = 0; j < nw; j++)
					have |= want[j] == t;
				if (!have)
					want[nw++] = t;
			}
		}
	for (int k = 0; k < KINDS; k++)
		assert_int_not_equal(first[k], 0);
	free(v);

	for (unsigned j = 0; j < nw; j++) {
		/* signed at the same time, so that the same signatures are made */
		int64_t now = (int64_t)time(NULL);
		char *one = signed_with(z, ks, &p, 1, now), *many = signed_with(z, ks, &p, want[j], now);
		assert_true(strlen(one) > 100000);
		size_t at = 0;
		while (one[at] && one[at] == many[at])
			at++;
		if (one[at] != many[at]) { /* the line where they part */
			while (at && one[at - 1] != '\n')
				at--;
			fail_msg("%u threads: the signed zone differs from one thread's at\n%.200s\nvs\n%.200s", want[j],
			         one + at, many + at);
		}
		free(one);
		free(many);
	}
	dnssec_keys_free(ks);
	zone_free(z);
	free(text);
	rm_tree(dir);
}

static void test_sign_parallel_nsec(void **state)
{
	(void)state;
	parallel_same(false);
}

static void test_sign_parallel_nsec3(void **state)
{
	(void)state;
	parallel_same(true);
}

/* A failure in the parts' threads fails the signing whole, cleanly (no
 * leak under ASan): an origin too long for NSEC3 owners (33 + its length >
 * 255), met by every part's chain records. */
static void test_sign_parallel_failure(void **state)
{
	(void)state;
	uint8_t origin[TERN_NAME_MAX];
	char otext[512] = "", *text = malloc(64 << 10);
	assert_non_null(text);
	size_t ol = 0;
	for (int i = 0; i < 4; i++) { /* 4 labels of 55 bytes: 225 bytes with the root */
		origin[ol++] = 55;
		memset(origin + ol, 'a' + i, 55);
		ol += 55;
		size_t tl = strlen(otext);
		memset(otext + tl, 'a' + i, 55);
		otext[tl + 55] = '.';
		otext[tl + 56] = 0;
	}
	origin[ol] = 0;
	size_t n = (size_t)snprintf(text, 64 << 10, "$ORIGIN %s\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\n"
	                                           "ns A 192.0.2.1\n", otext);
	for (unsigned i = 0; i < 1500; i++)
		n += (size_t)snprintf(text + n, (64 << 10) - n, "n%04u A 192.0.2.9\n", i);
	db_diag dg = {.fn = NULL, .flags = DB_DIAG_NO_WRITE};
	db_zone *z = zone_load_string(origin, "long.zone", text, &dg);
	assert_non_null(z);
	dnssec_policy p = DNSSEC_POLICY_DEFAULT;
	p.on = true;
	p.alg = 15;
	p.keydir = (char *)".";
	struct dnssec_keyset *ks = dnssec_keys_load(origin, &p, "long.zone", &dg);
	assert_non_null(ks);
	bool changed = false;
	assert_int_equal(dnssec_keys_roll(ks, &p, z, (int64_t)time(NULL), &changed, &dg), 0);
	p.threads = 4;
	p.nsec3 = false; /* NSEC signs */
	db_zone *s = dnssec_sign_zone(z, ks, &p, 1, &dg);
	assert_non_null(s);
	zone_free(s);
	p.nsec3 = true; /* NSEC3 cannot */
	unsigned errors = dg.errors;
	assert_null(dnssec_sign_zone(z, ks, &p, 1, &dg));
	assert_int_equal(dg.errors, errors + 1);
	dnssec_keys_free(ks);
	zone_free(z);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_nsec),
		cmocka_unit_test(test_sign_nsec3),
		cmocka_unit_test(test_sign_csk),
		cmocka_unit_test(test_sign_parallel_nsec),
		cmocka_unit_test(test_sign_parallel_nsec3),
		cmocka_unit_test(test_sign_parallel_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
