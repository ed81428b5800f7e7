/* fuzz_xfrin.c: the transfer-in stream parser and the IXFR applier.
 *
 * The input is what a primary sends on a TCP connection: messages, each
 * behind a 2-byte length (a short last one is cut where the input ends).
 * The first byte of the input says what was asked: bit 0 set, IXFR from
 * serial 1 of a small base zone; clear, AXFR. The request's ID is taken
 * from the first message, so most inputs get past the ID check into the
 * parser proper; the origin is example.com.
 *
 * Checks: xfrin_feed never reports success for a stream that is not
 * framed as RFC 5936/1995 say (done means the first record was the SOA,
 * and for IXFR that the sequences chain from 1 to the new serial); a
 * finished transfer that builds gives a zone with an apex SOA whose serial
 * is the transfer's; every record of it walks and prints; after an error
 * x.err is a non-empty line. Everything is freed. */
#include <string.h>

#include "db/zone.h"
#include "fuzz.h"
#include "tern/msg.h"
#include "tern/rr.h"
#include "xfr/xfrin.h"

static const uint8_t origin[] = "\7example\3com";

static const char base_text[] = "$ORIGIN example.com.\n$TTL 300\n"
                                "@ SOA ns1 hostmaster 1 3600 600 86400 60\n"
                                "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\n"
                                "old TXT \"to be removed\"\nsub NS ns.sub\nns.sub A 192.0.2.53\n";

static db_zone *base(void)
{
	static db_zone *z;
	if (!z) {
		db_diag d = {0};
		z = zone_load_string(origin, "base", base_text, &d);
		FUZZ_CHECK(z && z->serial == 1);
	}
	return z;
}

static int print_rrset(const db_node *n, const db_rrset *s, void *user)
{
	static char text[65536 * 4 + 64];
	size_t *count = user;
	FUZZ_CHECK(s->count > 0);
	FUZZ_CHECK(tern_name_is_sub(n->name, origin));
	const uint8_t *p = s->rdata;
	for (unsigned i = 0; i < s->count; i++) {
		uint16_t len;
		const uint8_t *rd = rrset_rdata(p, &len);
		FUZZ_CHECK(tern_rdata_to_text(s->type, rd, len, text, sizeof text) >= 0);
		p = rd + len;
		(*count)++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + 2 + TERN_HDR_LEN)
		return 0;
	bool ixfr = data[0] & 1;
	data++, size--;
	uint16_t id = tern_get_u16(data + 2);
	db_zone *cur = base();
	xfrin x;
	xfrin_init(&x, origin, ixfr ? TERN_T_IXFR : TERN_T_AXFR, id, ixfr ? 1 : 0, 1 << 20, NULL);
	int r = XFRIN_MORE;
	size_t pos = 0;
	while (r == XFRIN_MORE && pos + 2 <= size) {
		size_t len = tern_get_u16(data + pos);
		pos += 2;
		if (len > size - pos)
			len = size - pos;
		r = xfrin_feed(&x, data + pos, len, 0);
		pos += len;
	}
	if (r == XFRIN_ERR) {
		FUZZ_CHECK(x.err[0] && !strchr(x.err, '\n'));
		FUZZ_CHECK(xfrin_feed(&x, data, size, 0) == XFRIN_ERR); /* stays failed */
	}
	if (r == XFRIN_DONE) {
		FUZZ_CHECK(x.rrs && x.rrs->type == TERN_T_SOA);
		FUZZ_CHECK(x.kind == XFR_FULL || x.kind == XFR_INCR || x.kind == XFR_UPTODATE);
		if (x.kind == XFR_INCR) {
			uint32_t s = 1;
			for (const xfr_delta *d = x.deltas; d; d = d->next) {
				FUZZ_CHECK(d->from == s && d->del && d->add);
				FUZZ_CHECK(d->del->type == TERN_T_SOA && d->add->type == TERN_T_SOA);
				s = d->to;
			}
			FUZZ_CHECK(s == x.new_serial);
		}
		if (x.kind == XFR_UPTODATE)
			FUZZ_CHECK(!xfr_serial_gt(x.new_serial, 1));
		char err[512] = "";
		db_zone *z = x.kind == XFR_UPTODATE ? NULL : xfrin_build(&x, cur, "fuzz", err, sizeof err);
		if (z) {
			FUZZ_CHECK(zone_has_data(z) && z->soa && z->soa->count == 1);
			FUZZ_CHECK(z->serial == x.new_serial);
			size_t count = 0;
			FUZZ_CHECK(zone_walk_rrsets(z, print_rrset, &count) == 0);
			FUZZ_CHECK(count >= 1 && count <= z->nrecords);
			zone_unref(z);
		} else if (x.kind != XFR_UPTODATE) {
			FUZZ_CHECK(err[0]);
		}
	}
	xfrin_free(&x);
	return 0;
}
