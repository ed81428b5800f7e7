/* fuzz_catalog.c: what a catalog consumer reads (RFC 9432).
 *
 * The input is the text of a catalog zone (origin cat.invalid.), as a
 * transfer or the disk copy would give it: zone_load_string, then
 * catalog_read with a small and a large bound, catalog_members, and for
 * each member the file a consumer would keep it in.
 *
 * Checks: a count only for a zone with "version" TXT "2"; each member's
 * zone is a well-formed name and its member node is one label below
 * zones.cat.invalid.; no zone twice; the small bound reports the same
 * count and stores no more than it may; catalog_members agrees; a member
 * file stays in its directory (no '/' after it) and is short enough for a
 * file name; what a producer makes of the members reads back as the same
 * set. Everything is freed. */
#include <string.h>

#include "db/zone.h"
#include "fuzz.h"
#include "server/config.h"
#include "tern/rr.h"
#include "xfr/catalog.h"
#include "xfr/catalog_config.h"

static const uint8_t origin[] = "\3cat\7invalid";
static const uint8_t zones_name[] = "\5zones\3cat\7invalid";

#define BIG 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (strstr(text, "$INCLUDE") || strstr(text, "$include")) { /* never the machine's files */
		free(text);
		return 0;
	}
	db_diag d = {0};
	db_zone *z = zone_load_string(origin, "fuzz", text, &d);
	free(text);
	if (!z)
		return 0;
	static catalog_member m[BIG], few[2];
	char why[512] = "";
	long n = catalog_read(z, m, BIG, why, sizeof why);
	long k = catalog_read(z, few, 2, NULL, 0);
	if (n < 0) {
		FUZZ_CHECK(n == CATALOG_BAD_VERSION || n == CATALOG_BROKEN);
		FUZZ_CHECK(why[0] && !strchr(why, '\n'));
	} else {
		FUZZ_CHECK(k == n); /* past the bound: the count, nothing more stored */
	}
	const uint8_t *names[BIG];
	long c = catalog_members(z, names, BIG);
	FUZZ_CHECK(n < 0 ? c == -1 : c == n);
	cfg_zone cz;
	memset(&cz, 0, sizeof cz);
	cz.file = (char *)"dir/cat.zone";
	const uint8_t *list[BIG];
	for (long i = 0; i < n && i < BIG; i++) {
		FUZZ_CHECK(tern_name_len(m[i].zone) <= TERN_NAME_MAX);
		FUZZ_CHECK(m[i].id[0] >= 1 && m[i].id[0] <= 63);
		FUZZ_CHECK(tern_name_eq(m[i].id + 1 + m[i].id[0], zones_name));
		for (long j = 0; j < i; j++)
			FUZZ_CHECK(!tern_name_eq(m[i].zone, m[j].zone));
		char *f = catalog_member_file(&cz, m[i].zone);
		FUZZ_CHECK(f && !strncmp(f, "dir/", 4) && !strchr(f + 4, '/') && strlen(f + 4) <= 240);
		FUZZ_CHECK(strcmp(f + 4, ".zone") && strcmp(f + 4, "..zone"));
		free(f);
		list[i] = m[i].zone;
	}
	if (n > 0 && n <= BIG) {
		db_diag pd = {0};
		db_zone *p = catalog_produce(origin, list, (size_t)n, NULL, 1, &pd);
		FUZZ_CHECK(p);
		static catalog_member back[BIG];
		FUZZ_CHECK(catalog_read(p, back, BIG, NULL, 0) == n);
		for (long i = 0; i < n; i++) {
			bool found = false;
			for (long j = 0; j < n && !found; j++)
				found = tern_name_eq(back[j].zone, m[i].zone);
			FUZZ_CHECK(found);
		}
		zone_unref(p);
	}
	zone_unref(z);
	return 0;
}
