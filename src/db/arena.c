/* arena.c: see arena.h. Chunks come straight from mmap, so freeing an
 * arena gives its memory back to the system at once (through malloc, the
 * chunks of a big zone's temporary arena could stay in the process, wedged
 * between the zone's own). A new chunk is twice the size of the previous
 * one, from 1 MiB to 32 MiB; a request of more than a quarter of that gets
 * a chunk of its own. Pages of a chunk cost memory only once touched;
 * they are populated a step ahead of use. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "db/arena.h"

/* Under AddressSanitizer the part of a chunk not handed out yet (and the
 * padding after each block) is poisoned, so an overflow past a block is
 * reported as it would be with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct arena_chunk {
	arena_chunk *next;
	size_t size;  /* of the whole mapping */
	char *filled; /* pages before this are populated */
	_Alignas(16) char data[];
};

#define FILL_STEP ((size_t)1 << 20)

#define CHUNK_MIN ((size_t)1 << 20)
#define CHUNK_MAX ((size_t)32 << 20)

void arena_init(arena *a)
{
	a->head = NULL;
	a->cur = a->end = NULL;
	a->total = 0;
	a->first = 0;
}

void arena_init_small(arena *a)
{
	arena_init(a);
	a->first = 4096;
}

static arena_chunk *chunk_new(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	arena_chunk *c = p;
	c->size = size;
	c->filled = (char *)p + 4096;
	POISON(c->data, size - offsetof(arena_chunk, data));
	return c;
}

void *arena_alloc(arena *a, size_t n)
{
	size_t want = n;
	n = (n + 7) & ~(size_t)7;
	if (n < want) /* overflow */
		return NULL;
	if ((size_t)(a->end - a->cur) < n || !a->cur) {
		size_t next = a->head ? a->head->size * 2 : a->first ? a->first : CHUNK_MIN;
		if (next > CHUNK_MAX)
			next = CHUNK_MAX;
		bool own = n > (next - sizeof(arena_chunk)) / 4;
		size_t size = own ? (sizeof(arena_chunk) + n + 4095) & ~(size_t)4095 : next;
		if (size < n) /* overflow */
			return NULL;
		arena_chunk *c = chunk_new(size);
		if (!c)
			return NULL;
		a->total += size;
		if (own && a->head) {
			/* a big block: keep the current chunk for small requests */
			c->next = a->head->next;
			a->head->next = c;
			UNPOISON(c->data, want);
			return c->data;
		}
		c->next = a->head;
		a->head = c;
		a->cur = c->data;
		a->end = (char *)c + size;
	}
	void *p = a->cur;
	a->cur += n;
	UNPOISON(p, want);
#ifdef MADV_POPULATE_WRITE
	/* Fault the pages in ahead, 1 MiB at a time: one system call instead of
	 * a page fault per 4 KiB page (a 1M-name zone touches some 70k pages
	 * here). Without kernel support (before Linux 5.14) it fails and the
	 * pages fault in as usual. */
	arena_chunk *c = a->head;
	if (a->cur > c->filled && a->end == (char *)c + c->size) {
		char *to = c->filled + FILL_STEP;
		while (to < a->cur)
			to += FILL_STEP;
		if (to > a->end)
			to = a->end;
		(void)madvise(c->filled, (size_t)(to - c->filled), MADV_POPULATE_WRITE);
		c->filled = to;
	}
#endif
	return p;
}

void *arena_dup(arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n ? n : 1);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

void arena_free(arena *a)
{
	arena_chunk *c = a->head;
	while (c) {
		arena_chunk *next = c->next;
		UNPOISON(c, c->size); /* the next mapping there starts clean */
		munmap(c, c->size);
		c = next;
	}
	arena_init(a);
}
