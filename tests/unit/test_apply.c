/* test_apply.c: zone_apply (db/apply.h), a new zone version from an old
 * one and a list of edits. The oracle is the loader: applying edits must
 * give exactly the zone that loading the edited text gives, while the old
 * version stays as it was and untouched nodes are shared. A random test
 * drives hundreds of edit lists against a model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/apply.h"
#include "db/journal.h"
#include "db/zone.h"
#include "tern/rr.h"

static const char base_text[] =
	"$ORIGIN t.test.\n"
	"$TTL 300\n"
	"@ SOA ns hm 1 3600 600 86400 60\n"
	"@ NS ns\n"
	"ns A 192.0.2.1\n"
	"www A 192.0.2.10\n"
	"www A 192.0.2.11\n"
	"www AAAA 2001:db8::1\n"
	"a.b.c TXT \"deep\"\n"
	"alias CNAME www\n"
	"mail MX 10 www\n";

static uint8_t origin[TERN_NAME_MAX];

static void name_of(const char *text, uint8_t out[TERN_NAME_MAX])
{
	size_t len;
	assert_int_equal(tern_name_from_text(text, strlen(text), origin, out, &len), 0);
}

static void quiet(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user, (void)file, (void)line;
	if (getenv("TEST_APPLY_VERBOSE"))
		fprintf(stderr, "%s: %s\n", error ? "error" : "warning", msg);
}

static db_zone *load(const char *text)
{
	db_diag d = {.fn = quiet};
	db_zone *z = zone_load_string(origin, "t.zone", text, &d);
	assert_non_null(z);
	return z;
}

/* ---- a canonical dump: sorted "owner ttl type rdata" lines ---- */

typedef struct dump {
	char **line;
	size_t n, cap;
} dump;

