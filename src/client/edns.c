/* edns.c: the EDNS fields of a reply (RFC 6891 6.1.3) and the exit code
 * its final rcode maps to. libtern reads the OPT record as an RR; its
 * fields (payload size in CLASS, extended rcode/version/flags in TTL) are
 * taken apart here. Candidate for the library: a tern_msg_edns(). */
#include "client/client.h"

/* Finds the OPT record of the additional section. Returns 0 (e->present
 * tells whether there was one) or a negative error for a malformed message. */
int cli_edns_read(const uint8_t *pkt, size_t len, struct cli_edns *e)
{
	tern_msg_iter it;
	tern_rr rr;
	int rc;
	*e = (struct cli_edns){0};
	if ((rc = tern_msg_iter_init(&it, pkt, len)) != 0)
		return rc;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section != TERN_S_ADDITIONAL || rr.type != TERN_T_OPT || e->present)
			continue;
		e->present = true;
		e->udp = rr.cls;
		e->ext_rcode = (uint8_t)(rr.ttl >> 24);
		e->version = (uint8_t)(rr.ttl >> 16);
		e->flags = (uint16_t)rr.ttl;
		e->opts_off = rr.rdata_off;
		e->opts_len = rr.rdlen;
	}
	return rc;
}

/* The 12-bit rcode: header bits plus the OPT extension, if any. */
unsigned cli_rcode(const uint8_t *pkt, size_t len)
{
	struct cli_edns e;
	unsigned rcode = len >= TERN_HDR_LEN ? TERN_RCODE(tern_get_u16(pkt + 2)) : 0;
	if (cli_edns_read(pkt, len, &e) == 0 && e.present)
		rcode |= (unsigned)e.ext_rcode << 4;
	return rcode;
}

int cli_exit_for_rcode(unsigned rcode)
{
	if (rcode == TERN_R_NOERROR)
		return CLI_EXIT_OK;
	if (rcode == TERN_R_NXDOMAIN)
		return CLI_EXIT_NXDOMAIN;
	return CLI_EXIT_RCODE;
}
