/* tern/wire.h: the bounded cursors through which every byte of DNS wire
 * data is read and written.
 *
 * A failed read or write sets a sticky error (TERN_EMALFORMED for reads past
 * the end, TERN_ESPACE for writes past the capacity); every later operation
 * then does nothing and returns zero, so parsing code reads straight through
 * and checks `err` once at the end. The reader keeps a pointer to the start
 * of the whole message, which name decompression needs for pointers. */
#ifndef TERN_WIRE_H
#define TERN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tern/error.h"

typedef struct tern_rd {
	const uint8_t *p; /* start of the message */
	size_t len;       /* bytes in the message */
	size_t pos;       /* next byte to read */
	int err;          /* sticky: 0 or the first error */
} tern_rd;

typedef struct tern_wr {
	uint8_t *p;
	size_t cap; /* writes never go past p + cap */
	size_t pos;
	int err;
} tern_wr;

static inline void tern_rd_init(tern_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

static inline size_t tern_rd_left(const tern_rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

static inline void tern_rd_fail(tern_rd *r, int err)
{
	if (!r->err)
		r->err = err;
}

/* Returns a pointer to the next n bytes and advances past them, or NULL
 * (and sets the error) if fewer than n remain. */
static inline const uint8_t *tern_rd_take(tern_rd *r, size_t n)
{
	if (r->err || r->len - r->pos < n) {
		tern_rd_fail(r, TERN_EMALFORMED);
		return NULL;
	}
	const uint8_t *q = r->p + r->pos;
	r->pos += n;
	return q;
}

static inline uint8_t tern_rd_u8(tern_rd *r)
{
	const uint8_t *q = tern_rd_take(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t tern_rd_u16(tern_rd *r)
{
	const uint8_t *q = tern_rd_take(r, 2);
	return q ? (uint16_t)(q[0] << 8 | q[1]) : 0;
}

static inline uint32_t tern_rd_u32(tern_rd *r)
{
	const uint8_t *q = tern_rd_take(r, 4);
	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3] : 0;
}

static inline void tern_rd_skip(tern_rd *r, size_t n)
{
	(void)tern_rd_take(r, n);
}

static inline void tern_wr_init(tern_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->pos = 0;
	w->err = 0;
}

static inline size_t tern_wr_left(const tern_wr *w)
{
	return w->err ? 0 : w->cap - w->pos;
}

/* Reserves n bytes and returns a pointer to them, or NULL (sticky
 * TERN_ESPACE) if they do not fit. */
static inline uint8_t *tern_wr_take(tern_wr *w, size_t n)
{
	if (w->err || w->cap - w->pos < n) {
		if (!w->err)
			w->err = TERN_ESPACE;
		return NULL;
	}
	uint8_t *q = w->p + w->pos;
	w->pos += n;
	return q;
}

static inline void tern_wr_u8(tern_wr *w, uint8_t v)
{
	uint8_t *q = tern_wr_take(w, 1);
	if (q)
		q[0] = v;
}

static inline void tern_wr_u16(tern_wr *w, uint16_t v)
{
	uint8_t *q = tern_wr_take(w, 2);
	if (q) {
		q[0] = (uint8_t)(v >> 8);
		q[1] = (uint8_t)v;
	}
}

static inline void tern_wr_u32(tern_wr *w, uint32_t v)
{
	uint8_t *q = tern_wr_take(w, 4);
	if (q) {
		q[0] = (uint8_t)(v >> 24);
		q[1] = (uint8_t)(v >> 16);
		q[2] = (uint8_t)(v >> 8);
		q[3] = (uint8_t)v;
	}
}

static inline void tern_wr_bytes(tern_wr *w, const void *src, size_t n)
{
	uint8_t *q = tern_wr_take(w, n);
	if (q && n)
		memcpy(q, src, n);
}

static inline uint16_t tern_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tern_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void tern_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tern_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
