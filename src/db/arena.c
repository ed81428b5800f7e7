/* arena.c: see arena.h. Chunks of at least 1 MiB; larger requests get a
 * chunk of their own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/arena.h"

struct arena_chunk {
	arena_chunk *next;
	size_t size;
	_Alignas(16) char data[];
};

#define CHUNK (1u << 20)

void arena_init(arena *a)
{
	a->head = NULL;
	a->cur = a->end = NULL;
	a->total = 0;
}

void *arena_alloc(arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if ((size_t)(a->end - a->cur) < n || !a->cur) {
		size_t size = n > CHUNK / 4 ? n : CHUNK;
		arena_chunk *c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		c->size = size;
		a->total += size;
		if (size != CHUNK && a->head) {
			/* a big block: keep the current chunk for small requests */
			c->next = a->head->next;
			a->head->next = c;
			return c->data;
		}
		c->next = a->head;
		a->head = c;
		a->cur = c->data;
		a->end = c->data + size;
	}
	void *p = a->cur;
	a->cur += n;
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
		free(c);
		c = next;
	}
	arena_init(a);
}
