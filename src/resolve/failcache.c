/* failcache.c: the resolution-failure cache (see failcache.h). */
#include "resolve/failcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "resolve/attempt.h"
#include "tern/name.h"

#define LOCKS 16

typedef struct slot {
	uint64_t until;   /* held until (ms); 0: free */
	uint32_t hold;    /* the hold it was given (ms) */
	uint16_t qtype;
	uint16_t ede;
	uint8_t name[TERN_NAME_MAX]; /* lower case */
} slot;

struct failcache {
	pthread_mutex_t locks[LOCKS];
	unsigned mask;
	slot *slots;
};

failcache *failcache_new(unsigned slots)
{
	unsigned n = 1;
	while (n < slots && n < (1u << 20))
		n *= 2;
	failcache *fc = calloc(1, sizeof *fc);
	if (!fc)
		return NULL;
	fc->slots = calloc(n, sizeof *fc->slots);
	if (!fc->slots) {
		free(fc);
		return NULL;
	}
	fc->mask = n - 1;
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_init(&fc->locks[i], NULL);
	return fc;
}

void failcache_free(failcache *fc)
{
	if (!fc)
		return;
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&fc->locks[i]);
	free(fc->slots);
	free(fc);
}

/* The slot of (name, qtype), locked; lc receives the name in lower case. */
static slot *find(failcache *fc, const uint8_t *name, uint16_t qtype, uint8_t *lc, pthread_mutex_t **lock)
{
	tern_name_lower(lc, name);
	uint32_t h = tern_name_hash(lc) * 31u + qtype;
	*lock = &fc->locks[h % LOCKS];
	pthread_mutex_lock(*lock);
	return &fc->slots[h & fc->mask];
}

static bool same(const slot *s, const uint8_t *lc, uint16_t qtype)
{
	return s->until && s->qtype == qtype && tern_name_eq(s->name, lc);
}

uint32_t failcache_put(failcache *fc, const uint8_t *name, uint16_t qtype, uint64_t now, uint16_t ede)
{
	uint8_t lc[TERN_NAME_MAX];
	pthread_mutex_t *lock;
	slot *s = find(fc, name, qtype, lc, &lock);
	bool known = same(s, lc, qtype);
	uint32_t hold = fwd_failure_hold_ms(known ? s->hold : 0, known ? s->until : 0, now);
	s->until = now + hold;
	s->hold = hold;
	s->qtype = qtype;
	s->ede = ede;
	memcpy(s->name, lc, tern_name_len(lc));
	pthread_mutex_unlock(lock);
	return hold;
}

bool failcache_get(failcache *fc, const uint8_t *name, uint16_t qtype, uint64_t now, uint16_t *ede)
{
	uint8_t lc[TERN_NAME_MAX];
	pthread_mutex_t *lock;
	slot *s = find(fc, name, qtype, lc, &lock);
	bool held = same(s, lc, qtype) && now < s->until;
	if (held)
		*ede = s->ede;
	pthread_mutex_unlock(lock);
	return held;
}

void failcache_clear(failcache *fc, const uint8_t *name, uint16_t qtype)
{
	uint8_t lc[TERN_NAME_MAX];
	pthread_mutex_t *lock;
	slot *s = find(fc, name, qtype, lc, &lock);
	if (same(s, lc, qtype))
		s->until = 0;
	pthread_mutex_unlock(lock);
}
