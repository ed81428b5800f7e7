/* fuzz_verify.c: the DNSSEC primitives (src/dnssec/verify.c) on arbitrary
 * RRset, RRSIG and DNSKEY wire data.
 *
 * Input: u16 key length, DNSKEY RDATA, u16 RRSIG length, RRSIG RDATA, then
 * RDATA of the RRset (u16 length, bytes) to the end; the owner is
 * example. (or *.example.'s expansion x.example. when the first byte of the
 * key is odd), type the RRSIG's type covered. Checks: a documented result,
 * no read past the input (ASan), the key tag and the DS digests of any key
 * computed without fault, and an RRset that verified verifies again when
 * its RRs come in reverse order (RFC 4034 6.3: order does not matter). */
#include <string.h>

#include "dnssec/verify.h"
#include "fuzz.h"
#include "tern/wire.h"

#define MAX_RRS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	if (size < 2)
		return 0;
	size_t klen = tern_get_u16(data);
	off = 2;
	if (size - off < klen)
		return 0;
	const uint8_t *key = data + off;
	off += klen;
	if (size - off < 2)
		return 0;
	size_t slen = tern_get_u16(data + off);
	off += 2;
	if (size - off < slen)
		return 0;
	const uint8_t *sig = data + off;
	off += slen;
	dnssec_rdata rrs[MAX_RRS], rev[MAX_RRS];
	unsigned n = 0;
	while (n < MAX_RRS && size - off >= 2) {
		size_t l = tern_get_u16(data + off);
		off += 2;
		if (size - off < l)
			break;
		rrs[n].rd = data + off;
		rrs[n].len = (uint16_t)l;
		n++;
		off += l;
	}
	(void)dnssec_key_tag(key, klen);
	uint8_t d[64];
	const uint8_t *owner = (const uint8_t *)"\7example";
	FUZZ_CHECK(dnssec_ds_digest(owner, key, klen, 2, d) == 32);
	if (klen >= 4 && slen >= 4)
		(void)dnssec_ds_matches(owner, sig, slen, key, klen);
	if (klen && (key[0] & 2))
		owner = (const uint8_t *)"\1x\7example";
	uint16_t type = slen >= 2 ? tern_get_u16(sig) : 0;
	int rc = dnssec_verify_rrset(owner, type, rrs, n, sig, slen, key, klen, NULL, 1800000000u);
	FUZZ_CHECK(rc <= 0 && rc >= DNSSEC_ENOMEM);
	FUZZ_CHECK(strcmp(dnssec_strerror(rc), "unknown") != 0);
	if (rc == DNSSEC_OK) {
		for (unsigned i = 0; i < n; i++)
			rev[i] = rrs[n - 1 - i];
		FUZZ_CHECK(dnssec_verify_rrset(owner, type, rev, n, sig, slen, key, klen, NULL, 1800000000u) == DNSSEC_OK);
	}
	return 0;
}
