/* fuzz_xfr.c: what zone transfers out read from the outside.
 *
 * The first byte picks the target:
 *   even: the rest is a journal file for db_journal_parse; what parses is
 *         a chain (each difference starts where the one before ends, each
 *         run starts with its SOA), turns into edits that a zone at its
 *         first serial takes or refuses (xfr_zone_replay), and is freed
 *         whole;
 *   odd:  the rest is a request (AXFR, IXFR with its SOA, anything) for
 *         xfr_respond, over TCP and over UDP, from an allowed client,
 *         against a zone whose journal holds one difference (serial 1 -> 2)
 *         and a TSIG key; every message of the answer walks, has the
 *         request's ID and fits (UDP: the client's size; TCP: 65535), a
 *         stream ends within a bound, and the count of running transfers
 *         is back to 0 afterwards. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "db/apply.h"
#include "db/journal.h"
#include "fuzz.h"
#include "tern/msg.h"
#include "xfr/xfr.h"

static version V;
static bool ready;

static db_zone *load(unsigned serial, const char *body)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "$ORIGIN x.test.\n$TTL 300\n@ SOA ns hm %u 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n%s", serial,
	         body);
	db_diag d = {0};
	db_zone *z = zone_load_string((const uint8_t *)"\1x\4test", "x.zone", text, &d);
	FUZZ_CHECK(z);
	return z;
}

/* Every difference of j as edits (one per record), applied to a small zone
 * at j's first serial: refused or a zone, never a crash. */
static void replay(const db_journal *j)
{
	size_t n = 0;
	for (size_t i = 0; i < j->n; i++)
		n += j->d[i]->ndel + j->d[i]->nadd;
	db_edit *e = calloc(n, sizeof *e);
	FUZZ_CHECK(e);
	size_t m = 0;
	for (size_t i = 0; i < j->n; i++) {
		size_t k = db_diff_edits(j->d[i], e + m);
		FUZZ_CHECK(k == j->d[i]->ndel + j->d[i]->nadd);
		FUZZ_CHECK(e[m].op == DB_DEL_RRSET && e[m].type == TERN_T_SOA);
		m += k;
	}
	db_zone *z = load(j->d[0]->from, "www A 192.0.2.2\n");
	db_diag d = {0};
	zone_unref(zone_apply(z, e, m, DB_APPLY_STRICT, "fuzz", &d, NULL));
	zone_unref(z);
	free(e);
}

static void setup(void)
{
	fuzz_quiet();
	config_init(&V.cfg);
	FUZZ_CHECK(config_add_zone(&V.cfg, "x.test", "x.zone", "fuzz") == 0);
	FUZZ_CHECK(config_add_key(&V.cfg, "k", NULL, "c2VjcmV0IGtleQ==", "fuzz") == 0);
	xfr_zone_conf *x = &V.cfg.zones[0].xfr;
	FUZZ_CHECK(xfrconf_zone_option(x, "allow-transfer", "127.0.0.0/8", "fuzz") == 0);
	FUZZ_CHECK(xfrconf_zone_option(x, "allow-transfer", "::1 key k", "fuzz") == 0);
	fuzz_loud();
	db_zone *z1 = load(1, "www A 192.0.2.2\nold TXT gone\nbig TXT " /* a message fills up */
	                      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n");
	db_zone *z2 = load(2, "www A 192.0.2.3\nnew MX 10 www\nsub NS ns.sub\nns.sub A 192.0.2.9\n");
	z2->journal = db_journal_add(NULL, db_diff_make(z1, z2), 1 << 20);
	FUZZ_CHECK(z2->journal && z2->journal->n == 1);
	zone_free(z1);
	db_zone **zones = malloc(sizeof *zones);
	zones[0] = z2;
	V.zones = db_set_new(zones, 1);
	FUZZ_CHECK(V.zones);
	V.cfg.xfr_max = 2;
	ready = true;
}

static void check_msg(const uint8_t *m, size_t n, const uint8_t *req, size_t cap)
{
	FUZZ_CHECK(n >= TERN_HDR_LEN && n <= cap);
	FUZZ_CHECK(!memcmp(m, req, 2)); /* the ID */
	tern_msg_iter it;
	tern_rr rr;
	FUZZ_CHECK(tern_msg_iter_init(&it, m, n) == 0);
	int r;
	while ((r = tern_msg_next(&it, &rr)) == 1)
		;
	FUZZ_CHECK(r == 0);
}

static uint8_t out[65535];

static void request(const uint8_t *pkt, size_t len, bool tcp, const struct sockaddr *client)
{
	atomic_uint active = 0;
	xfr_out *x = NULL;
	fuzz_quiet();
	size_t n = xfr_respond(&V, pkt, len, client, tcp, &active, out, tcp ? sizeof out : 4096, tcp ? &x : NULL);
	fuzz_loud();
	if (n)
		check_msg(out, n, pkt, tcp ? sizeof out : 4096);
	if (!tcp) {
		tern_query q;
		if (n && tern_query_parse(pkt, len, &q) == TERN_Q_OK && !q.edns)
			FUZZ_CHECK(n <= TERN_UDP_MIN + (q.tsig_off ? 200 : 0));
	}
	for (int k = 0; x && k < 1000; k++) {
		bool done;
		size_t m = xfr_next(x, out, sizeof out, &done);
		FUZZ_CHECK(m);
		check_msg(out, m, pkt, sizeof out);
		if (done) {
			xfr_end(x);
			x = NULL;
		}
	}
	FUZZ_CHECK(!x); /* a zone of a few records ends in a few messages */
	FUZZ_CHECK(atomic_load(&active) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		db_journal *j = NULL;
		int r = db_journal_parse(data + 1, size - 1, &j);
		FUZZ_CHECK(r == 0 || !j);
		for (size_t i = 0; j && i < j->n; i++) {
			FUZZ_CHECK(j->d[i]->ndel >= 1 && j->d[i]->nadd >= 1);
			FUZZ_CHECK(db_serial_lt(j->d[i]->from, j->d[i]->to));
			FUZZ_CHECK(i + 1 == j->n || j->d[i]->to == j->d[i + 1]->from);
			FUZZ_CHECK(db_journal_find(j, j->d[i]->from) == (int)i);
		}
		if (j && j->n) /* read back as edits and applied, as xfr_zone_replay does */
			replay(j);
		db_journal_unref(j);
		return 0;
	}
	if (!ready)
		setup();
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
	inet_pton(AF_INET6, "::1", &v6.sin6_addr);
	const struct sockaddr *client = data[0] & 2 ? (const struct sockaddr *)&v6 : (const struct sockaddr *)&v4;
	request(data + 1, size - 1, true, client);
	request(data + 1, size - 1, false, client);
	uint32_t serial;
	(void)xfr_ixfr_serial(data + 1, size - 1, &serial);
	return 0;
}
