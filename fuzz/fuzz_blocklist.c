/* fuzz_blocklist.c: the block/allow-list parser (src/policy/blocklist.c).
 *
 * The first byte chooses a block list or an allow list; the rest is the
 * list's text. What loads must be usable: every name is a valid wire name
 * that looks itself up (exact and below, unless allowed), and a name no
 * list can hold ("invalid." is refused by nothing, so one made-up name)
 * is looked up without harm. pol_names_free releases it all. */
#include <string.h>

#include "fuzz.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool allow = data[0] & 1;
	pol_names s;
	pol_names_init(&s);
	fuzz_quiet();
	long n = pol_list_load_text(&s, "fuzz", (const char *)data + 1, size - 1, allow);
	fuzz_loud();
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK((size_t)n >= s.count);
	pol_names_freeze(&s);
	/* every entry: a well-formed lower-case name that finds itself */
	size_t seen = 0;
	for (uint32_t i = 0; s.slots && i <= s.mask; i++) {
		if (!s.slots[i].off)
			continue;
		seen++;
		const uint8_t *e = s.bytes + s.slots[i].off - 1;
		const uint8_t *name = e + 3;
		size_t len = tern_name_len(name);
		FUZZ_CHECK(len >= 2 && len <= TERN_NAME_MAX);
		FUZZ_CHECK(s.slots[i].hash == db_name_hash(name));
		for (const uint8_t *l = name; *l; l += 1 + *l) /* stored in lower case */
			for (unsigned k = 1; k <= *l; k++)
				FUZZ_CHECK(!(l[k] >= 'A' && l[k] <= 'Z'));
		db_qname qn;
		db_qname_init(&qn, name);
		pol_match m;
		bool hit = pol_names_lookup(&s, &qn, &m);
		FUZZ_CHECK(allow ? !hit : (hit && m.action == POL_BLOCK && m.exact));
		/* a child of it: blocked too (a name blocks its subtree) */
		if (len + 2 <= TERN_NAME_MAX && !allow) {
			uint8_t child[TERN_NAME_MAX];
			child[0] = 1;
			child[1] = 'x';
			memcpy(child + 2, name, len);
			db_qname_init(&qn, child);
			FUZZ_CHECK(pol_names_lookup(&s, &qn, &m) && m.action == POL_BLOCK);
		}
	}
	FUZZ_CHECK(seen == s.count);
	pol_names_free(&s);
	return 0;
}