static int dump_rr(void *user, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t l)
{
	dump *d = user;
	char o[TERN_NAME_TEXT_MAX], t[24], r[4096], line[TERN_NAME_TEXT_MAX + 4096 + 64];
	assert_true(tern_name_to_text(owner, o, sizeof o) >= 0);
	for (char *p = o; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 32;
	tern_type_to_text(type, t, sizeof t);
	assert_true(tern_rdata_to_text(type, rd, l, r, sizeof r) >= 0);
	snprintf(line, sizeof line, "%s %u %s %s", o, ttl, t, r);
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->line = realloc(d->line, d->cap * sizeof *d->line);
	}
	d->line[d->n++] = strdup(line);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dump_zone(const db_zone *z)
{
	dump d = {0};
	assert_int_equal(zone_walk(z, dump_rr, &d), 0);
	qsort(d.line, d.n, sizeof *d.line, cmp_str);
	size_t len = 1;
	for (size_t i = 0; i < d.n; i++)
		len += strlen(d.line[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; i < d.n; i++) {
		strcat(s, d.line[i]);
		strcat(s, "\n");
		free(d.line[i]);
	}
	free(d.line);
	return s;
}

/* Names the zone has, with ENTs: the node set must match the loader's. */
static void assert_same_nodes(const db_zone *a, const db_zone *b)
{
	assert_int_equal(a->nnodes, b->nnodes);
	assert_int_equal(a->nrecords, b->nrecords);
	size_t slots = (size_t)1 << (32 - a->shift);
	for (size_t i = 0; i < slots; i++)
		for (const db_node *n = a->table[i]; n; n = n->hnext) {
			const db_node *m = zone_find(b, n->name);
			assert_non_null(m);
			assert_int_equal(n->nrrsets, m->nrrsets);
			assert_int_equal(n->nchildren, m->nchildren);
		}
}

/* ---- edits from text ---- */

typedef struct edits {
	db_edit e[64];
	uint8_t owner[64][TERN_NAME_MAX];
	uint8_t rdata[64][512];
	size_t n;
} edits;

static void add_edit(edits *x, db_edit_op op, const char *owner, const char *type, uint32_t ttl, const char *rd)
{
	size_t i = x->n++;
	name_of(owner, x->owner[i]);
	db_edit *e = &x->e[i];
	memset(e, 0, sizeof *e);
	e->op = op;
	e->owner = x->owner[i];
	e->ttl = ttl;
	if (type)
		assert_int_equal(tern_type_from_text(type, strlen(type), &e->type), 0);
	if (rd) {
		/* RDATA through the zone parser: a one-record zone of its own */
		char text[1024];
		bool soa = e->type == TERN_T_SOA;
		if (soa)
			snprintf(text, sizeof text, "@ 1 SOA %s\n@ NS ns\n", rd);
		else
			snprintf(text, sizeof text, "@ SOA ns hm 1 1 1 1 1\n@ NS ns\nx 1 %s %s\n", type, rd);
		db_zone *z = load(text);
		uint8_t xn[TERN_NAME_MAX];
		name_of(soa ? "@" : "x", xn);
		const db_rrset *s = node_rrset(zone_find(z, xn), e->type);
		assert_non_null(s);
		uint16_t l;
		const uint8_t *p = rrset_rdata(s->rdata, &l);
		memcpy(x->rdata[i], p, l);
		e->rdata = x->rdata[i];
		e->rdlen = l;
		zone_free(z);
	}
}

static db_zone *apply_ok(const db_zone *old, const edits *x, unsigned flags, db_apply_stats *st)
{
	db_diag d = {.fn = quiet};
	db_zone *z = zone_apply(old, x->e, x->n, flags, "test", &d, st);
	assert_non_null(z);
	assert_int_equal(d.errors, 0);
	return z;
}

static void test_small_change_shares_the_rest(void **state)
{
	(void)state;
	db_zone *old = load(base_text);
	char *before = dump_zone(old);
	edits x = {0};
	add_edit(&x, DB_DEL_RR, "@", "SOA", 0, "ns hm 1 3600 600 86400 60");
	add_edit(&x, DB_ADD_RR, "@", "SOA", 300, "ns hm 2 3600 600 86400 60");
	add_edit(&x, DB_DEL_RR, "www", "A", 0, "192.0.2.11");
	add_edit(&x, DB_ADD_RR, "www", "A", 300, "192.0.2.12");
	add_edit(&x, DB_ADD_RR, "new.x.y", "TXT", 300, "\"hello\"");
	db_apply_stats st;
	db_zone *z = apply_ok(old, &x, DB_APPLY_STRICT, &st);
	assert_false(st.rebuilt);
	assert_int_equal(z->serial, 2);
	/* the old version is as it was */
	char *again = dump_zone(old);
	assert_string_equal(before, again);
	assert_int_equal(old->serial, 1);
	/* the new one is what loading its text gives */
	db_zone *want = load("$ORIGIN t.test.\n$TTL 300\n"
	                     "@ SOA ns hm 2 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n"
	                     "www A 192.0.2.10\nwww A 192.0.2.12\nwww AAAA 2001:db8::1\n"
	                     "a.b.c TXT \"deep\"\nalias CNAME www\nmail MX 10 www\nnew.x.y TXT \"hello\"\n");
	char *got = dump_zone(z), *exp = dump_zone(want);
	assert_string_equal(got, exp);
	assert_same_nodes(z, want);
	/* untouched names are the same nodes */
	uint8_t n[TERN_NAME_MAX];
	name_of("mail", n);
	assert_ptr_equal(zone_find(old, n), zone_find(z, n));
	name_of("x.y", n); /* a new empty non-terminal */
	assert_non_null(zone_find(z, n));
	assert_int_equal(zone_find(z, n)->nrrsets, 0);
	assert_null(zone_find(old, n));
	/* the old one goes first; the new one lives on */
	zone_unref(old);
	char *still = dump_zone(z);
	assert_string_equal(still, exp);
	zone_unref(z);
	zone_unref(want);
	free(before), free(again), free(got), free(exp), free(still);
}

static void test_removing_a_name_removes_empty_parents(void **state)
{
	(void)state;
	db_zone *old = load(base_text);
	edits x = {0};
	add_edit(&x, DB_DEL_RRSET, "a.b.c", "TXT", 0, NULL);
	db_zone *z = apply_ok(old, &x, 0, NULL);
	uint8_t n[TERN_NAME_MAX];
	for (const char *gone = "a.b.c\0b.c\0c\0"; *gone; gone += strlen(gone) + 1) {
		name_of(gone, n);
		assert_null(zone_find(z, n));
		assert_non_null(zone_find(old, n));
	}
	assert_int_equal(z->nnodes, old->nnodes - 3);
	/* a name with children stays, empty */
	edits y = {0};
	add_edit(&y, DB_ADD_RR, "q.www", "TXT", 60, "\"child\"");
	add_edit(&y, DB_DEL_NAME, "www", NULL, 0, NULL);
	db_zone *z2 = apply_ok(z, &y, 0, NULL);
	name_of("www", n);
	assert_non_null(zone_find(z2, n));
	assert_int_equal(zone_find(z2, n)->nrrsets, 0);
	assert_int_equal(zone_find(z2, n)->nchildren, 1);
	zone_unref(z);
	zone_unref(old);
	zone_unref(z2);
}

static void test_strict_errors(void **state)
{
	(void)state;
	db_zone *old = load(base_text);
	struct {
		db_edit_op op;
		const char *owner, *type, *rd;
	} bad[] = {
		{DB_DEL_RR, "www", "A", "192.0.2.99"},        /* not in the zone */
		{DB_ADD_RR, "www", "CNAME", "ns"},           /* beside other data */
		{DB_ADD_RR, "alias", "TXT", "\"x\""},        /* beside a CNAME */
		{DB_DEL_RRSET, "@", "SOA", NULL},            /* the apex without SOA */
		{DB_DEL_RRSET, "@", "NS", NULL},             /* ... without NS */
		{DB_ADD_RR, "www", "SOA", "ns hm 1 1 1 1 1"}, /* SOA below the apex */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		edits x = {0};
		add_edit(&x, bad[i].op, bad[i].owner, bad[i].type, 60, bad[i].rd);
		db_diag d = {.fn = quiet};
		db_zone *z = zone_apply(old, x.e, x.n, DB_APPLY_STRICT, "test", &d, NULL);
		assert_null(z);
		assert_true(d.errors > 0);
	}
	/* without STRICT (UPDATE), the first three are no-ops */
	for (size_t i = 0; i < 3; i++) {
		edits x = {0};
		add_edit(&x, bad[i].op, bad[i].owner, bad[i].type, 60, bad[i].rd);
		db_zone *z = apply_ok(old, &x, 0, NULL);
		char *a = dump_zone(z), *b = dump_zone(old);
		assert_string_equal(a, b);
		free(a), free(b);
		zone_unref(z);
	}
	/* a name outside the zone */
	edits x = {0};
	add_edit(&x, DB_ADD_RR, "other.example.", "A", 60, "192.0.2.1");
	db_diag d = {.fn = quiet};
	assert_null(zone_apply(old, x.e, x.n, 0, "test", &d, NULL));
	zone_unref(old);
}

static void test_structural_changes_rebuild(void **state)
{
	(void)state;
	db_zone *old = load(base_text);
	edits x = {0};
	add_edit(&x, DB_ADD_RR, "sub", "NS", 60, "ns.sub");
	add_edit(&x, DB_ADD_RR, "ns.sub", "A", 60, "192.0.2.77");
	add_edit(&x, DB_ADD_RR, "*.w", "A", 60, "192.0.2.78");
	db_apply_stats st;
	db_zone *z = apply_ok(old, &x, 0, &st);
	assert_true(st.rebuilt);
	uint8_t n[TERN_NAME_MAX];
	name_of("sub", n);
	assert_true(zone_find(z, n)->flags & DB_CUT);
	name_of("w", n);
	assert_true(zone_find(z, n)->flags & DB_HAS_WILD);
	assert_string_equal(z->file, old->file);
	zone_unref(old);
	zone_unref(z);
}

/* A difference's RRs, one text line each, sorted: the del run's and the
 * add run's, so two differences compare whatever their order. */
static char *diff_text(const db_diff *d)
{
	dump out = {0};
	for (int side = 0; side < 2; side++) {
		const uint8_t *p = side ? d->add : d->del, *end = p + (side ? d->add_len : d->del_len);
		while (p < end) {
			size_t ol = tern_name_len(p);
			uint16_t type = tern_get_u16(p + ol), rdlen = tern_get_u16(p + ol + 8);
			uint32_t ttl = tern_get_u32(p + ol + 4);
			char line[8];
			snprintf(line, sizeof line, "%c", side ? '+' : '-');
			dump one = {0};
			dump_rr(&one, p, type, ttl, p + ol + 10, rdlen);
			size_t need = strlen(one.line[0]) + 3;
			char *l = malloc(need);
			snprintf(l, need, "%s %s", line, one.line[0]);
			free(one.line[0]);
			free(one.line);
			if (out.n == out.cap) {
				out.cap = out.cap ? 2 * out.cap : 64;
				out.line = realloc(out.line, out.cap * sizeof *out.line);
			}
			out.line[out.n++] = l;
			p += ol + 10 + rdlen;
		}
	}
	qsort(out.line, out.n, sizeof *out.line, cmp_str);
	size_t len = 1;
	for (size_t i = 0; i < out.n; i++)
		len += strlen(out.line[i]) + 1;
	char *t = calloc(1, len);
	for (size_t i = 0; i < out.n; i++) {
		strcat(t, out.line[i]);
		strcat(t, "\n");
		free(out.line[i]);
	}
	free(out.line);
	return t;
}

/* ---- random edit lists against a model ---- */

#define NAMES 12
#define ADDRS 6

typedef struct model {
	bool a[NAMES][ADDRS];
	bool txt[NAMES];
	uint32_t serial;
} model;

static const char *mname(unsigned i)
{
	static const char *names[NAMES] = {"h0", "h1", "h2", "x.h3", "y.x.h3", "h4.deep.er", "z.h4.deep.er",
	                                   "h5", "h6.h5", "h7", "q.h7", "r.q.h7"};
	return names[i];
}

static char *model_text(const model *m)
{
	char *s = calloc(1, 65536);
	size_t len = (size_t)sprintf(s, "$ORIGIN t.test.\n@ 300 SOA ns hm %u 3600 600 86400 60\n@ 300 NS ns\n"
	                                "ns 300 A 192.0.2.1\n", m->serial);
	for (unsigned i = 0; i < NAMES; i++) {
		for (unsigned j = 0; j < ADDRS; j++)
			if (m->a[i][j])
				len += (size_t)sprintf(s + len, "%s 120 A 198.51.100.%u\n", mname(i), j + 1);
		if (m->txt[i])
			len += (size_t)sprintf(s + len, "%s 120 TXT \"t%u\"\n", mname(i), i);
	}
	return s;
}

static void test_random_edits_match_the_loader(void **state)
{
	(void)state;
	unsigned seed = 12345;
	model m = {.serial = 1};
	char *t = model_text(&m);
	db_zone *cur = load(t);
	free(t);
	db_zone *first = zone_ref(cur); /* kept to the end: freed last */
	unsigned fast = 0, rebuilt = 0;
	for (int round = 0; round < 300; round++) {
		edits x = {0};
		char rd[64];
		snprintf(rd, sizeof rd, "ns hm %u 3600 600 86400 60", m.serial);
		add_edit(&x, DB_DEL_RR, "@", "SOA", 0, rd);
		m.serial++;
		snprintf(rd, sizeof rd, "ns hm %u 3600 600 86400 60", m.serial);
		add_edit(&x, DB_ADD_RR, "@", "SOA", 300, rd);
		unsigned k = 1 + (seed = seed * 1103515245 + 12345) % 8;
		for (unsigned e = 0; e < k; e++) {
			seed = seed * 1103515245 + 12345;
			unsigned i = (seed >> 8) % NAMES, j = (seed >> 16) % ADDRS, what = (seed >> 24) % 5;
			snprintf(rd, sizeof rd, "198.51.100.%u", j + 1);
			if (what == 0 || what == 1) {
				add_edit(&x, DB_ADD_RR, mname(i), "A", 120, rd);
				m.a[i][j] = true;
			} else if (what == 2) {
				add_edit(&x, DB_DEL_RR, mname(i), "A", 0, rd);
				m.a[i][j] = false;
			} else if (what == 3) {
				char tx[16];
				snprintf(tx, sizeof tx, "\"t%u\"", i);
				add_edit(&x, m.txt[i] ? DB_DEL_RR : DB_ADD_RR, mname(i), "TXT", 120, tx);
				m.txt[i] = !m.txt[i];
			} else {
				add_edit(&x, DB_DEL_NAME, mname(i), NULL, 0, NULL);
				memset(m.a[i], 0, sizeof m.a[i]);
				m.txt[i] = false;
			}
		}
		db_apply_stats st;
		db_zone *next = apply_ok(cur, &x, DB_APPLY_DIFF, &st);
		st.rebuilt ? rebuilt++ : fast++;
		/* the difference from the edits is the one a whole-zone
		 * comparison finds (db_diff_make) */
		assert_non_null(st.diff);
		db_diff *want_diff = db_diff_make(cur, next);
		char *da = diff_text(st.diff), *db = diff_text(want_diff);
		assert_string_equal(da, db);
		assert_int_equal(st.diff->from, cur->serial);
		assert_int_equal(st.diff->to, next->serial);
		free(da), free(db);
		db_diff_unref(st.diff);
		db_diff_unref(want_diff);
		t = model_text(&m);
		db_zone *want = load(t);
		free(t);
		char *a = dump_zone(next), *b = dump_zone(want);
		assert_string_equal(a, b);
		assert_same_nodes(next, want);
		free(a), free(b);
		zone_unref(want);
		/* versions go in the order they would: the old one first */
		zone_unref(cur);
		cur = next;
	}
	assert_true(fast > 200);
	assert_true(rebuilt > 0); /* compaction happened */
	zone_unref(cur);
	zone_unref(first);
}

int main(void)
{
	size_t len;
	if (tern_name_from_text("t.test.", 7, NULL, origin, &len))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_change_shares_the_rest),
		cmocka_unit_test(test_removing_a_name_removes_empty_parents),
		cmocka_unit_test(test_strict_errors),
		cmocka_unit_test(test_structural_changes_rebuild),
		cmocka_unit_test(test_random_edits_match_the_loader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
