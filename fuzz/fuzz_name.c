/* fuzz_name.c: the name decompressor, at every offset of the input.
 *
 * The input is a message; tern_rd_name is started at each offset in turn
 * (so every byte is at some point a length, a pointer or a label byte).
 * What decodes must satisfy the name rules (labels <= 63, <= 255 bytes)
 * and survive three round trips unchanged:
 *   wire -> text -> wire (tern_name_to_text, tern_name_from_text),
 *   wire -> compressed in a message -> wire (tern_wr_name, tern_rd_name),
 * and the name helpers must agree with each other (case folding, order,
 * parent, hash).
 *
 * The checks depend on the name's bytes alone, and the offsets of one
 * input decode the same name again and again (every 0 byte is the root,
 * pointers share their targets, about half of all decodes in a grown
 * corpus are repeats), so each distinct name is checked once per input;
 * every offset is still decoded and its reader state checked. */
#include <string.h>

#include "fuzz.h"
#include "tern/name.h"

/* noinline: it keeps its coverage instrumentation when called from
 * check_once (which has none) */
__attribute__((noinline)) static void check_name(const uint8_t *name, size_t len)
{
	/* the rules tern_rd_name promises */
	FUZZ_CHECK(len >= 1 && len <= TERN_NAME_MAX);
	size_t off = 0;
	while (name[off]) {
		FUZZ_CHECK(name[off] <= TERN_LABEL_MAX);
		off += 1u + name[off];
		FUZZ_CHECK(off < len);
	}
	FUZZ_CHECK(off + 1 == len && tern_name_len(name) == len);

	/* wire -> text -> wire */
	char text[TERN_NAME_TEXT_MAX];
	int tl = tern_name_to_text(name, text, sizeof text);
	FUZZ_CHECK(tl > 0 && (size_t)tl == strlen(text));
	uint8_t back[TERN_NAME_MAX];
	size_t blen = 0;
	FUZZ_CHECK(tern_name_from_text(text, (size_t)tl, NULL, back, &blen) == 0);
	FUZZ_CHECK(blen == len && memcmp(back, name, len) == 0);

	/* compressed twice into a message, then read back */
	uint8_t msg[1024];
	tern_wr w;
	tern_ctab ct = {0};
	tern_wr_init(&w, msg, sizeof msg);
	tern_wr_u16(&w, 0);
	FUZZ_CHECK(tern_wr_name(&w, &ct, name) == 0);
	size_t second = w.pos;
	FUZZ_CHECK(tern_wr_name(&w, &ct, name) == 0);
	/* the second copy is one pointer (the root: itself), when the
	 * compression table could hold every suffix of the first: it keeps
	 * TERN_CTAB_MAX, the rightmost first, so a name of more labels is
	 * written again up to the longest suffix it holds, then a pointer */
	unsigned labels = 0;
	for (size_t o = 0; name[o]; o += 1u + name[o])
		labels++;
	if (labels <= TERN_CTAB_MAX)
		FUZZ_CHECK(w.pos - second == (len == 1 ? 1u : 2u));
	else
		FUZZ_CHECK(w.pos - second < len);
	tern_rd r;
	tern_rd_init(&r, msg, w.pos);
	r.pos = 2;
	for (int i = 0; i < 2; i++) {
		FUZZ_CHECK(tern_rd_name(&r, back, &blen) == 0);
		FUZZ_CHECK(blen == len && memcmp(back, name, len) == 0);
	}
	FUZZ_CHECK(r.pos == w.pos);

	/* the helpers agree */
	uint8_t lc[TERN_NAME_MAX];
	tern_name_lower(lc, name);
	FUZZ_CHECK(tern_name_eq(name, lc) && tern_name_cmp(name, lc) == 0 && tern_name_cmp(lc, name) == 0);
	FUZZ_CHECK(tern_name_hash(name) == tern_name_hash(lc));
	const uint8_t *parent = tern_name_parent(name);
	FUZZ_CHECK(tern_name_is_sub(name, parent));
	FUZZ_CHECK(tern_name_is_sub(name, (const uint8_t *)""));
	if (name[0]) {
		FUZZ_CHECK(tern_name_labels(name) == tern_name_labels(parent) + 1);
		FUZZ_CHECK(!tern_name_is_sub(parent, name));
		FUZZ_CHECK(tern_name_cmp(parent, name) < 0 && tern_name_cmp(name, parent) > 0);
		/* first label + parent gives the name again */
		FUZZ_CHECK(tern_name_concat(name, 1u + name[0], parent, back, &blen) == 0);
		FUZZ_CHECK(blen == len && memcmp(back, name, len) == 0);
	} else {
		FUZZ_CHECK(tern_name_labels(name) == 0);
	}
}

/* The distinct names of the current input (emptied before returning):
 * an open-addressing set over the exact bytes (case matters: the text
 * form keeps it). At most 4096 offsets + the text form. */
#define SEEN_MAX 4097
#define SEEN_SLOTS 8192 /* a power of two, about twice SEEN_MAX */
static uint8_t seen_name[SEEN_MAX][TERN_NAME_MAX];
static uint16_t seen_len[SEEN_MAX];
static uint16_t seen_slot[SEEN_SLOTS]; /* 0: empty, else index + 1 */
static uint16_t seen_used[SEEN_MAX];   /* the slots to empty */
static unsigned nseen;

/* Not instrumented for coverage: the set's own branches (probes,
 * collisions) are no coverage of tern and must not grow the corpus. */
#if defined(__clang__)
__attribute__((no_sanitize("coverage")))
#endif
static void check_once(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a: not tern_name_hash, which is under test */
	for (size_t i = 0; i < len; i++)
		h = (h ^ name[i]) * 16777619u;
	size_t slot = h & (SEEN_SLOTS - 1);
	while (seen_slot[slot]) {
		unsigned k = seen_slot[slot] - 1u;
		if (seen_len[k] == len && memcmp(seen_name[k], name, len) == 0)
			return; /* checked already */
		slot = (slot + 1) & (SEEN_SLOTS - 1);
	}
	check_name(name, len);
	FUZZ_CHECK(nseen < SEEN_MAX);
	memcpy(seen_name[nseen], name, len);
	seen_len[nseen] = (uint16_t)len;
	seen_used[nseen] = (uint16_t)slot;
	seen_slot[slot] = (uint16_t)++nseen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t last = size < 4096 ? size : 4096;
	for (size_t start = 0; start < last; start++) {
		tern_rd r;
		tern_rd_init(&r, data, size);
		r.pos = start;
		uint8_t name[TERN_NAME_MAX];
		size_t len = 0;
		if (tern_rd_name(&r, name, &len) == 0) {
			FUZZ_CHECK(r.err == 0 && r.pos > start && r.pos <= size);
			check_once(name, len);
		} else {
			FUZZ_CHECK(r.err != 0);
		}
	}

	/* the input as presentation text, too (relative to a short origin) */
	static const uint8_t origin[] = {3, 'o', 'r', 'g', 0};
	uint8_t name[TERN_NAME_MAX];
	size_t len = 0;
	if (size < 4096 && tern_name_from_text((const char *)data, size, origin, name, &len) == 0)
		check_once(name, len);

	for (unsigned i = 0; i < nseen; i++)
		seen_slot[seen_used[i]] = 0;
	nseen = 0;
	return 0;
}
