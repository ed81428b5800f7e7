/* roll.c: the key timing state machine (roll.h). One walk over the keys
 * either takes the steps due (roll_advance) or finds when the next one is
 * (roll_next), so the two cannot disagree. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dnssec/roll.h"

typedef struct plan {
	int64_t now;
	bool apply;   /* take the steps due */
	bool changed; /* a step was taken */
	int gen;      /* the role of a key to make (apply) */
	int64_t next; /* the earliest step not due (or due, when !apply) */
} plan;

static bool live(const dnssec_keystate *k)
{
	return !k->remove;
}

static bool sep(const dnssec_keystate *k)
{
	return k->role != DNSSEC_ZSK;
}

/* A step due at `at`: true when it is to be taken now. */
static bool due(plan *pl, int64_t at)
{
	if (at <= pl->now && pl->apply)
		return true;
	if (at < pl->now)
		at = pl->now;
	if (!pl->next || at < pl->next)
		pl->next = at;
	return false;
}

static void set(plan *pl, int64_t *field)
{
	*field = pl->now;
	pl->changed = true;
}

static void need(plan *pl, int role)
{
	if (due(pl, pl->now) && !pl->gen)
		pl->gen = role;
}

/* a is newer than b: published later (or, in the same second, made later) */
static bool newer(const dnssec_keystate *a, const dnssec_keystate *b)
{
	return a->publish != b->publish ? a->publish > b->publish : a->created > b->created;
}

/* The live KSK/CSK published last that is not retiring: the one the
 * parent's DS should name (now or once the roll completes). */
static dnssec_keystate *newest_sep(dnssec_keystate *const *keys, size_t n)
{
	dnssec_keystate *best = NULL;
	for (size_t i = 0; i < n; i++) {
		dnssec_keystate *k = keys[i];
		if (live(k) && sep(k) && k->publish && !k->retire && (!best || newer(k, best)))
			best = k;
	}
	return best;
}

static bool signing(const dnssec_keystate *k)
{
	return live(k) && k->active && !k->retire;
}

static void walk(dnssec_keystate *const *keys, size_t n, const roll_policy *p, plan *pl)
{
	int64_t ipub = (int64_t)p->dnskey_ttl + p->propagation_delay;
	int sep_role = 0;
	bool any_sep = false, any_zsk = false;
	for (size_t i = 0; i < n; i++) {
		if (!live(keys[i]))
			continue;
		if (sep(keys[i])) {
			any_sep = true;
			sep_role = keys[i]->role;
		} else {
			any_zsk = true;
		}
	}
	/* the roles of a zone's keys stay what they were made as; the
	 * setting decides for a zone's first keys */
	if (!sep_role)
		sep_role = p->single_type ? DNSSEC_CSK : DNSSEC_KSK;
	bool need_zsk = sep_role == DNSSEC_KSK;

	/* a new key: published at once; the first of its kind active at once
	 * too (and a first KSK ready), a new KSK active at once (double
	 * signature) */
	for (size_t i = 0; i < n; i++) {
		dnssec_keystate *k = keys[i];
		if (!live(k) || k->publish || !due(pl, k->created))
			continue;
		bool first = true;
		for (size_t j = 0; j < n; j++)
			if (j != i && sep(keys[j]) == sep(k) && signing(keys[j]))
				first = false;
		set(pl, &k->publish);
		if (sep(k) || first)
			set(pl, &k->active);
		if (sep(k) && first)
			set(pl, &k->ready);
	}

	/* KSK / CSK: double signature */
	for (size_t i = 0; i < n; i++) {
		dnssec_keystate *k = keys[i];
		/* RFC 7583 3.3.1: the new DNSKEY is in caches everywhere before
		 * the parent may point at it */
		if (live(k) && sep(k) && k->publish && k->active && !k->ready && !k->retire && due(pl, k->publish + ipub))
			set(pl, &k->ready);
	}
	dnssec_keystate *top = newest_sep(keys, n);
	if (top) {
		bool olds = false;
		for (size_t i = 0; i < n; i++)
			olds |= keys[i] != top && live(keys[i]) && sep(keys[i]) && !keys[i]->retire;
		if (olds) {
			/* RFC 7583 3.3.1: Iret = DprpP + TTLds after the new DS is
			 * at the parent (DprpP: it is there when the operator says
			 * so); our own propagation delay on top, so that no
			 * secondary drops the old key early */
			if (top->submitted && due(pl, top->submitted + p->parent_ds_ttl + p->propagation_delay))
				for (size_t i = 0; i < n; i++) {
					dnssec_keystate *k = keys[i];
					if (k != top && live(k) && sep(k) && !k->retire) {
						if (!k->active)
							set(pl, &k->active);
						set(pl, &k->retire);
						set(pl, &k->remove);
					}
				}
		} else if (p->ksk_lifetime && top->active) {
			if (due(pl, top->active + p->ksk_lifetime))
				need(pl, top->role);
		}
	} else if (!any_sep) {
		need(pl, sep_role);
	}

	/* ZSK: pre-publication */
	if (!need_zsk && !any_zsk)
		return;
	dnssec_keystate *pending = NULL, *current = NULL;
	for (size_t i = 0; i < n; i++) {
		dnssec_keystate *k = keys[i];
		if (!live(k) || sep(k))
			continue;
		if (k->publish && !k->active)
			pending = k;
		else if (signing(k) && (!current || newer(k, current)))
			current = k;
	}
	if (pending && due(pl, pending->publish + ipub)) {
		set(pl, &pending->active);
		for (size_t i = 0; i < n; i++)
			if (keys[i] != pending && !sep(keys[i]) && signing(keys[i]))
				set(pl, &keys[i]->retire);
		current = pending;
		pending = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		dnssec_keystate *k = keys[i];
		/* RFC 7583 3.2.1: Iret = Dsgn + Dprp + TTLsig, Dsgn = 0 */
		if (live(k) && !sep(k) && k->retire && due(pl, k->retire + (int64_t)p->max_ttl + p->propagation_delay))
			set(pl, &k->remove);
	}
	if (!need_zsk)
		return;
	bool fresh = false;
	for (size_t i = 0; i < n; i++)
		fresh |= live(keys[i]) && !sep(keys[i]) && !keys[i]->publish;
	if (fresh)
		return;
	if (!current && !pending)
		need(pl, DNSSEC_ZSK);
	else if (current && !pending && p->zsk_lifetime && due(pl, current->active + p->zsk_lifetime))
		need(pl, DNSSEC_ZSK);
}

