/* fuzz_update.c: a dynamic UPDATE message (RFC 2136) as the zone manager
 * takes it: the zone section read, the plan made against a fixed zone
 * (prerequisites, prescan, apex rules, serial), and, when it changes
 * something, the edits applied with zone_apply. Checks: a plan that says
 * NOERROR and a change applies to a zone that still has its SOA and NS
 * at the apex, and a higher serial; nothing leaks. */
#include <string.h>

#include "db/apply.h"
#include "fuzz.h"
#include "tern/msg.h"
#include "xfr/update.h"

static const char zone_text[] = "$ORIGIN u.test.\n$TTL 300\n"
                                "@ SOA ns hm 10 3600 600 86400 60\n"
                                "@ NS ns\n@ NS ns2\n@ MX 10 mail\n"
                                "ns A 192.0.2.1\nns2 A 192.0.2.2\n"
                                "www A 192.0.2.10\nwww A 192.0.2.11\nwww TXT \"x\"\n"
                                "alias CNAME www\na.b.c TXT \"deep\"\n"
                                "sub NS ns.sub\nns.sub A 192.0.2.53\n*.wild A 192.0.2.7\n";

static db_zone *zone;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!zone) {
		uint8_t origin[TERN_NAME_MAX];
		size_t len;
		if (tern_name_from_text("u.test.", 7, NULL, origin, &len))
			abort();
		db_diag d = {0};
		zone = zone_load_string(origin, "u.zone", zone_text, &d);
		FUZZ_CHECK(zone != NULL);
	}
	uint8_t zn[TERN_NAME_MAX];
	if (update_zone(data, size, zn) != TERN_R_NOERROR)
		return 0;
	update_plan p;
	update_plan_make(zone, data, size, &p);
	if (p.rcode == TERN_R_NOERROR && p.changed) {
		db_diag d = {0};
		db_zone *nz = zone_apply(zone, p.edits, p.nedits, 0, "fuzz", &d, NULL);
		if (nz) {
			FUZZ_CHECK(nz->soa != NULL && node_rrset(nz->apex, TERN_T_NS) != NULL);
			FUZZ_CHECK(nz->serial != zone->serial);
			zone_unref(nz);
		}
	}
	update_plan_free(&p);
	return 0;
}
