/* fuzz_rpz.c: Response Policy Zone loading (src/policy/rpz.c): zone-file
 * text ($INCLUDE refused) to rpz_load_text, the local data it makes to
 * zone_load_local (as policy_build does), then a few queries answered by
 * the view, also as a CNAME's target (policy_chain). What loads must be usable: each trigger finds itself, the
 * local data loads, and every answer fits the message and parses.
 *
 * Then the path of an RPZ feed ("rpz: zone NAME", rpz_feed.c): the same
 * text as a zone of origin "rpz." (what a transfer would have built: the
 * records of a db_zone), read by rpz_load_zone, and the same checks on
 * that view. */
#include <string.h>

#include "fuzz.h"
#include "policy/policy.h"
#include "server/log.h"

static void diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user, (void)error, (void)file, (void)line, (void)msg;
}

static void ask(const pol_view *v, const uint8_t *qname, uint16_t qtype, bool tcp)
{
	uint8_t out[512];
	tern_msgw m;
	tern_msgw_init(&m, out, sizeof out, sizeof out, 1, TERN_F_QR);
	FUZZ_CHECK(tern_msgw_question(&m, qname, qtype, TERN_C_IN) == 0);
	db_qname qn;
	db_qname_init(&qn, qname);
	unsigned rcode = 0;
	uint16_t ede = 0;
	uint8_t name[TERN_NAME_MAX];
	enum pol_verdict r = policy_answer(v, &qn, qname, qtype, tcp, &m, &rcode, &ede, name);
	FUZZ_CHECK(r == POL_PASS || r == POL_ANSWERED || r == POL_CHAIN || r == POL_DROPPED);
	if (r == POL_CHAIN)
		FUZZ_CHECK(tern_name_len(name) <= TERN_NAME_MAX);
	int n = tern_msgw_finish(&m, rcode & 0xf);
	FUZZ_CHECK(n > 0 && (size_t)n <= sizeof out);
	tern_msg_iter it; /* every record reads back */
	FUZZ_CHECK(tern_msg_iter_init(&it, out, (size_t)n) == 0);
	tern_rr rr;
	int k;
	while ((k = tern_msg_next(&it, &rr)) > 0)
		;
	FUZZ_CHECK(k == 0);
}

/* The trigger name as the target of an upstream CNAME (policy_chain): the
 * chain kept or taken back, the answer still whole. */
static void ask_chain(const pol_view *v, const uint8_t *target, uint16_t qtype, bool tcp)
{
	static const uint8_t qname[] = "\1q\7example";
	uint8_t out[512];
	tern_msgw m;
	tern_msgw_init(&m, out, sizeof out, sizeof out, 1, TERN_F_QR);
	FUZZ_CHECK(tern_msgw_question(&m, qname, qtype, TERN_C_IN) == 0);
	tern_msgw_mark start = tern_msgw_get_mark(&m);
	if (tern_msgw_rr(&m, TERN_S_ANSWER, qname, TERN_T_CNAME, TERN_C_IN, 60, target, tern_name_len(target)))
		return;
	unsigned rcode = 0;
	uint16_t ede = 0;
	uint8_t name[TERN_NAME_MAX];
	enum pol_verdict r = policy_chain(v, target, qname, qtype, tcp, &m, &start, &rcode, &ede, name);
	FUZZ_CHECK(r == POL_PASS || r == POL_ANSWERED || r == POL_CHAIN || r == POL_DROPPED);
	int n = tern_msgw_finish(&m, rcode & 0xf);
	FUZZ_CHECK(n > 0 && (size_t)n <= sizeof out);
	tern_msg_iter it;
	FUZZ_CHECK(tern_msg_iter_init(&it, out, (size_t)n) == 0);
	tern_rr rr;
	int k;
	while ((k = tern_msg_next(&it, &rr)) > 0)
		;
	FUZZ_CHECK(k == 0);
}

static void check_view(pol_view *v);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "$INCLUDE", 8) || memmem(data, size, "$include", 8))
		return 0; /* the fuzzer must not read the machine's files */
	pol_view v;
	memset(&v, 0, sizeof v);
	pol_names_init(&v.names);
	v.answer = POL_ANS_NULL;
	v.ttl = 60;
	pol_text text = {0};
	fuzz_quiet();
	long n = rpz_load_text(&v.names, &text, "fuzz", (const char *)data, size);
	if (text.len) {
		db_diag d = {.fn = diag};
		v.rpz_data = zone_load_local("fuzz rpz data", text.p, &d);
	}
	fuzz_loud();
	free(text.p);
	FUZZ_CHECK(n >= -1);
	check_view(&v);

	/* the feed: the text as the zone rpz. (a transfer's records) */
	char *z = malloc(size + 1);
	if (!z)
		return 0;
	memcpy(z, data, size);
	z[size] = 0;
	db_diag d = {.fn = diag};
	fuzz_quiet();
	db_zone *zone = memchr(data, 0, size) ? NULL : zone_load_string((const uint8_t *)"\3rpz", "fuzz feed", z, &d);
	free(z);
	if (zone) {
		memset(&v, 0, sizeof v);
		pol_names_init(&v.names);
		v.answer = POL_ANS_NXDOMAIN;
		v.ttl = 60;
		unsigned ignored = 0;
		text = (pol_text){0};
		n = rpz_load_zone(&v.names, &text, zone, &ignored);
		FUZZ_CHECK(n >= 0); /* only out of memory fails */
		pol_names_freeze(&v.names);
		if (text.len)
			v.rpz_data = zone_load_local("fuzz feed data", text.p, &d);
		free(text.p);
		zone_unref(zone);
		fuzz_loud();
		check_view(&v);
	} else {
		fuzz_loud();
	}
	return 0;
}

/* Each trigger finds itself; queries for it and below it are answered
 * whole. Frees the view. */
static void check_view(pol_view *vp)
{
	pol_view v = *vp;
	for (uint32_t i = 0; v.names.slots && i <= v.names.mask; i++) {
		if (!v.names.slots[i].off)
			continue;
		const uint8_t *e = v.names.bytes + v.names.slots[i].off - 1;
		const uint8_t *name = e + 3;
		db_qname qn;
		db_qname_init(&qn, name);
		pol_match m;
		if (e[0]) /* an exact trigger finds itself */
			FUZZ_CHECK(pol_names_lookup(&v.names, &qn, &m) && m.exact && m.action == e[0]);
		ask(&v, name, TERN_T_A, false);
		ask(&v, name, TERN_T_TXT, true);
		ask_chain(&v, name, TERN_T_A, false);
		if (tern_name_len(name) + 2 <= TERN_NAME_MAX) {
			uint8_t child[TERN_NAME_MAX];
			child[0] = 1;
			child[1] = 'a';
			memcpy(child + 2, name, tern_name_len(name));
			ask(&v, child, TERN_T_AAAA, false);
		}
	}
	zone_unref(v.rpz_data);
	pol_names_free(&v.names);
}
