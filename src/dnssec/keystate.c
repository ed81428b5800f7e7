/* keystate.c: a key's state file, parsed and written (keystate.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dnssec/keystate.h"

static const char *const role_names[] = {"?", "ksk", "zsk", "csk"};

const char *dnssec_role_name(uint8_t role)
{
	return role <= DNSSEC_CSK ? role_names[role] : "?";
}

enum { F_ROLE, F_ALG, F_TAG, F_CREATED, F_PUBLISH, F_READY, F_ACTIVE, F_SUBMITTED, F_RETIRE, F_REMOVE, F_N };
static const char *const fields[F_N] = {"role",   "algorithm", "tag",    "created", "publish",
                                        "ready",  "active",    "submitted", "retire", "remove"};

static int64_t *time_field(dnssec_keystate *ks, int f)
{
	switch (f) {
	case F_CREATED: return &ks->created;
	case F_PUBLISH: return &ks->publish;
	case F_READY: return &ks->ready;
	case F_ACTIVE: return &ks->active;
	case F_SUBMITTED: return &ks->submitted;
	case F_RETIRE: return &ks->retire;
	case F_REMOVE: return &ks->remove;
	default: return NULL;
	}
}

static bool digits(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DDTHH:MM:SSZ", a real UTC time after 1970 */
static int parse_time(const char *s, size_t n, int64_t *out)
{
	unsigned y, mo, d, h, mi, se;
	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
	    !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return -1;
	struct tm tm = {.tm_year = (int)y - 1900, .tm_mon = (int)mo - 1, .tm_mday = (int)d,
	                .tm_hour = (int)h, .tm_min = (int)mi, .tm_sec = (int)se};
	time_t t = timegm(&tm);
	struct tm back;
	/* 31 February and the like come back as another day */
	if (t <= 0 || !gmtime_r(&t, &back) || back.tm_mday != (int)d || back.tm_mon != (int)mo - 1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

#define FAIL(ln, ...)                                                                                             \
	do {                                                                                                      \
		*line = (ln);                                                                                     \
		snprintf(err, errcap, __VA_ARGS__);                                                               \
		return -1;                                                                                        \
	} while (0)

int dnssec_keystate_parse(const char *text, size_t len, dnssec_keystate *ks, unsigned *line, char *err,
                          size_t errcap)
{
	memset(ks, 0, sizeof *ks);
	unsigned seen[F_N] = {0}; /* the line of each field */
	if (len > DNSSEC_KEYSTATE_MAX)
		FAIL(0, "longer than %u bytes", DNSSEC_KEYSTATE_MAX);
	unsigned ln = 0;
	for (size_t at = 0; at < len;) {
		ln++;
		const char *s = text + at;
		const char *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;
		at += n + (nl != NULL);
		if (memchr(s, 0, n) || memchr(s, '\r', n))
			FAIL(ln, "a NUL or carriage return in the line");
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (!n || s[0] == '#')
			continue;
		const char *colon = memchr(s, ':', n);
		if (!colon)
			FAIL(ln, "expected 'field: value'");
		size_t fl = (size_t)(colon - s);
		int f = 0;
		while (f < F_N && (strlen(fields[f]) != fl || memcmp(fields[f], s, fl)))
			f++;
		if (f == F_N)
			FAIL(ln, "unknown field '%.*s'", (int)(fl > 32 ? 32 : fl), s);
		if (seen[f])
			FAIL(ln, "'%s' again (first at line %u)", fields[f], seen[f]);
		seen[f] = ln;
		const char *v = colon + 1;
		size_t vn = n - fl - 1;
		if (!vn || (*v != ' ' && *v != '\t'))
			FAIL(ln, "'%s' needs a value after ': '", fields[f]);
		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		unsigned u;
		if (f == F_ROLE) {
			for (uint8_t r = DNSSEC_KSK; r <= DNSSEC_CSK; r++)
				if (vn == 3 && !memcmp(v, role_names[r], 3))
					ks->role = r;
			if (!ks->role)
				FAIL(ln, "role must be ksk, zsk or csk");
		} else if (f == F_ALG) {
			if (vn < 1 || vn > 3 || !digits(v, vn, &u) || u < 1 || u > 255 || (vn > 1 && *v == '0'))
				FAIL(ln, "algorithm must be a number 1..255");
			ks->alg = (uint8_t)u;
		} else if (f == F_TAG) {
			if (vn < 1 || vn > 5 || !digits(v, vn, &u) || u > 65535 || (vn > 1 && *v == '0'))
				FAIL(ln, "tag must be a number 0..65535");
			ks->tag = (uint16_t)u;
		} else if (parse_time(v, vn, time_field(ks, f))) {
			FAIL(ln, "%s must be a UTC time as 2026-12-06T12:00:00Z", fields[f]);
		}
	}
	static const int required[] = {F_ROLE, F_ALG, F_TAG, F_CREATED};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!seen[required[i]])
			FAIL(0, "no '%s' line", fields[required[i]]);
	/* each time needs the one before it (need), and none comes before
	 * the one it follows */
	static const struct {
		int later, earlier;
		bool need;
	} order[] = {{F_PUBLISH, F_CREATED, true}, {F_ACTIVE, F_PUBLISH, true}, {F_READY, F_PUBLISH, true},
	             {F_SUBMITTED, F_READY, true}, {F_RETIRE, F_ACTIVE, true},  {F_REMOVE, F_PUBLISH, true},
	             {F_REMOVE, F_RETIRE, false}};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		int64_t a = *time_field(ks, order[i].later), b = *time_field(ks, order[i].earlier);
		if (a && !b && order[i].need)
			FAIL(seen[order[i].later], "'%s' without '%s'", fields[order[i].later], fields[order[i].earlier]);
		if (a && b && a < b)
			FAIL(seen[order[i].later], "'%s' before '%s'", fields[order[i].later], fields[order[i].earlier]);
	}
	if (ks->role == DNSSEC_ZSK && (ks->ready || ks->submitted))
		FAIL(seen[ks->ready ? F_READY : F_SUBMITTED], "a ZSK has no '%s' (its DS is not at the parent)",
		     ks->ready ? "ready" : "submitted");
	return 0;
}

size_t dnssec_keystate_format(const dnssec_keystate *ks, char *out, size_t cap)
{
	size_t len = 0;
	int w = snprintf(out, cap, "# tern key state (RFC 7583 key timing, UTC)\nrole: %s\nalgorithm: %u\ntag: %u\n",
	                 dnssec_role_name(ks->role), ks->alg, ks->tag);
	if (w < 0 || (size_t)w >= cap)
		return 0;
	len = (size_t)w;
	dnssec_keystate copy = *ks;
	for (int f = F_CREATED; f < F_N; f++) {
		int64_t t = *time_field(&copy, f);
		if (!t)
			continue;
		time_t tt = (time_t)t;
		struct tm tm;
		if (!gmtime_r(&tt, &tm))
			return 0;
		w = snprintf(out + len, cap - len, "%s: %04d-%02d-%02dT%02d:%02d:%02dZ\n", fields[f], tm.tm_year + 1900,
		             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (w < 0 || (size_t)w >= cap - len)
			return 0;
		len += (size_t)w;
	}
	return len;
}
