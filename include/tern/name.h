/* tern/name.h: domain names.
 *
 * Inside tern a name is always in uncompressed wire form: a sequence of
 * length-prefixed labels ending with the zero-length root label, at most
 * TERN_NAME_MAX bytes, each label at most TERN_LABEL_MAX bytes. A name is
 * validated once where it enters (from a packet or from text); everything
 * after that may rely on it. Case is preserved; comparisons ignore ASCII case
 * (RFC 4343). */
#ifndef TERN_NAME_H
#define TERN_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/error.h"
#include "tern/wire.h"

/* Lower-cases the ASCII letters among 8 bytes at once (other bytes stay):
 * for comparing and hashing names a word at a time. */
static inline uint64_t tern_fold8(uint64_t x)
{
	const uint64_t hi = 0x8080808080808080ull;
	uint64_t low7 = x & ~hi;
	uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3full; /* top bit: byte >= 'A' */
	uint64_t gt_z = low7 + 0x2525252525252525ull; /* top bit: byte > 'Z' */
	return x | (ge_a & ~gt_z & ~x & hi) >> 2;
}

#define TERN_NAME_MAX 255
#define TERN_LABEL_MAX 63
#define TERN_NAME_TEXT_MAX 1024 /* worst case text: 255 bytes as \DDD */

/* Reads a possibly compressed name at the reader's position into out and
 * advances past it (past the first pointer, if any). Rejects forward and
 * self pointers, pointer loops, labels over 63 bytes, names over 255 bytes
 * and the reserved label types 0x40/0x80. On failure sets r->err and
 * returns it. *outlen receives the wire length (>= 1). */
TERN_WUR int tern_rd_name(tern_rd *r, uint8_t out[TERN_NAME_MAX], size_t *outlen);

/* Name compression state for one message being written: the labels written
 * literally, as a tree: entry k is the label at offset off[k] followed by the
 * name of entry parent[k] (TERN_CTAB_ROOT: by the root). Offsets >= 0x4000
 * cannot be pointed to and are not recorded. Zero-initialised it is empty;
 * entries are only appended, so setting n back drops the newest ones. */
#define TERN_CTAB_MAX 96
#define TERN_CTAB_ROOT 0xff
typedef struct tern_ctab {
	unsigned n;
	uint16_t off[TERN_CTAB_MAX];
	uint8_t parent[TERN_CTAB_MAX];
} tern_ctab;

/* Writes name, compressed against ct when ct is not NULL (and adds the new
 * suffixes to ct). Returns 0 or w->err. */
int tern_wr_name(tern_wr *w, tern_ctab *ct, const uint8_t *name);

/* Parses presentation text (RFC 1035 5.1: \X and \DDD escapes) into wire
 * form. A name not ending in '.' is relative and gets origin appended
 * (origin may be NULL, which makes relative names an error). "@" alone is
 * the origin. Returns 0, TERN_ENAME or TERN_ESYNTAX. */
TERN_WUR int tern_name_from_text(const char *s, size_t len, const uint8_t *origin,
                                 uint8_t out[TERN_NAME_MAX], size_t *outlen);

/* Writes the presentation form (absolute, with trailing dot; the root is
 * "."), escaping '.', '\\', '"', '(', ')', ';', '@', '$' and bytes outside
 * 0x21..0x7e as dig does. Returns the text length, or TERN_ESPACE. Always
 * NUL-terminates when cap > 0. */
int tern_name_to_text(const uint8_t *name, char *buf, size_t cap);

/* Wire length of a validated name. */
size_t tern_name_len(const uint8_t *name);

/* Number of labels, not counting the root (so "." has 0). */
unsigned tern_name_labels(const uint8_t *name);

/* Case-insensitive equality. */
bool tern_name_eq(const uint8_t *a, const uint8_t *b);

/* Canonical DNS order (RFC 4034 6.1): <0, 0, >0. */
int tern_name_cmp(const uint8_t *a, const uint8_t *b);

/* True if name is equal to or below parent. */
bool tern_name_is_sub(const uint8_t *name, const uint8_t *parent);

/* Lower-cases ASCII letters of a name in place / into dst (may alias). */
void tern_name_lower(uint8_t *dst, const uint8_t *src);

/* The name without its first label; the root returns itself. */
static inline const uint8_t *tern_name_parent(const uint8_t *name)
{
	return name[0] ? name + 1 + name[0] : name;
}

/* Concatenates prefix (a relative name without the root label, plen bytes)
 * and suffix into out. Returns 0 or TERN_ENAME if over 255 bytes. */
TERN_WUR int tern_name_concat(const uint8_t *prefix, size_t plen, const uint8_t *suffix,
                              uint8_t out[TERN_NAME_MAX], size_t *outlen);

/* A 32-bit case-insensitive hash of a name. */
uint32_t tern_name_hash(const uint8_t *name);

#endif
