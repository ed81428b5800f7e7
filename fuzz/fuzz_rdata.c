/* fuzz_rdata.c: RDATA of every type, wire -> text -> wire.
 *
 * Input: two bytes of RR type (network order), then the RDATA as it would
 * stand in a message (names may be compressed, pointing back into the
 * RDATA). What tern_rdata_unpack accepts must print (tern_rdata_to_text),
 * lex as a zone file line would (the zone lexer itself), and parse back
 * (tern_rdata_from_text) to exactly the same uncompressed wire: a mismatch
 * means the server would serve different data from what a zone file of
 * its own output says, so it is a bug and aborts. */
#include <string.h>

#include "fuzz.h"
#include "lib/zlex.h"
#include "tern/rr.h"

/* Scratch buffers, too big for the stack; nothing carries over. */
static uint8_t wire[65536], back[65536];
static char text[300000];
static tern_token tok[TERN_ZLEX_MAXTOK];
static unsigned tokline[TERN_ZLEX_MAXTOK];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 > 65535)
		return 0;
	uint16_t type = tern_get_u16(data);
	uint16_t rdlen = (uint16_t)(size - 2);
	tern_rd r;
	tern_rd_init(&r, data + 2, rdlen);
	size_t wlen = 0;
	if (tern_rdata_unpack(&r, type, rdlen, wire, sizeof wire, &wlen) != 0)
		return 0;
	FUZZ_CHECK(r.err == 0 && r.pos == rdlen && wlen <= sizeof wire);

	int tl = tern_rdata_to_text(type, wire, wlen, text, sizeof text);
	FUZZ_CHECK(tl >= 0); /* the buffer holds the worst case */
	FUZZ_CHECK((size_t)tl == strlen(text));
	if (tern_type_is_meta(type))
		return 0; /* printable, but not zone data: from_text may refuse it */

	tern_zlex lx;
	tern_zentry e = {.tok = tok, .tokline = tokline, .cap = TERN_ZLEX_MAXTOK};
	tern_zlex_init(&lx, text, (size_t)tl, 1);
	size_t ntok = 0;
	if (tern_zlex_entry(&lx, &e)) {
		if (e.err && strstr(e.err, "too many tokens"))
			return 0; /* a documented bound of the zone lexer */
		if (e.err) {
			fprintf(stderr, "type %u: text does not lex (%s): %s\n", type, e.err, text);
			abort();
		}
		ntok = e.ntok;
		FUZZ_CHECK(tern_zlex_entry(&lx, &e) == 0 || e.ntok == 0); /* one line */
	}

	char err[256] = "";
	size_t blen = 0;
	int rc = tern_rdata_from_text(type, tok, ntok, NULL, back, sizeof back, &blen, err, sizeof err);
	if (rc != 0 || blen != wlen || memcmp(back, wire, wlen) != 0) {
		fprintf(stderr, "type %u: wire -> text -> wire differs (rc %d, %s; %zu -> %zu bytes): %s\n", type, rc,
		        err, wlen, blen, text);
		abort();
	}
	return 0;
}
