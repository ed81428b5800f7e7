/* test_answer.c: unit tests of the authoritative lookup (db/answer.h) over
 * zones loaded from strings (db/zone.h): each test builds a query with
 * tern_msgw, parses it with tern_query_parse, lets db_answer compose the
 * response and reads it back with tern_msg_iter, one text line per RR.
 * Also the zone checks that reach the db_diag callback, with file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/answer.h"
#include "db/zone.h"
#include "msgcheck.h"
#include "tern/msg.h"

/* ---- zones ---- */

static const char zone_com[] =
	"$ORIGIN example.com.\n"
	"$TTL 3600\n"
	"@        SOA   ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@        NS    ns1\n"
	"@        NS    ns2.example.net.\n"
	"ns1      A     192.0.2.53\n"
	"www      A     192.0.2.1\n"
	"www      AAAA  2001:db8::1\n"
	"alias    CNAME www\n"
	"chain1   CNAME chain2\n"
	"chain2   CNAME www\n"
	"loop1    CNAME loop2\n"
	"loop2    CNAME loop1\n"
	"a.b.c    A     192.0.2.2\n" /* b.c and c: empty non-terminals */
	"mail     MX    10 mx\n"
	"mx       A     192.0.2.25\n"
	"sub      NS    ns.sub\n"
	"sub      NS    ns.elsewhere.org.\n"
	"sub      DS    12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
	"ns.sub   A     192.0.2.99\n"
	"*.wild   A     192.0.2.200\n"
	"*.wild   TXT   \"wild\"\n"
	"x.blocked.wild A 192.0.2.201\n" /* blocked.wild: an ENT below the wildcard's parent */
	"dn       DNAME example.net.\n"
	"dnout    DNAME example.org.\n"
	"long     DNAME " /* 2 x 63 + 1 = 129 bytes: a 128-byte prefix overflows */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.\n"
	"out      CNAME www.example.org.\n"
	"tobig    CNAME big\n"
	"big      TXT   \"record-00-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-01-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-02-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-04-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-05-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-06-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-07-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-08-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big      TXT   \"record-09-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n";

/* SOA TTL below MINIMUM: negative answers use the TTL here. */
static const char zone_net[] =
	"$ORIGIN example.net.\n"
	"@        60 SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 300\n"
	"@        3600 NS ns1.example.com.\n"
	"x        3600 A 198.51.100.1\n"
	"ns2      3600 A 198.51.100.53\n";

/* The child of example.com's delegation, for a set that serves both sides. */
static const char zone_sub[] =
	"$ORIGIN sub.example.com.\n"
	"$TTL 600\n"
	"@        SOA   ns hostmaster 1 7200 3600 1209600 120\n"
	"@        NS    ns\n"
	"@        A     192.0.2.100\n"
	"ns       A     192.0.2.99\n";

static void diag_fail(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	fprintf(stderr, "%s:%u: %s: %s\n", file, line, error ? "error" : "warning", msg);
	if (error)
		fail_msg("unexpected zone error");
}

static db_zone *load(const char *origin, const char *text)
{
	uint8_t o[TERN_NAME_MAX];
	size_t olen;
	assert_int_equal(tern_name_from_text(origin, strlen(origin), NULL, o, &olen), 0);
	db_diag d = {.fn = diag_fail};
	db_zone *z = zone_load_string(o, origin, text, &d);
	assert_non_null(z);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 0);
	return z;
}

static db_set *make_set(const char *const *origins, const char *const *texts, size_t n)
{
	db_zone **zones = calloc(n, sizeof *zones);
	assert_non_null(zones);
	for (size_t i = 0; i < n; i++)
		zones[i] = load(origins[i], texts[i]);
	db_set *s = db_set_new(zones, n);
	assert_non_null(s);
	return s;
}

struct fixture {
	db_set *set;  /* example.com and example.net */
	db_set *both; /* example.com and its child sub.example.com */
};

static int setup(void **state)
{
	static const char *const o1[] = {"example.com.", "example.net."}, *const t1[] = {zone_com, zone_net};
	static const char *const o2[] = {"example.com.", "sub.example.com."}, *const t2[] = {zone_com, zone_sub};
	struct fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->set = make_set(o1, t1, 2);
	f->both = make_set(o2, t2, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	db_set_free(f->set);
	db_set_free(f->both);
	free(f);
	return 0;
}

/* ---- one query, the response as text ---- */

#define MAXRR 64

struct reply {
	db_result res;
	unsigned rcode;
	bool aa, tc;
	unsigned n[4];              /* records per section */
	size_t len;                 /* of the response */
	char rr[4][MAXRR][512];     /* "owner TTL IN TYPE RDATA", single spaces */
};

/* Asks name/type of set over TCP (65535 bytes) or UDP with room for
 * udp_size bytes (no EDNS: the server's 512). */
static void ask(const db_set *set, const char *name, uint16_t qtype, bool tcp, size_t udp_size, struct reply *r)
{
	uint8_t qname[TERN_NAME_MAX], qbuf[512];
	size_t qlen;
	assert_int_equal(tern_name_from_text(name, strlen(name), NULL, qname, &qlen), 0);
	tern_msgw qw;
	tern_msgw_init(&qw, qbuf, sizeof qbuf, sizeof qbuf, 0x4242, 0);
	assert_int_equal(tern_msgw_question(&qw, qname, qtype, TERN_C_IN), 0);
	int n = tern_msgw_finish(&qw, 0);
	assert_true(n > 0);
	tern_query q;
	assert_int_equal(tern_query_parse(qbuf, (size_t)n, &q), TERN_Q_OK);

	static uint8_t buf[TERN_MSG_MAX];
	size_t size = tcp ? TERN_MSG_MAX : udp_size;
	tern_msgw m;
	tern_msgw_init(&m, buf, size, size, q.hdr.id, TERN_F_QR);
	assert_int_equal(tern_msgw_question(&m, q.qname, q.qtype, q.qclass), 0);
	memset(r, 0, sizeof *r);
	db_answer(set, &q, &m, tcp, &r->res);
	if (r->res.aa)
		tern_put_u16(buf + 2, tern_get_u16(buf + 2) | TERN_F_AA);
	n = tern_msgw_finish(&m, r->res.rcode);
	assert_true(n > 0);
	assert_true((size_t)n <= size);

	/* every compression pointer goes back to a label written earlier,
	 * below 0x4000 (msgcheck.h) */
	mc_msg mm;
	mc_walk(buf, (size_t)n, &mm);
	free(mm.rr);
	r->len = (size_t)n;

	tern_msg_iter it;
	tern_rr rr;
	assert_int_equal(tern_msg_iter_init(&it, buf, (size_t)n), 0);
	r->rcode = TERN_RCODE(it.hdr.flags);
	r->aa = it.hdr.flags & TERN_F_AA;
	r->tc = it.hdr.flags & TERN_F_TC;
	int rc;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION)
			continue;
		unsigned s = rr.section, i = r->n[s]++;
		if (i >= MAXRR)
			continue;
		assert_true(tern_rr_to_text(buf, (size_t)n, &rr, r->rr[s][i], sizeof r->rr[s][i]) > 0);
		for (char *p = r->rr[s][i]; *p; p++)
			if (*p == '\t')
				*p = ' ';
	}
	assert_int_equal(rc, 0);
	for (unsigned s = 1; s < 4; s++)
		assert_int_equal(r->n[s], it.hdr.count[s]);
}

