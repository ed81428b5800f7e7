/* msgcheck.h: a strict reader for messages tern composes, shared by the
 * unit tests of the composer (test_msg.c) and of the answers (test_answer.c).
 *
 * mc_walk reads every name of a message (owners and the names in the RDATA
 * of the RFC 1035 types) and fails the test unless every compression pointer
 *  - points strictly before the name field that holds it, below 0x4000,
 *  - at the start of a label that an earlier name field wrote literally
 *    (so never into RDATA, a header, a rolled-back and overwritten record or
 *    the root label),
 * and every name decompresses to at most 255 bytes. It returns the records
 * with their names decompressed (and lower-cased: compression matches names
 * case-insensitively, so a pointer may lead to another spelling). */
#ifndef TERN_TEST_MSGCHECK_H
#define TERN_TEST_MSGCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern/msg.h"
#include "tern/name.h"

typedef struct mc_rr {
	unsigned section;
	uint8_t owner[TERN_NAME_MAX]; /* lower-cased */
	size_t olen;
	uint16_t type, cls;
	uint32_t ttl;
	uint8_t rdata[2 * TERN_NAME_MAX + 64]; /* names uncompressed, lower-cased; else as is (first bytes) */
	size_t rdlen;                          /* of rdata[] as decompressed */
	size_t wire_rdlen;                     /* RDLENGTH in the message */
} mc_rr;

typedef struct mc_msg {
	tern_hdr hdr;
	size_t nrr; /* question entries included (section 0) */
	mc_rr *rr;  /* malloc'd */
	unsigned pointers, pointers_above_16k; /* pointers written at offsets >= 0x4000 */
} mc_msg;

static void mc_lower(uint8_t *n, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (n[i] >= 'A' && n[i] <= 'Z')
			n[i] = (uint8_t)(n[i] + 32);
}

/* Reads the name field at *pos (advanced past it) into out. starts[]: 1 at
 * each offset where an earlier field wrote a label literally. */
static void mc_name(mc_msg *mm, const uint8_t *msg, size_t len, size_t *pos, uint8_t *starts, uint8_t *out,
                    size_t *outlen)
{
	size_t p = *pos, field = *pos, n = 0;
	bool jumped = false;
	for (unsigned hops = 0;;) {
		if (p >= len)
			fail_msg("name at %zu runs past the message (%zu)", field, len);
		uint8_t c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				fail_msg("half a pointer at %zu", p);
			size_t t = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (t >= field)
				fail_msg("pointer at %zu to %zu: not before its field at %zu", p, t, field);
			if (!starts[t])
				fail_msg("pointer at %zu to %zu: no label written earlier starts there", p, t);
			mm->pointers++;
			if (p >= 0x4000)
				mm->pointers_above_16k++;
			if (!jumped)
				*pos = p + 2;
			jumped = true;
			p = t;
			if (++hops > 128)
				fail_msg("pointer loop at %zu", field);
			continue;
		}
		if (c > TERN_LABEL_MAX)
			fail_msg("label type 0x%x at %zu", c, p);
		if (n + 1 + c > TERN_NAME_MAX)
			fail_msg("name at %zu longer than 255 bytes", field);
		if (p + 1 + c > len)
			fail_msg("label at %zu runs past the message", p);
		memcpy(out + n, msg + p, 1 + (size_t)c);
		n += 1 + (size_t)c;
		if (c == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if (!jumped)
			starts[p] = 1;
		p += 1 + (size_t)c;
	}
	mc_lower(out, n);
	*outlen = n;
}

/* Names in the RDATA of type: how many, fixed bytes before and after. */
static unsigned mc_layout(uint16_t type, size_t *head, size_t *tail)
{
	*head = *tail = 0;
	switch (type) {
	case TERN_T_NS:
	case TERN_T_MD:
	case TERN_T_MF:
	case TERN_T_CNAME:
	case TERN_T_MB:
	case TERN_T_MG:
	case TERN_T_MR:
	case TERN_T_PTR: return 1;
	case TERN_T_MINFO: return 2;
	case TERN_T_MX: *head = 2; return 1;
	case TERN_T_SOA: *tail = 20; return 2;
	default: return 0;
	}
}

/* Walks the whole message; fails the test on any defect. Free mm->rr. */
static void mc_walk(const uint8_t *msg, size_t len, mc_msg *mm)
{
	memset(mm, 0, sizeof *mm);
	if (len < TERN_HDR_LEN)
		fail_msg("message of %zu bytes", len);
	uint8_t *starts = calloc(len + 1, 1);
	assert_non_null(starts);
	mm->hdr.id = tern_get_u16(msg);
	mm->hdr.flags = tern_get_u16(msg + 2);
	size_t total = 0;
	for (int i = 0; i < 4; i++) {
		mm->hdr.count[i] = tern_get_u16(msg + 4 + 2 * i);
		total += mm->hdr.count[i];
	}
	mm->rr = calloc(total ? total : 1, sizeof *mm->rr);
	assert_non_null(mm->rr);
	size_t pos = TERN_HDR_LEN;
	for (unsigned s = 0; s < 4; s++) {
		for (unsigned i = 0; i < mm->hdr.count[s]; i++) {
			mc_rr *r = &mm->rr[mm->nrr++];
			r->section = s;
			mc_name(mm, msg, len, &pos, starts, r->owner, &r->olen);
			size_t fixed = s == 0 ? 4 : 10;
			if (pos + fixed > len)
				fail_msg("record %zu: fixed fields past the end", mm->nrr - 1);
			r->type = tern_get_u16(msg + pos);
			r->cls = tern_get_u16(msg + pos + 2);
			pos += 4;
			if (s == 0)
				continue;
			r->ttl = tern_get_u32(msg + pos);
			size_t rdlen = tern_get_u16(msg + pos + 4);
			pos += 6;
			if (pos + rdlen > len)
				fail_msg("record %zu: RDATA past the end", mm->nrr - 1);
			r->wire_rdlen = rdlen;
			size_t head, tail, end = pos + rdlen;
			unsigned names = mc_layout(r->type, &head, &tail);
			if (!names) {
				size_t keep = rdlen < sizeof r->rdata ? rdlen : sizeof r->rdata;
				memcpy(r->rdata, msg + pos, keep);
				r->rdlen = rdlen;
				pos = end;
				continue;
			}
			if (head > rdlen)
				fail_msg("record %zu: short RDATA", mm->nrr - 1);
			memcpy(r->rdata, msg + pos, head);
			r->rdlen = head;
			pos += head;
			for (unsigned k = 0; k < names; k++) {
				size_t nl;
				mc_name(mm, msg, end, &pos, starts, r->rdata + r->rdlen, &nl);
				r->rdlen += nl;
			}
			if (pos + tail != end)
				fail_msg("record %zu (type %u): RDATA names end at %zu, RDLENGTH says %zu", mm->nrr - 1,
				         r->type, pos + tail, end);
			memcpy(r->rdata + r->rdlen, msg + pos, tail);
			r->rdlen += tail;
			pos = end;
		}
	}
	if (pos != len)
		fail_msg("%zu bytes after the last record", len - pos);
	free(starts);
}

#endif
