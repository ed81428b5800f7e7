/* fuzz_zonefile.c: master files (RFC 1035 section 5) and the zone loader.
 *
 * The input is zone-file text. First the bare parser
 * (tern_zone_parse_string, $INCLUDE disallowed as for any untrusted text):
 * every record handed over must be well-formed (valid owner, known class,
 * RDATA that prints). Then the zone loader (zone_load_string, origin
 * example.) so the semantic checks run (SOA/NS, cuts, occlusion, DNAME,
 * glue); a zone that loads is queried for the first owners it had, UDP and
 * TCP, and every response must parse.
 *
 * zone_load_string always allows $INCLUDE (it is meant for trusted text),
 * so inputs naming $INCLUDE are not given to it: the fuzzer must not read
 * the machine's files. */
#include <strings.h>
#include <string.h>

#include "db/answer.h"
#include "db/zone.h"
#include "fuzz.h"
#include "tern/msg.h"
#include "tern/zonefile.h"

#define KEEP 6 /* owners remembered to query */

/* Every input loads two zones, and each load takes a 1 MiB arena chunk
 * (src/db/arena.c) and a parser state of about 185 KB per parse: ASan
 * serves those from mmap, and by default zeroes the shadow of a region
 * over 64 KB by remapping it, so every input faulted it all in again
 * (more time in the kernel than in tern). Zeroing it with memset
 * instead changes no check and is about 25% faster here. ASAN_OPTIONS
 * still overrides it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "clear_shadow_mmap_threshold=1073741824";
}

typedef struct seen {
	unsigned records, errors;
	uint8_t owner[KEEP][TERN_NAME_MAX];
	uint16_t type[KEEP];
	unsigned nowner;
} seen;

static char text[300000];

static int on_rr(const tern_zrr *rr, void *user)
{
	seen *s = user;
	size_t len = tern_name_len(rr->owner);
	FUZZ_CHECK(len >= 1 && len <= TERN_NAME_MAX);
	FUZZ_CHECK(rr->line >= 1 && rr->file != NULL);
	int tl = tern_rdata_to_text(rr->type, rr->rdata, rr->rdlen, text, sizeof text);
	FUZZ_CHECK(tl >= 0 && (size_t)tl == strlen(text));
	if (s->nowner < KEEP) {
		memcpy(s->owner[s->nowner], rr->owner, len);
		s->type[s->nowner++] = rr->type;
	}
	s->records++;
	return 0;
}

static void on_error(const char *file, unsigned line, const char *msg, void *user)
{
	seen *s = user;
	FUZZ_CHECK(file != NULL && msg != NULL && strchr(msg, '\n') == NULL);
	s->errors++;
}

static void on_diag(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	FUZZ_CHECK(file != NULL && msg != NULL);
}

static bool mentions_include(const uint8_t *data, size_t size)
{
	static const char word[] = "$include";
	for (size_t i = 0; i + sizeof word - 1 <= size; i++)
		if (data[i] == '$' && strncasecmp((const char *)data + i, word, sizeof word - 1) == 0)
			return true;
	return false;
}

static void check_response(const uint8_t *pkt, size_t len, size_t limit)
{
	FUZZ_CHECK(len >= TERN_HDR_LEN && len <= limit);
	tern_msg_iter it;
	FUZZ_CHECK(tern_msg_iter_init(&it, pkt, len) == 0);
	tern_rr rr;
	int r;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION)
			continue;
		static uint8_t rd[65536];
		size_t rdlen;
		tern_rd rdr;
		tern_rd_init(&rdr, pkt, len);
		rdr.pos = rr.rdata_off;
		FUZZ_CHECK(tern_rdata_unpack(&rdr, rr.type, rr.rdlen, rd, sizeof rd, &rdlen) == 0);
	}
	FUZZ_CHECK(r == 0 && it.r.pos == len);
}

static void query_zone(db_zone *z, const seen *s)
{
	db_zone **zones = malloc(sizeof *zones);
	if (!zones) {
		zone_free(z);
		return;
	}
	zones[0] = z;
	db_set *set = db_set_new(zones, 1);
	if (!set) {
		zone_free(z);
		free(zones);
		return;
	}
	static uint8_t out[65535];
	for (unsigned i = 0; i < s->nowner; i++) {
		for (int tcp = 0; tcp <= 1; tcp++) {
			tern_query q;
			memset(&q, 0, sizeof q);
			q.qname_len = tern_name_len(s->owner[i]);
			memcpy(q.qname, s->owner[i], q.qname_len);
			q.qtype = i & 1 ? TERN_T_ANY : s->type[i];
			q.qclass = TERN_C_IN;
			size_t cap = tcp ? sizeof out : TERN_UDP_MIN;
			tern_msgw m;
			tern_msgw_init(&m, out, cap, cap, 1, TERN_F_QR);
			FUZZ_CHECK(tern_msgw_question(&m, q.qname, q.qtype, q.qclass) == 0);
			db_result res;
			db_answer(set, &q, &m, tcp, &res);
			int n = tern_msgw_finish(&m, res.rcode & 0xf);
			FUZZ_CHECK(n > 0);
			check_response(out, (size_t)n, cap);
		}
	}
	db_set_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
	seen s = {0};
	tern_zparse zp = {
		.origin = origin,
		.allow_include = 0,
		.on_rr = on_rr,
		.on_error = on_error,
		.user = &s,
	};
	int rc = tern_zone_parse_string(&zp, "fuzz", (const char *)data, size);
	FUZZ_CHECK(rc == 0 || rc == TERN_ESYNTAX);
	FUZZ_CHECK((rc == 0) == (s.errors == 0));

	/* zone_load_string takes a C string: stop at the first NUL */
	if (mentions_include(data, size))
		return 0;
	char *str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	db_diag diag = {.fn = on_diag};
	db_zone *z = zone_load_string(origin, "fuzz", str, &diag);
	if (z) {
		FUZZ_CHECK(diag.errors == 0);
		FUZZ_CHECK(zone_find(z, origin) == z->apex && z->apex != NULL);
		FUZZ_CHECK(z->soa != NULL && z->soa->count == 1);
		query_zone(z, &s);
	} else {
		FUZZ_CHECK(diag.errors > 0);
	}
	db_zone *local = zone_load_local("fuzz-local", str, &diag);
	zone_free(local);
	free(str);
	return 0;
}