/* The checks below report the caller's line. */
#define expect_at(r, s, i, line) expect_at_(r, s, i, line, __FILE__, __LINE__)
#define expect_has(r, s, line) expect_has_(r, s, line, __FILE__, __LINE__)
#define expect_counts(r, an, ns, ar) expect_counts_(r, an, ns, ar, __FILE__, __LINE__)

/* The line at position i of section s. */
static void expect_at_(const struct reply *r, unsigned s, unsigned i, const char *line, const char *file, int at)
{
	if (i >= r->n[s]) {
		print_error("section %u has %u records; wanted \"%s\" at %u\n", s, r->n[s], line, i);
		_fail(file, at);
	}
	if (strcmp(r->rr[s][i], line) != 0) {
		print_error("section %u record %u:\n  got  \"%s\"\n  want \"%s\"\n", s, i, r->rr[s][i], line);
		_fail(file, at);
	}
}

/* The line somewhere in section s. */
static void expect_has_(const struct reply *r, unsigned s, const char *line, const char *file, int at)
{
	for (unsigned i = 0; i < r->n[s] && i < MAXRR; i++)
		if (strcmp(r->rr[s][i], line) == 0)
			return;
	print_error("section %u lacks \"%s\"\n", s, line);
	_fail(file, at);
}

static void expect_counts_(const struct reply *r, unsigned an, unsigned ns, unsigned ar, const char *file, int at)
{
	if (r->n[TERN_S_ANSWER] != an || r->n[TERN_S_AUTHORITY] != ns || r->n[TERN_S_ADDITIONAL] != ar) {
		print_error("counts %u/%u/%u, want %u/%u/%u\n", r->n[TERN_S_ANSWER], r->n[TERN_S_AUTHORITY],
		            r->n[TERN_S_ADDITIONAL], an, ns, ar);
		for (unsigned sec = 1; sec < 4; sec++)
			for (unsigned i = 0; i < r->n[sec] && i < MAXRR; i++)
				print_error("  %u: %s\n", sec, r->rr[sec][i]);
		_fail(file, at);
	}
}

#define AN TERN_S_ANSWER
#define NS TERN_S_AUTHORITY
#define AR TERN_S_ADDITIONAL
#define SOA_COM "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"
#define SOA_NET "example.net. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 300"

static struct reply R; /* one reply at a time; too big for the stack under ASan */

/* ---- positive answers ---- */

static void test_exact_match(void **state)
{
	struct fixture *f = *state;
	ask(f->set, "www.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	assert_false(R.tc);
	assert_false(R.res.referral);
	assert_false(R.res.no_zone);
	assert_false(R.res.has_next);
	expect_counts(&R, 1, 0, 0); /* minimal responses: no NS in authority */
	expect_at(&R, AN, 0, "www.example.com. 3600 IN A 192.0.2.1");

	/* names match without regard to case; the owner is written as asked */
	ask(f->set, "WWW.Example.COM.", TERN_T_AAAA, false, 512, &R);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "WWW.Example.COM. 3600 IN AAAA 2001:db8::1");

	/* MX: the exchange's address in additional */
	ask(f->set, "mail.example.com.", TERN_T_MX, false, 512, &R);
	expect_counts(&R, 1, 0, 1);
	expect_at(&R, AN, 0, "mail.example.com. 3600 IN MX 10 mx.example.com.");
	expect_at(&R, AR, 0, "mx.example.com. 3600 IN A 192.0.2.25");

	/* NS at the apex: addresses from this zone and from another served one */
	ask(f->set, "example.com.", TERN_T_NS, false, 512, &R);
	assert_true(R.aa);
	assert_false(R.res.referral);
	expect_counts(&R, 2, 0, 2);
	expect_has(&R, AN, "example.com. 3600 IN NS ns1.example.com.");
	expect_has(&R, AN, "example.com. 3600 IN NS ns2.example.net.");
	expect_has(&R, AR, "ns1.example.com. 3600 IN A 192.0.2.53");
	expect_has(&R, AR, "ns2.example.net. 3600 IN A 198.51.100.53");
}

