/* fuzz_validate.c: the validator (src/validate/) on what arbitrary upstream
 * answers leave in the cache.
 *
 * Input: upstream answers, each as u16 length + message. Each goes through
 * fwd_sanitize_cd (asked with CD=1, as validation asks) into a fresh cache;
 * then the entry of the last answer's question is judged by val_entry with
 * a fixed trust anchor (the root KSK of the seeds in corpus/validate, made
 * by dnssec-signzone, valid 2025-2040) at a fixed time. Checks: a
 * documented result; a verdict (not VAL_NEED) is stored and the same
 * verdict comes back on a second call; VAL_NEED asks for a DS or DNSKEY;
 * the NSEC/NSEC3/RRSIG parsing never reads past the data (ASan); no leak. */
#include <string.h>

#include "fuzz.h"
#include "resolve/cache.h"
#include "resolve/forward.h"
#include "tern/msg.h"
#include "tern/rr.h"
#include "validate/validate.h"

#define NOW_S 1800000000u /* 2027-01-15 */

static val_conf *vc;
static fwd_result res;

static void init(void)
{
	if (vc)
		return;
	FUZZ_CHECK(val_conf_option(&vc, "trust-anchor",
	                           ". DNSKEY 257 3 13 EoSjL+ubtT4ThqOPAbRYGuOjNkQ4YJF8renA2rSUxBh+cSwlQ+bkslOd "
	                           "FzkgYyWYl7Ft7MCgYuFMEw/FRergNg==",
	                           "fuzz", NULL) == 0);
	FUZZ_CHECK(val_conf_option(&vc, "domain-insecure", "skip.example.", "fuzz", NULL) == 0);
	FUZZ_CHECK(val_conf_finish(&vc) == 0 && vc->on);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	cache_opts o = {.max_bytes = 1 << 20, .stripes = 4};
	cache *c = cache_new(&o);
	if (!c)
		return 0;
	uint8_t qname[TERN_NAME_MAX] = {0};
	uint16_t qtype = 0;
	bool have = false;
	size_t off = 0;
	for (int n = 0; n < 16 && size - off >= 2; n++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (size - off < len)
			break;
		const uint8_t *pkt = data + off;
		off += len;
		tern_msg_iter it;
		tern_rr q;
		if (tern_msg_iter_init(&it, pkt, len) || it.hdr.count[TERN_S_QUESTION] < 1 || tern_msg_next(&it, &q) != 1)
			continue;
		if (fwd_sanitize_cd(pkt, len, it.hdr.id, q.owner, q.type, true, NULL, c, 1000, &res) == FWD_OK) {
			memcpy(qname, q.owner, q.owner_len);
			qtype = q.type;
			have = true;
		}
	}
	cache_hit h;
	if (have && qtype != TERN_T_ANY && cache_get_q(c, qname, qtype, 1000, CACHE_Q_CD, NULL, qname, &h) == 0 &&
	    h.kind != CACHE_MISS) {
		/* the entry cache_get serves for (qname, qtype) may be a CNAME's */
		uint16_t t = qtype;
		val_need need;
		char why[96];
		enum val_result r = val_entry(vc, c, 1000, NOW_S, qname, t, &need, why, sizeof why);
		FUZZ_CHECK(r == VAL_SECURE || r == VAL_INSECURE || r == VAL_BOGUS || r == VAL_NEED);
		FUZZ_CHECK(memchr(why, 0, sizeof why) != NULL);
		if (r == VAL_NEED) {
			FUZZ_CHECK(need.type == TERN_T_DS || need.type == TERN_T_DNSKEY || tern_name_eq(need.name, qname));
		} else {
			val_need need2;
			FUZZ_CHECK(val_entry(vc, c, 1000, NOW_S, qname, t, &need2, why, sizeof why) == r);
		}
	}
	cache_free(c);
	return 0;
}
