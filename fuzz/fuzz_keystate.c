/* fuzz_keystate.c: key state files (src/dnssec/keystate.c) and the
 * rollover state machine over them (src/dnssec/roll.c).
 *
 * Input: up to 6 state files separated by NUL bytes (a file holding a NUL
 * is an error anyway), each to dnssec_keystate_parse. Checks: an error has
 * a line within the file and a message; what parsed formats to text that
 * parses back to the same state, and formats to the same text again. When
 * every file parsed and no time is after the fuzz clock, the keys (a
 * zone's, as a key directory holds them) go through roll_advance at two times with a fixed policy, making the
 * keys it asks for: each state it leaves still formats and parses (the
 * machine never writes a file ternd would refuse), at most one KSK/CSK
 * and one ZSK signs, roll_next after a walk is after now, roll_describe
 * and roll_cds_key give answers within bounds. */
#include <string.h>

#include "dnssec/keystate.h"
#include "dnssec/roll.h"
#include "fuzz.h"

#define MAX_KEYS 16
#define NOW 1765000000

static void round_trip(const dnssec_keystate *ks)
{
	char text[DNSSEC_KEYSTATE_MAX], again[DNSSEC_KEYSTATE_MAX], err[160];
	size_t len = dnssec_keystate_format(ks, text, sizeof text);
	FUZZ_CHECK(len > 0 && len < sizeof text && text[len] == 0);
	dnssec_keystate back;
	unsigned line = 0;
	int rc = dnssec_keystate_parse(text, len, &back, &line, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\nline %u: %s\n", text, line, err);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(!memcmp(&back, ks, sizeof back));
	FUZZ_CHECK(dnssec_keystate_format(&back, again, sizeof again) == len && !memcmp(text, again, len));
}

static void roll(dnssec_keystate *k, size_t n, int64_t now)
{
	dnssec_keystate *v[MAX_KEYS];
	for (size_t i = 0; i < MAX_KEYS; i++)
		v[i] = &k[i];
	roll_policy p = {.zsk_lifetime = 100, .ksk_lifetime = 300, .propagation_delay = 5, .parent_ds_ttl = 30,
	                 .dnskey_ttl = 10, .max_ttl = 20, .single_type = n & 1};
	bool changed = false;
	for (int i = 0; i < 8; i++) {
		int role = roll_advance(v, n, &p, now, &changed);
		if (!role)
			break;
		FUZZ_CHECK(role >= DNSSEC_KSK && role <= DNSSEC_CSK);
		if (n == MAX_KEYS)
			return;
		k[n] = (dnssec_keystate){.role = (uint8_t)role, .alg = 13, .tag = (uint16_t)(60000 + n), .created = now};
		n++;
	}
	for (size_t i = 0; i < n; i++)
		round_trip(&k[i]);
	int64_t next = roll_next(v, n, &p, now);
	FUZZ_CHECK(next == 0 || next >= now);
	int c = roll_cds_key(v, n, false);
	FUZZ_CHECK(c >= -1 && c < (int)n);
	for (size_t i = 0; i < n; i++) {
		char st[64], nx[128];
		roll_describe(v, n, i, &p, now, st, sizeof st, nx, sizeof nx);
		FUZZ_CHECK(strlen(st) < sizeof st && strlen(nx) < sizeof nx);
	}
	roll_submitted(v, n, now);
	for (size_t i = 0; i < n; i++)
		round_trip(&k[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dnssec_keystate k[MAX_KEYS];
	size_t n = 0;
	bool all = true;
	for (size_t at = 0; at <= size && n < 6;) {
		const uint8_t *end = memchr(data + at, 0, size - at);
		size_t len = end ? (size_t)(end - (data + at)) : size - at;
		char err[160];
		unsigned line = 0;
		err[0] = 0;
		if (dnssec_keystate_parse((const char *)data + at, len, &k[n], &line, err, sizeof err)) {
			FUZZ_CHECK(err[0] && strlen(err) < sizeof err);
			unsigned lines = 1;
			for (size_t i = 0; i < len; i++)
				lines += data[at + i] == '\n';
			FUZZ_CHECK(line <= lines);
			all = false;
		} else {
			round_trip(&k[n]);
			n++;
		}
		if (!end)
			break;
		at += len + 1;
	}
	if (!all || !n)
		return 0;
	/* the machine starts from any state the parser accepts that was
	 * written before now (a clock that went back is not its case) */
	for (size_t i = 0; i < n; i++) {
		const int64_t t[] = {k[i].created, k[i].publish, k[i].ready, k[i].active, k[i].submitted, k[i].retire,
		                     k[i].remove};
		for (size_t j = 0; j < sizeof t / sizeof t[0]; j++)
			if (t[j] > NOW)
				return 0;
	}
	dnssec_keystate copy[MAX_KEYS];
	memcpy(copy, k, sizeof k[0] * n);
	roll(k, n, NOW);
	roll(copy, n, NOW + 10000);
	return 0;
}