static void test_no_zone(void **state)
{
	struct fixture *f = *state;
	ask(f->set, "www.example.org.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_REFUSED);
	assert_true(R.res.no_zone);
	assert_false(R.aa);
	expect_counts(&R, 0, 0, 0);
}

static void test_cname_chain(void **state)
{
	struct fixture *f = *state;
	ask(f->set, "chain1.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	expect_counts(&R, 3, 0, 0);
	expect_at(&R, AN, 0, "chain1.example.com. 3600 IN CNAME chain2.example.com.");
	expect_at(&R, AN, 1, "chain2.example.com. 3600 IN CNAME www.example.com.");
	expect_at(&R, AN, 2, "www.example.com. 3600 IN A 192.0.2.1");

	/* asking for the CNAME itself does not follow it */
	ask(f->set, "alias.example.com.", TERN_T_CNAME, false, 512, &R);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "alias.example.com. 3600 IN CNAME www.example.com.");

	/* the target has no data of the type: NODATA for it, with the SOA */
	ask(f->set, "alias.example.com.", TERN_T_MX, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 1, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);

	/* a loop stops after each link once */
	ask(f->set, "loop1.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 2, 0, 0);
	expect_at(&R, AN, 0, "loop1.example.com. 3600 IN CNAME loop2.example.com.");
	expect_at(&R, AN, 1, "loop2.example.com. 3600 IN CNAME loop1.example.com.");
}

/* ---- negative answers (RFC 2308) ---- */

static void test_nodata(void **state)
{
	struct fixture *f = *state;
	/* at an empty non-terminal: the name exists, without data */
	ask(f->set, "b.c.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);
	ask(f->set, "c.example.com.", TERN_T_TXT, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 0, 1, 0);

	/* at a name with other types */
	ask(f->set, "www.example.com.", TERN_T_TXT, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);
}

static void test_nxdomain(void **state)
{
	struct fixture *f = *state;
	/* SOA TTL 3600, MINIMUM 300: 300 */
	ask(f->set, "nonexistent.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	assert_true(R.aa);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);
	/* below an existing name too */
	ask(f->set, "deep.below.www.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_at(&R, NS, 0, SOA_COM);
	/* SOA TTL 60, MINIMUM 300: 60 */
	ask(f->set, "nonexistent.example.net.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_NET);
}

/* ---- delegations ---- */

static void test_referral(void **state)
{
	struct fixture *f = *state;
	ask(f->set, "www.sub.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_false(R.aa); /* RFC 1034 4.3.2 step 3b */
	assert_true(R.res.referral);
	expect_counts(&R, 0, 2, 1);
	expect_has(&R, NS, "sub.example.com. 3600 IN NS ns.sub.example.com.");
	expect_has(&R, NS, "sub.example.com. 3600 IN NS ns.elsewhere.org.");
	/* glue for the in-domain server only */
	expect_at(&R, AR, 0, "ns.sub.example.com. 3600 IN A 192.0.2.99");

	/* at the cut itself, and for the glue's own name */
	ask(f->set, "sub.example.com.", TERN_T_A, false, 512, &R);
	assert_false(R.aa);
	assert_true(R.res.referral);
	expect_counts(&R, 0, 2, 1);
	ask(f->set, "ns.sub.example.com.", TERN_T_A, false, 512, &R);
	assert_false(R.aa);
	assert_true(R.res.referral);
	expect_counts(&R, 0, 2, 1);

	/* NS at the cut: the parent is not authoritative for it */
	ask(f->set, "sub.example.com.", TERN_T_NS, false, 512, &R);
	assert_false(R.aa);
	expect_counts(&R, 0, 2, 1);
}

static void test_ds_at_cut(void **state)
{
	struct fixture *f = *state;
	/* DS belongs to the parent side (RFC 4035 3.1.4.1) */
	ask(f->set, "sub.example.com.", TERN_T_DS, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	assert_false(R.res.referral);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0,
	          "sub.example.com. 3600 IN DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567 89ABCDEF");

	/* serving both sides: DS from the parent, the rest from the child */
	ask(f->both, "sub.example.com.", TERN_T_DS, false, 512, &R);
	assert_true(R.aa);
	expect_counts(&R, 1, 0, 0);
	assert_memory_equal(R.res.apex, "\7example\3com", 13);
	ask(f->both, "sub.example.com.", TERN_T_A, false, 512, &R);
	assert_true(R.aa);
	assert_false(R.res.referral);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "sub.example.com. 600 IN A 192.0.2.100");
	ask(f->both, "nothing.sub.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_at(&R, NS, 0, "sub.example.com. 120 IN SOA ns.sub.example.com. hostmaster.sub.example.com. 1 7200 3600 1209600 120");
}

/* ---- wildcards (RFC 4592) ---- */

static void test_wildcard(void **state)
{
	struct fixture *f = *state;
	ask(f->set, "anything.wild.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "anything.wild.example.com. 3600 IN A 192.0.2.200"); /* owner: the query name */
	assert_true(R.res.wildcard); /* rate limiting keys wildcard answers by zone */
	assert_false(R.res.referral);
	ask(f->set, "more.labels.wild.example.com.", TERN_T_TXT, false, 512, &R);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "more.labels.wild.example.com. 3600 IN TXT \"wild\"");
	/* the wildcard without the type: NODATA */
	ask(f->set, "anything.wild.example.com.", TERN_T_MX, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);
	/* the wildcard's own name is an ordinary match */
	ask(f->set, "*.wild.example.com.", TERN_T_A, false, 512, &R);
	expect_at(&R, AN, 0, "*.wild.example.com. 3600 IN A 192.0.2.200");
	assert_false(R.res.wildcard);
	/* the parent of the wildcard exists (an ENT): NODATA, not synthesis */
	ask(f->set, "wild.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 0, 1, 0);
}

static void test_ent_blocks_wildcard(void **state)
{
	struct fixture *f = *state;
	/* blocked.wild exists as an empty non-terminal: no synthesis for it */
	ask(f->set, "blocked.wild.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);
	/* nor below it: its closest encloser has no '*' child */
	ask(f->set, "other.blocked.wild.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, SOA_COM);
	/* the real name below it still answers */
	ask(f->set, "x.blocked.wild.example.com.", TERN_T_A, false, 512, &R);
	expect_at(&R, AN, 0, "x.blocked.wild.example.com. 3600 IN A 192.0.2.201");
}

/* ---- DNAME (RFC 6672) ---- */

static void test_dname(void **state)
{
	struct fixture *f = *state;
	/* synthesis, followed into another served zone */
	ask(f->set, "x.dn.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	assert_false(R.res.has_next);
	expect_counts(&R, 3, 0, 0);
	expect_at(&R, AN, 0, "dn.example.com. 3600 IN DNAME example.net.");
	expect_at(&R, AN, 1, "x.dn.example.com. 3600 IN CNAME x.example.net.");
	expect_at(&R, AN, 2, "x.example.net. 3600 IN A 198.51.100.1");
	/* to a name that does not exist there: NXDOMAIN with that zone's SOA */
	ask(f->set, "y.dn.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_counts(&R, 2, 1, 0);
	expect_at(&R, NS, 0, SOA_NET);
	/* qtype CNAME: the synthesized CNAME is the answer */
	ask(f->set, "x.dn.example.com.", TERN_T_CNAME, false, 512, &R);
	expect_counts(&R, 2, 0, 0);
	/* the DNAME's owner is not redirected */
	ask(f->set, "dn.example.com.", TERN_T_DNAME, false, 512, &R);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "dn.example.com. 3600 IN DNAME example.net.");
	ask(f->set, "dn.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 0, 1, 0);
}

static void test_dname_yxdomain(void **state)
{
	struct fixture *f = *state;
	/* 128 bytes of prefix + a 129-byte target: longer than 255 */
	ask(f->set,
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
	    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.long.example.com.",
	    TERN_T_A, false, 4096, &R);
	assert_int_equal(R.rcode, TERN_R_YXDOMAIN); /* RFC 6672 2.2 */
	assert_true(R.aa);
	expect_counts(&R, 1, 0, 0); /* the DNAME, no CNAME */
	assert_non_null(strstr(R.rr[AN][0], "long.example.com. 3600 IN DNAME aaaa"));
	/* one label less fits */
	ask(f->set, "ccc.long.example.com.", TERN_T_A, false, 4096, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.res.has_next);
	expect_counts(&R, 2, 0, 0);
}

/* ---- chains that leave the served data ---- */

static void test_chain_leaves(void **state)
{
	struct fixture *f = *state;
	static const uint8_t www_org[] = "\3www\7example\3org";
	ask(f->set, "out.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.aa);
	assert_true(R.res.has_next);
	assert_memory_equal(R.res.next, www_org, sizeof www_org);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "out.example.com. 3600 IN CNAME www.example.org.");

	/* through a DNAME */
	static const uint8_t q_org[] = "\1q\7example\3org";
	ask(f->set, "q.dnout.example.com.", TERN_T_AAAA, false, 512, &R);
	assert_true(R.res.has_next);
	assert_memory_equal(R.res.next, q_org, sizeof q_org);
	expect_counts(&R, 2, 0, 0);
	expect_at(&R, AN, 1, "q.dnout.example.com. 3600 IN CNAME q.example.org.");

	/* a chain that ends inside does not say so */
	ask(f->set, "alias.example.com.", TERN_T_A, false, 512, &R);
	assert_false(R.res.has_next);
}

/* ---- ANY (RFC 8482) and truncation ---- */

static void test_any(void **state)
{
	struct fixture *f = *state;
	/* UDP: one RRset, the lowest type number */
	ask(f->set, "www.example.com.", TERN_T_ANY, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "www.example.com. 3600 IN A 192.0.2.1");
	/* TCP: all of them */
	ask(f->set, "www.example.com.", TERN_T_ANY, true, 0, &R);
	expect_counts(&R, 2, 0, 0);
	expect_at(&R, AN, 0, "www.example.com. 3600 IN A 192.0.2.1");
	expect_at(&R, AN, 1, "www.example.com. 3600 IN AAAA 2001:db8::1");
	ask(f->set, "example.com.", TERN_T_ANY, true, 0, &R);
	expect_counts(&R, 3, 0, 2); /* NS x2, SOA; addresses of the servers */
	ask(f->set, "example.com.", TERN_T_ANY, false, 512, &R);
	expect_counts(&R, 2, 0, 2); /* NS (2) before SOA (6) */
	/* ANY at an empty non-terminal: NODATA */
	ask(f->set, "b.c.example.com.", TERN_T_ANY, true, 0, &R);
	expect_counts(&R, 0, 1, 0);
}

static void test_truncation(void **state)
{
	struct fixture *f = *state;
	/* 10 TXT records of ~60 bytes do not fit in 512: none of them, TC */
	ask(f->set, "big.example.com.", TERN_T_TXT, false, 512, &R);
	assert_true(R.tc);
	expect_counts(&R, 0, 0, 0);
	/* they fit over TCP and with a bigger UDP size */
	ask(f->set, "big.example.com.", TERN_T_TXT, true, 0, &R);
	assert_false(R.tc);
	expect_counts(&R, 10, 0, 0);
	ask(f->set, "big.example.com.", TERN_T_TXT, false, 1232, &R);
	assert_false(R.tc);
	expect_counts(&R, 10, 0, 0);
	/* the CNAME fits, its target's RRset does not: the CNAME alone, TC */
	ask(f->set, "tobig.example.com.", TERN_T_TXT, false, 512, &R);
	assert_true(R.tc);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "tobig.example.com. 3600 IN CNAME big.example.com.");
	/* a size that holds part of the RRset still gets none of it */
	for (size_t size = 60; size < 700; size += 37) {
		ask(f->set, "big.example.com.", TERN_T_TXT, false, size, &R);
		assert_true(R.n[AN] == 0 || R.n[AN] == 10);
		assert_int_equal(R.tc, R.n[AN] == 0);
	}
	/* additional data that does not fit is left out without TC: 56 bytes
	 * hold the header (12), the question (22) and the MX (19), not the A */
	ask(f->set, "mail.example.com.", TERN_T_MX, false, 56, &R);
	assert_false(R.tc);
	expect_counts(&R, 1, 0, 0);
}


/* ---- the query path's hashes and names ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

/* Bytes around the letters' edges ('@' '[' '`' '{'), letters of both cases,
 * bytes >= 0x80 (0xc1 and 0xe1 differ only in bit 5 and are no letters). */
static uint8_t rand_byte(void)
{
	static const uint8_t edge[] = {'@', 'A', 'Z', '[', '`', 'a', 'z', '{', 0xc1, 0xe1, 0xda, 0xfa, '0', '-', 0};
	return rnd(3) ? edge[rnd(sizeof edge)] : (uint8_t)rnd(256);
}

/* A random valid name: 0..127 labels of 1..63 bytes, at most 255 bytes;
 * often exactly 255. */
static size_t rand_wire_name(uint8_t *out)
{
	size_t n = 0;
	unsigned shape = rnd(4);
	for (;;) {
		size_t room = TERN_NAME_MAX - 1 - n; /* bytes left before the root */
		if (room < 2 || (shape == 0 && rnd(4) == 0))
			break;
		size_t l = shape == 1 ? 63 : shape == 2 ? 1 : 1 + rnd(63);
		if (l + 1 > room)
			l = room - 1; /* fill to exactly 255 */
		out[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[n++] = rand_byte();
	}
	out[n++] = 0;
	return n;
}

static void flip_case(uint8_t *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	for (size_t i = 0; i < len;) {
		uint8_t l = dst[i++];
		for (size_t e = i + l; i < e; i++) {
			uint8_t c = dst[i];
			if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && rnd(2))
				dst[i] = c ^ 0x20;
		}
	}
}

/* db_qname's suffix hashes are db_name_hash of each suffix (the hash the
 * zones and the zone set were built with), whatever the case; lengths and
 * offsets match the name. */
static void test_qname_hashes(void **state)
{
	(void)state;
	unsigned full = 0, many = 0;
	for (unsigned iter = 0; iter < 20000; iter++) {
		uint8_t name[TERN_NAME_MAX], other[TERN_NAME_MAX], low[TERN_NAME_MAX];
		size_t len = rand_wire_name(name);
		assert_int_equal(tern_name_len(name), len);
		full += len == TERN_NAME_MAX;
		db_qname qn;
		db_qname_init(&qn, name);
		assert_ptr_equal(qn.name, name);
		assert_int_equal(qn.labels, tern_name_labels(name));
		many += qn.labels > 100;
		const uint8_t *p = name;
		for (unsigned i = 0; i <= qn.labels; i++) {
			assert_ptr_equal(db_qname_suffix(&qn, i), p);
			assert_int_equal(db_qname_len(&qn, i), tern_name_len(p));
			if (qn.hash[i] != db_name_hash(p))
				fail_msg("name %u suffix %u: qname hash %08x, db_name_hash %08x", iter, i, qn.hash[i],
				         db_name_hash(p));
			p = tern_name_parent(p);
		}
		assert_int_equal(qn.hash[qn.labels], DB_HASH_SEED);
		/* names equal but for case hash alike, suffix by suffix */
		flip_case(other, name, len);
		assert_true(tern_name_eq(name, other));
		db_qname qo;
		db_qname_init(&qo, other);
		assert_memory_equal(qo.hash, qn.hash, (qn.labels + 1) * sizeof qn.hash[0]);
		assert_true(db_name_eq_len(name, other, len));
		tern_name_lower(low, name);
		assert_int_equal(db_name_hash(low), qn.hash[0]);
		/* one byte changed (not a letter's case): another name */
		if (len > 1) {
			size_t at = 1 + rnd((uint32_t)len - 1);
			memcpy(other, name, len);
			bool is_len = false;
			for (size_t i = 0; i < len; i += 1 + name[i])
				is_len |= i == at;
			if (!is_len && name[at] != 0xc1 - 0x20) {
				uint8_t c = name[at];
				other[at] = (uint8_t)(c == 'q' ? 'r' : c == 'Q' ? 'r' : 'q');
				if (!tern_name_eq(name, other))
					assert_false(db_name_eq_len(name, other, len));
			}
		}
	}
	assert_true(full > 1000);
	assert_true(many > 100);
}

/* Owners in any case, 63-byte labels and 255-byte names are found by
 * queries in any other case, through the zone set (an origin in mixed
 * case), wildcards and delegations. */
static void test_mixed_case_lookup(void **state)
{
	(void)state;
	static char zone[8192];
	char l63[64], l61[62];
	memset(l63, 'L', 63);
	l63[63] = 0;
	memset(l61, 'm', 61);
	l61[61] = 0;
	/* example.COM. is 13 bytes: 3 x 64 + 36 + 13 + 1 = 242 + 13 = 255 */
	char l35[36];
	memset(l35, 'n', 35);
	l35[35] = 0;
	snprintf(zone, sizeof zone,
	         "$ORIGIN Example.COM.\n$TTL 60\n"
	         "@ SOA NS1 HostMaster 1 2 3 4 5\n@ NS NS1\nNS1 A 192.0.2.1\n"
	         "%s A 192.0.2.63\n"
	         "%s.%s.%s.%s A 192.0.2.255\n"
	         "*.Wild.Card A 192.0.2.42\n"
	         "Deleg NS Ns.Deleg\nNs.Deleg A 192.0.2.53\n"
	         "MiXeD.CaSe CNAME Target.Example.Com.\nTARGET A 192.0.2.7\n",
	         l63, l63, l63, l63, l35);
	static const char *const o[] = {"Example.COM."}, *const t[] = {zone};
	db_set *set = make_set(o, t, 1);
	char q[600];
	/* the 63-byte label, asked in lower case */
	memset(q, 'l', 63);
	strcpy(q + 63, ".eXample.com.");
	ask(set, q, TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 1, 0, 0);
	/* the 255-byte name in another case */
	size_t n = 0;
	for (int k = 0; k < 3; k++) {
		memset(q + n, 'l', 63);
		n += 63;
		q[n++] = '.';
	}
	memset(q + n, 'N', 35);
	n += 35;
	strcpy(q + n, ".EXAMPLE.com.");
	ask(set, q, TERN_T_A, true, 0, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	expect_counts(&R, 1, 0, 0);
	/* below it: a name of 256 bytes cannot be asked; one label above: NXDOMAIN */
	ask(set, q + 64, TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR); /* an empty non-terminal */
	expect_counts(&R, 0, 1, 0);
	ask(set, "X.wILD.cARD.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.res.wildcard);
	/* the owner is the query's name as asked (the question's spelling, as
	 * before the owners became pointers) */
	expect_at(&R, AN, 0, "X.wILD.cARD.example.com. 60 IN A 192.0.2.42");
	ask(set, "a.b.DELEG.example.COM.", TERN_T_A, false, 512, &R);
	assert_true(R.res.referral);
	expect_counts(&R, 0, 1, 1);
	ask(set, "mixed.case.EXAMPLE.com.", TERN_T_A, false, 512, &R);
	expect_counts(&R, 2, 0, 0);
	/* Compression matches names case-insensitively (as before the
	 * rewrite, and as BIND by default): the target's suffix points at the
	 * question's spelling of example.com, its own label keeps the zone's. */
	expect_at(&R, AN, 0, "mixed.case.EXAMPLE.com. 60 IN CNAME Target.EXAMPLE.com.");
	expect_at(&R, AN, 1, "Target.EXAMPLE.com. 60 IN A 192.0.2.7");
	ask(set, "nx.EXAMPLE.COM.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_counts(&R, 0, 1, 0);
	db_set_free(set);
}

/* A TCP answer far past 16 KB: hundreds of distinct NS targets with glue,
 * MX targets with addresses. ask() checks every pointer (msgcheck.h); here,
 * that each RRset is whole and each address has its own owner. */
static void test_large_tcp_answer(void **state)
{
	(void)state;
	size_t cap = 200000, n = 0;
	char *zone = malloc(cap);
	assert_non_null(zone);
	n += (size_t)snprintf(zone + n, cap - n,
	                      "$ORIGIN example.com.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n");
	for (unsigned i = 0; i < 1000; i++)
		n += (size_t)snprintf(zone + n, cap - n, "Big MX %u Host%03u.Lab%u.example.com.\nhost%03u.LAB%u A 192.0.%u.%u\n",
		                      i, i, i % 7, i, i % 7, i / 250, i % 250);
	for (unsigned i = 0; i < 400; i++)
		n += (size_t)snprintf(zone + n, cap - n, "BigMx MX %u M%03u.Other%u.example.com.\nm%03u.other%u AAAA 2001:db8::%x\n", i, i,
		                      i % 5, i, i % 5, i + 1);
	n += (size_t)snprintf(zone + n, cap - n, "cut NS ");
	for (unsigned i = 0; i < 300; i++)
		n += (size_t)snprintf(zone + n, cap - n, "%sns%u.cut\n", i ? "cut NS " : "", i);
	for (unsigned i = 0; i < 300; i++)
		n += (size_t)snprintf(zone + n, cap - n, "NS%u.CUT A 198.51.100.%u\n", i, i % 250);
	static const char *const o[] = {"example.com."};
	const char *t[] = {zone};
	db_set *set = make_set(o, t, 1);

	static struct reply big; /* MAXRR lines per section are kept */
	ask(set, "BIG.example.com.", TERN_T_MX, true, 0, &big);
	assert_false(big.tc);
	assert_true(big.len > 20000);
	assert_int_equal(big.n[AN], 1000);
	assert_int_equal(big.n[AR], 32); /* answer.c looks up at most 32 targets */
	for (unsigned i = 0; i < MAXRR; i++) {
		char want[200];
		snprintf(want, sizeof want, "BIG.example.com. 60 IN MX %u Host%03u.Lab%u.example.com.", i, i, i % 7);
		expect_at(&big, AN, i, want);
		snprintf(want, sizeof want, "Host%03u.Lab%u.example.com. 60 IN A 192.0.%u.%u", i, i % 7, i / 250, i % 250);
		if (i < 32)
			expect_at(&big, AR, i, want);
	}
	ask(set, "bigmx.example.com.", TERN_T_MX, true, 0, &big);
	assert_int_equal(big.n[AN], 400);
	assert_int_equal(big.n[AR], 32);
	/* a referral with 300 servers and their (required) glue */
	ask(set, "www.cut.example.com.", TERN_T_A, true, 0, &big);
	assert_true(big.res.referral);
	assert_int_equal(big.n[NS], 300);
	assert_int_equal(big.n[AR], 32);
	/* over UDP the same do not fit: whole RRsets or TC */
	ask(set, "big.example.com.", TERN_T_MX, false, 1232, &big);
	assert_true(big.tc);
	assert_int_equal(big.n[AN], 0);
	db_set_free(set);
	free(zone);
}


/* The root zone beside a deeper one: the zone set's shortcut by the
 * deepest origin, owners that are the root (never a pointer), referrals
 * from the root with glue, in any case. */
static void test_root_zone(void **state)
{
	(void)state;
	static const char root[] =
		"$ORIGIN .\n$TTL 86400\n"
		". SOA A.Root-Servers.NET. nstld.verisign-grs.com. 1 1800 900 604800 86400\n"
		". NS a.root-servers.net.\n"
		"a.root-servers.net. A 198.41.0.4\n"
		"COM. NS A.GTLD-Servers.com.\n"
		"a.gtld-servers.com. A 192.5.6.30\n"
		"org. NS a0.org.afilias-nst.info.\n"
		"info. NS a.gtld-servers.com.\n"; /* a0.org.afilias-nst.info is below a cut: no warning */
	static const char *const o[] = {".", "example.com."}, *const t[] = {root, zone_com};
	db_set *set = make_set(o, t, 2);
	ask(set, "www.EXAMPLE.com.", TERN_T_A, false, 512, &R);
	assert_true(R.aa);
	expect_counts(&R, 1, 0, 0);
	expect_at(&R, AN, 0, "www.EXAMPLE.com. 3600 IN A 192.0.2.1");
	ask(set, "No.Such.TLD.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NXDOMAIN);
	expect_counts(&R, 0, 1, 0);
	expect_at(&R, NS, 0, ". 86400 IN SOA A.Root-Servers.NET. nstld.verisign-grs.com. 1 1800 900 604800 86400");
	ask(set, "x.Y.Com.", TERN_T_A, false, 512, &R);
	assert_true(R.res.referral);
	expect_counts(&R, 0, 1, 1);
	/* the cut's owner points into the question: its spelling */
	expect_at(&R, NS, 0, "Com. 86400 IN NS A.GTLD-Servers.Com.");
	expect_at(&R, AR, 0, "A.GTLD-Servers.Com. 86400 IN A 192.5.6.30");
	ask(set, ".", TERN_T_NS, false, 512, &R);
	assert_true(R.aa);
	expect_counts(&R, 1, 0, 1);
	expect_at(&R, AN, 0, ". 86400 IN NS a.root-servers.net.");
	ask(set, ".", TERN_T_DS, false, 512, &R);
	expect_counts(&R, 0, 1, 0); /* NODATA, the SOA of the root */
	db_set_free(set);
}


/* Every UDP size from the question alone up to past the whole answer: the
 * response always walks (msgcheck.h: no pointer into a rolled-back
 * RRset), the answer section is all or nothing with TC, and the other
 * sections only ever hold whole RRsets. */
static void test_every_size(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		uint16_t type;
	} qs[] = {
		{"www.example.com.", TERN_T_ANY},  {"Mail.Example.COM.", TERN_T_MX}, {"example.com.", TERN_T_NS},
		{"CHAIN1.example.com.", TERN_T_A}, {"x.sub.example.com.", TERN_T_A}, {"a.b.dn.example.com.", TERN_T_A},
		{"nx.example.com.", TERN_T_A},     {"a.wild.example.com.", TERN_T_TXT}, {"tobig.example.com.", TERN_T_TXT},
		{"out.example.com.", TERN_T_A},    {"big.example.com.", TERN_T_TXT},
	};
	static struct reply full, r;
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		ask(f->set, qs[k].name, qs[k].type, false, 65535, &full); /* UDP: ANY gives one RRset */
		size_t first = TERN_HDR_LEN + strlen(qs[k].name) + 1 + 4;
		for (size_t size = first; size <= full.len + 40; size++) {
			ask(f->set, qs[k].name, qs[k].type, false, size, &r);
			assert_true(r.len <= size);
			if (!r.tc && r.rcode != full.rcode) /* (a chain cut short by TC may stop early) */
				fail_msg("%s size %zu: rcode %u, %u without limit", qs[k].name, size, r.rcode, full.rcode);
			if (!r.tc) {
				if (size >= full.len)
					assert_int_equal(r.n[AN], full.n[AN]);
			} else {
				assert_true(r.n[AN] <= full.n[AN]);
			}
			for (unsigned s = 1; s < 4; s++)
				for (unsigned i = 0; i < r.n[s] && i < MAXRR; i++)
					expect_has(&full, s, r.rr[s][i]);
			if (size >= full.len)
				assert_false(r.tc);
		}
	}
}

/* ---- zone-load diagnostics ---- */

struct diags {
	unsigned n;
	bool error[16];
	char text[16][600]; /* "file:line: message" */
};

static void diag_collect(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	struct diags *d = user;
	if (d->n < 16) {
		d->error[d->n] = error;
		snprintf(d->text[d->n], sizeof d->text[d->n], "%s:%u: %s", file, line, msg);
	}
	d->n++;
}

/* Loads text as example.com from "t.zone"; returns the zone (or NULL). */
static db_zone *load_diag(const char *text, struct diags *d, db_diag *dg)
{
	static const uint8_t origin[] = "\7example\3com";
	memset(d, 0, sizeof *d);
	*dg = (db_diag){.fn = diag_collect, .user = d};
	return zone_load_string(origin, "t.zone", text, dg);
}

static void expect_diag(const struct diags *d, bool error, const char *text)
{
	for (unsigned i = 0; i < d->n && i < 16; i++)
		if (d->error[i] == error && strcmp(d->text[i], text) == 0)
			return;
	for (unsigned i = 0; i < d->n && i < 16; i++)
		fprintf(stderr, "  got %s: %s\n", d->error[i] ? "error" : "warning", d->text[i]);
	fail_msg("no %s \"%s\"", error ? "error" : "warning", text);
}

#define HEAD                                                                                       \
	"$ORIGIN example.com.\n"                                                                   \
	"$TTL 3600\n"                                                                              \
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"                                           \
	"@ NS ns1\n"                                                                               \
	"ns1 A 192.0.2.53\n"

static void test_diag_cname_and_other(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag(HEAD "alias CNAME www\n"
	                            "www A 192.0.2.1\n"
	                            "alias A 192.0.2.2\n",
	                       &d, &dg);
	assert_null(z);
	assert_int_equal(dg.errors, 1);
	assert_int_equal(d.n, 1);
	expect_diag(&d, true, "t.zone:6: CNAME and other data (A) at alias.example.com.");
}

static void test_diag_missing_soa_ns(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag("$ORIGIN example.com.\n$TTL 60\n@ NS ns1\nns1 A 192.0.2.53\n", &d, &dg);
	assert_null(z);
	assert_int_equal(dg.errors, 1);
	expect_diag(&d, true, "t.zone:3: zone example.com. has no SOA record at its apex");

	z = load_diag("$ORIGIN example.com.\n$TTL 60\n\n@ SOA ns1 hostmaster 1 2 3 4 5\nns1 A 192.0.2.53\n", &d, &dg);
	assert_null(z);
	assert_int_equal(dg.errors, 1);
	expect_diag(&d, true, "t.zone:4: zone example.com. has no NS records at its apex");
}

static void test_diag_occluded(void **state)
{
	(void)state;
	struct diags d;
	db_diag dg;
	db_zone *z = load_diag(HEAD "sub NS ns.sub\n"
	                            "ns.sub A 192.0.2.99\n"     /* glue: kept */
	                            "hidden.sub A 192.0.2.98\n" /* occluded */
	                            "dn DNAME example.net.\n"
	                            "below.dn TXT \"x\"\n",
	                       &d, &dg);
	assert_non_null(z); /* warnings only */
	assert_int_equal(dg.errors, 0);
	assert_int_equal(dg.warnings, 2);
	expect_diag(&d, false,
	            "t.zone:8: hidden.sub.example.com. A ignored: occluded by the delegation at sub.example.com.");
	expect_diag(&d, false, "t.zone:10: below.dn.example.com. TXT ignored: below the DNAME at dn.example.com.");

	/* the ignored data is not served */
	db_zone **zones = calloc(1, sizeof *zones);
	assert_non_null(zones);
	zones[0] = z;
	db_set *s = db_set_new(zones, 1);
	assert_non_null(s);
	ask(s, "hidden.sub.example.com.", TERN_T_A, false, 512, &R);
	assert_true(R.res.referral);
	expect_counts(&R, 0, 1, 1);
	expect_at(&R, AR, 0, "ns.sub.example.com. 3600 IN A 192.0.2.99");
	ask(s, "below.dn.example.com.", TERN_T_TXT, false, 512, &R);
	assert_true(R.res.has_next); /* synthesized to below.example.net. */
	expect_counts(&R, 2, 0, 0);
	db_set_free(s);
}


/* A DNAME at or below a delegation is occluded: the cut wins (RFC 6672 2.3
 * and RFC 1034 4.2.1). Found by review: the node was marked "below a
 * DNAME" from the raw records, then the DNAME was dropped as occluded, and
 * the synthesis met no DNAME RRset (NULL dereference). */
static void test_dname_at_and_below_cut(void **state)
{
	(void)state;
	static const char *const o[] = {"example.com."};
	static const char *const t[] = {"$ORIGIN example.com.\n$TTL 3600\n"
	                                "@ SOA ns host 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.53\n"
	                                "sub NS ns.sub\nsub DNAME example.net.\nns.sub A 192.0.2.9\n"
	                                "deep NS ns.deep\nx.deep DNAME example.net.\ny.x.deep A 192.0.2.10\n"
	                                "ns.deep A 192.0.2.11\n"};
	/* three warnings expected (the occluded DNAMEs and y.x.deep's A) */
	uint8_t on[TERN_NAME_MAX];
	size_t olen;
	assert_int_equal(tern_name_from_text(o[0], strlen(o[0]), NULL, on, &olen), 0);
	db_diag d = {0};
	db_zone **zones = calloc(1, sizeof *zones);
	assert_non_null(zones);
	zones[0] = zone_load_string(on, o[0], t[0], &d);
	assert_non_null(zones[0]);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 3);
	db_set *set = db_set_new(zones, 1);
	assert_non_null(set);
	ask(set, "ns.sub.example.com.", TERN_T_A, false, 512, &R);
	assert_int_equal(R.rcode, TERN_R_NOERROR);
	assert_true(R.res.referral);
	expect_has(&R, NS, "sub.example.com. 3600 IN NS ns.sub.example.com.");
	expect_has(&R, AR, "ns.sub.example.com. 3600 IN A 192.0.2.9"); /* glue kept */
	ask(set, "a.b.sub.example.com.", TERN_T_TXT, false, 512, &R);
	assert_true(R.res.referral);
	ask(set, "y.x.deep.example.com.", TERN_T_A, false, 512, &R);
	assert_true(R.res.referral);
	expect_has(&R, NS, "deep.example.com. 3600 IN NS ns.deep.example.com.");
	ask(set, "z.x.deep.example.com.", TERN_T_A, false, 512, &R);
	assert_true(R.res.referral);
	db_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_match),
		cmocka_unit_test(test_no_zone),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_ds_at_cut),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_ent_blocks_wildcard),
		cmocka_unit_test(test_dname),
		cmocka_unit_test(test_dname_yxdomain),
		cmocka_unit_test(test_chain_leaves),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_qname_hashes),
		cmocka_unit_test(test_mixed_case_lookup),
		cmocka_unit_test(test_large_tcp_answer),
		cmocka_unit_test(test_root_zone),
		cmocka_unit_test(test_every_size),
		cmocka_unit_test(test_diag_cname_and_other),
		cmocka_unit_test(test_diag_missing_soa_ns),
		cmocka_unit_test(test_diag_occluded),
		cmocka_unit_test(test_dname_at_and_below_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