int roll_advance(dnssec_keystate *const *keys, size_t n, const roll_policy *p, int64_t now, bool *changed)
{
	/* a step can make another due at once (a new key is published and,
	 * being the first, active); a few walks settle it */
	for (int round = 0; round < 8; round++) {
		plan pl = {.now = now, .apply = true};
		walk(keys, n, p, &pl);
		*changed |= pl.changed;
		if (pl.gen)
			return pl.gen;
		if (!pl.changed)
			break;
	}
	return 0;
}

int64_t roll_next(dnssec_keystate *const *keys, size_t n, const roll_policy *p, int64_t now)
{
	plan pl = {.now = now};
	walk(keys, n, p, &pl);
	return pl.next;
}

bool roll_published(const dnssec_keystate *k)
{
	return k->publish && !k->remove;
}

bool roll_signs_keys(const dnssec_keystate *k)
{
	return sep(k) && signing(k);
}

bool roll_signs_data(const dnssec_keystate *k)
{
	return k->role != DNSSEC_KSK && signing(k);
}

int roll_cds_key(dnssec_keystate *const *keys, size_t n, bool only_unsubmitted)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		const dnssec_keystate *k = keys[i];
		if (!live(k) || !sep(k) || !k->ready || k->retire)
			continue;
		if (best < 0 || k->ready > keys[best]->ready ||
		    (k->ready == keys[best]->ready && newer(k, keys[best])))
			best = (int)i;
	}
	if (best >= 0 && only_unsubmitted && keys[best]->submitted)
		return -1;
	return best;
}

size_t roll_submitted(dnssec_keystate *const *keys, size_t n, int64_t now)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++) {
		dnssec_keystate *k = keys[i];
		if (live(k) && sep(k) && k->ready && !k->submitted && !k->retire) {
			k->submitted = now;
			c++;
		}
	}
	return c;
}

static void at_text(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, cap, "?");
}

void roll_describe(dnssec_keystate *const *keys, size_t n, size_t i, const roll_policy *p, int64_t now, char *state,
                   size_t scap, char *next, size_t ncap)
{
	const dnssec_keystate *k = keys[i];
	int64_t ipub = (int64_t)p->dnskey_ttl + p->propagation_delay;
	char t[32];
	snprintf(next, ncap, "-");
	if (k->remove) {
		snprintf(state, scap, "removed");
		return;
	}
	if (!k->publish) {
		snprintf(state, scap, "created");
		snprintf(next, ncap, "published at the next signing");
		return;
	}
	if (k->retire) {
		snprintf(state, scap, "retired");
		at_text(k->retire + (int64_t)p->max_ttl + p->propagation_delay, t, sizeof t);
		snprintf(next, ncap, "removed at %s", t);
		return;
	}
	if (!k->active) {
		snprintf(state, scap, "published");
		at_text(k->publish + ipub, t, sizeof t);
		snprintf(next, ncap, "active at %s", t);
		return;
	}
	const dnssec_keystate *top = newest_sep(keys, n);
	bool pending_zsk = false;
	for (size_t j = 0; j < n; j++)
		pending_zsk |= live(keys[j]) && !sep(keys[j]) && keys[j]->publish && !keys[j]->active;
	uint32_t life = sep(k) ? p->ksk_lifetime : p->zsk_lifetime;
	if (!sep(k)) {
		snprintf(state, scap, "active");
	} else if (!k->ready) {
		snprintf(state, scap, "active, not ready for its DS yet");
		at_text(k->publish + ipub, t, sizeof t);
		snprintf(next, ncap, "ready for its DS at %s", t);
		return;
	} else if (!k->submitted) {
		snprintf(state, scap, "active, ready: DS to submit");
		snprintf(next, ncap, "put its DS in the parent, then: ternctl zone-ksk-submitted");
		return;
	} else {
		snprintf(state, scap, "active, DS at the parent");
	}
	if (sep(k) && top && top != k) {
		if (top->submitted) {
			at_text(top->submitted + p->parent_ds_ttl + p->propagation_delay, t, sizeof t);
			snprintf(next, ncap, "removed at %s (its successor's DS is at the parent)", t);
		} else {
			snprintf(next, ncap, "removed once its successor's DS is at the parent (ternctl zone-ksk-submitted)");
		}
		return;
	}
	if (!sep(k) && pending_zsk) {
		snprintf(next, ncap, "retired when the new ZSK is active");
		return;
	}
	if (!life) {
		snprintf(next, ncap, "no rollover (lifetime 0)");
		return;
	}
	int64_t at = k->active + life;
	at_text(at < now ? now : at, t, sizeof t);
	snprintf(next, ncap, "rollover starts at %s", t);
}
