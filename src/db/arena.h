/* arena.h: a bump allocator for data that live and die together (one
 * zone version, one configuration). Freed as a whole, never piece by piece. */
#ifndef TERN_DB_ARENA_H
#define TERN_DB_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;
typedef struct arena {
	arena_chunk *head;
	char *cur, *end;
	size_t total; /* bytes obtained from malloc */
	size_t first; /* size of the first chunk; 0: the default (1 MiB) */
} arena;

void arena_init(arena *a);
/* An arena for a few KiB (a zone change): its first chunk is one page. */
void arena_init_small(arena *a);
/* Returns 8-byte aligned memory, or NULL when out of memory. */
void *arena_alloc(arena *a, size_t n);
void *arena_dup(arena *a, const void *p, size_t n);
void arena_free(arena *a);

#endif
