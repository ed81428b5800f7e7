/* pad.c: see pad.h. */
#include "tern/wire.h"
#include "tls/pad.h"

/* Skips a name (compressed or not). */
static void skip_name(tern_rd *r)
{
	for (int labels = 0; labels < 128; labels++) {
		uint8_t l = tern_rd_u8(r);
		if (r->err || l == 0)
			return;
		if ((l & 0xc0) == 0xc0) {
			tern_rd_skip(r, 1);
			return;
		}
		if (l & 0xc0) {
			tern_rd_fail(r, TERN_EMALFORMED);
			return;
		}
		tern_rd_skip(r, l);
	}
	tern_rd_fail(r, TERN_EMALFORMED);
}

size_t tls_pad_response(uint8_t *msg, size_t len, size_t cap)
{
	if (len < 12 || cap < len)
		return len;
	unsigned qd = tern_get_u16(msg + 4);
	unsigned rrs = (unsigned)tern_get_u16(msg + 6) + tern_get_u16(msg + 8) + tern_get_u16(msg + 10);
	if (!tern_get_u16(msg + 10))
		return len; /* no additional section: no OPT */
	tern_rd r;
	tern_rd_init(&r, msg, len);
	tern_rd_skip(&r, 12);
	for (unsigned i = 0; i < qd; i++) {
		skip_name(&r);
		tern_rd_skip(&r, 4);
	}
	size_t last = 0, rdlen_at = 0;
	uint16_t last_type = 0;
	for (unsigned i = 0; i < rrs && !r.err; i++) {
		last = r.pos;
		skip_name(&r);
		last_type = tern_rd_u16(&r);
		tern_rd_skip(&r, 6);
		rdlen_at = r.pos;
		tern_rd_skip(&r, tern_rd_u16(&r));
	}
	/* the OPT: last, owned by the root, the message ending with it */
	if (r.err || r.pos != len || last_type != 41 || msg[last] != 0)
		return len;
	size_t want = (len + 4 + TLS_PAD_BLOCK - 1) / TLS_PAD_BLOCK * TLS_PAD_BLOCK;
	size_t rdlen = tern_get_u16(msg + rdlen_at);
	if (want > cap || want > 65535 || rdlen + (want - len) > 65535)
		return len;
	size_t pad = want - len - 4;
	tern_put_u16(msg + len, 12);
	tern_put_u16(msg + len + 2, (uint16_t)pad);
	for (size_t i = 0; i < pad; i++)
		msg[len + 4 + i] = 0;
	tern_put_u16(msg + rdlen_at, (uint16_t)(rdlen + (want - len)));
	return want;
}
