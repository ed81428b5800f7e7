/* json.c: a reply as RFC 8427 JSON ("Representing DNS Messages in JSON").
 *
 * Message members (RFC 8427 2.1): ID, QR, Opcode, AA, TC, RD, RA, AD, CD,
 * RCODE, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT, QNAME, QTYPE, QTYPEname, QCLASS,
 * QCLASSname, questionRRs, answerRRs, authorityRRs, additionalRRs,
 * messageOctetsHEX; and from 2.5 dateString and dateSeconds.
 * RR members (2.2): NAME, TYPE, TYPEname, CLASS, CLASSname, TTL, RDLENGTH,
 * RDATAHEX (the RDATA as it is in the message), and rdataA, rdataAAAA,
 * rdataCNAME, rdataDNAME, rdataNS, rdataPTR, rdataTXT. For every other type
 * with a mnemonic tern adds "rdata" + mnemonic (e.g. rdataMX) holding the
 * presentation form, as RFC 8427 allows profiles to. Question entries have
 * NAME, TYPE, TYPEname, CLASS, CLASSname. The OPT record is an RR of the
 * additional section like any other (RFC 8427 defines nothing more). */
#include <string.h>
#include <time.h>

#include "client/client.h"

/* Writes s as a JSON string (RFC 8259 7). */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_hex(FILE *out, const uint8_t *p, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02X", p[i]);
	fputc('"', out);
}

/* The name of the rdata member for a type, or NULL (RDATAHEX only). */
static const char *rdata_member(uint16_t type, char *buf, size_t cap)
{
	const char *mn = tern_type_name(type);
	if (!mn || type == TERN_T_OPT)
		return NULL;
	snprintf(buf, cap, "rdata%s", mn);
	return buf;
}

static void json_type_class(FILE *out, const char *ind, const char *tkey, uint16_t type, const char *ckey,
                            uint16_t cls)
{
	char t[32], k[32];
	tern_type_to_text(type, t, sizeof t);
	tern_class_to_text(cls, k, sizeof k);
	fprintf(out, ",\n%s\"%s\": %u,\n%s\"%sname\": ", ind, tkey, (unsigned)type, ind, tkey);
	json_str(out, t);
	fprintf(out, ",\n%s\"%s\": %u,\n%s\"%sname\": ", ind, ckey, (unsigned)cls, ind, ckey);
	json_str(out, k);
}

/* sep, then one RR object. Returns 0 or an error (malformed RDATA), in
 * which case nothing was written. */
static int json_rr(struct cli *c, FILE *out, const char *sep, const tern_rr *rr)
{
	const char *ind = "      ";
	char name[TERN_NAME_TEXT_MAX], mbuf[48];
	const char *member = NULL;
	if (rr->section != TERN_S_QUESTION && (member = rdata_member(rr->type, mbuf, sizeof mbuf)) != NULL) {
		int n = cli_rdata_text(c, rr); /* into c->text */
		if (n >= 0 && rr->type == TERN_T_TSIG) { /* its presentation form, as dig shows it, unsplit */
			struct cli_opts o = {.split = 0};
			n = cli_tsig_rdata_text(c, &o, false);
			while (n > 0 && c->text[n - 1] == ' ') /* dig's blank before empty Other Data */
				c->text[--n] = 0;
		}
		if (n < 0)
			return n;
	}
	tern_name_to_text(rr->owner, name, sizeof name);
	fprintf(out, "%s    {\n%s\"NAME\": ", sep, ind);
	json_str(out, name);
	json_type_class(out, ind, "TYPE", rr->type, "CLASS", rr->cls);
	if (rr->section != TERN_S_QUESTION) {
		fprintf(out, ",\n%s\"TTL\": %u,\n%s\"RDLENGTH\": %u,\n%s\"RDATAHEX\": ", ind, (unsigned)rr->ttl, ind,
		        (unsigned)rr->rdlen, ind);
		json_hex(out, c->reply.pkt + rr->rdata_off, rr->rdlen);
		if (member) {
			fprintf(out, ",\n%s\"%s\": ", ind, member);
			json_str(out, c->text);
		}
	}
	fprintf(out, "\n    }");
	return 0;
}

static void json_bool(FILE *out, const char *key, bool v)
{
	fprintf(out, "  \"%s\": %s,\n", key, v ? "true" : "false");
}

int cli_print_json(struct cli *c, FILE *out)
{
	static const char *const arrays[4] = {"questionRRs", "answerRRs", "authorityRRs", "additionalRRs"};
	const struct cli_reply *r = &c->reply;
	tern_msg_iter it;
	tern_rr rr;
	int rc = tern_msg_iter_init(&it, r->pkt, r->len);
	if (rc != 0) {
		fprintf(stderr, ";; Got bad packet: %s\n", tern_strerror(rc));
		return CLI_EXIT_RCODE;
	}
	unsigned f = it.hdr.flags;
	fprintf(out, "{\n  \"ID\": %u,\n", (unsigned)it.hdr.id);
	json_bool(out, "QR", f & TERN_F_QR);
	fprintf(out, "  \"Opcode\": %u,\n", TERN_OPCODE(f));
	json_bool(out, "AA", f & TERN_F_AA);
	json_bool(out, "TC", f & TERN_F_TC);
	json_bool(out, "RD", f & TERN_F_RD);
	json_bool(out, "RA", f & TERN_F_RA);
	json_bool(out, "AD", f & TERN_F_AD);
	json_bool(out, "CD", f & TERN_F_CD);
	fprintf(out, "  \"RCODE\": %u,\n  \"QDCOUNT\": %u,\n  \"ANCOUNT\": %u,\n  \"NSCOUNT\": %u,\n  \"ARCOUNT\": %u",
	        TERN_RCODE(f), it.hdr.count[0], it.hdr.count[1], it.hdr.count[2], it.hdr.count[3]);

	/* QNAME/QTYPE/QCLASS from the first question, then the four arrays;
	 * invariant: arrays before `section` are closed, `section`'s is open */
	int section = -1;
	bool first_q = true;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section == TERN_S_QUESTION && first_q) {
			char name[TERN_NAME_TEXT_MAX];
			tern_name_to_text(rr.owner, name, sizeof name);
			fprintf(out, ",\n  \"QNAME\": ");
			json_str(out, name);
			json_type_class(out, "  ", "QTYPE", rr.type, "QCLASS", rr.cls);
			first_q = false;
		}
		bool first_in_section = (int)rr.section != section;
		while (section < (int)rr.section) {
			if (section >= 0)
				fprintf(out, "\n  ]");
			section++;
			fprintf(out, ",\n  \"%s\": [", arrays[section]);
		}
		if ((rc = json_rr(c, out, first_in_section ? "\n" : ",\n", &rr)) != 0)
			break;
	}
	if (rc < 0) {
		fprintf(stderr, ";; Got bad packet: %s\n", tern_strerror(rc));
		fprintf(out, "%s\n}\n", section >= 0 ? "\n  ]" : "");
		return CLI_EXIT_RCODE;
	}
	while (section < 3) {
		if (section >= 0)
			fprintf(out, "\n  ]");
		section++;
		fprintf(out, ",\n  \"%s\": [", arrays[section]);
	}
	fprintf(out, "\n  ],\n  \"messageOctetsHEX\": ");
	json_hex(out, r->pkt, r->len);
	struct tm tm;
	char date[64];
	gmtime_r(&r->when.tv_sec, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, ",\n  \"dateString\": \"%s.%03ldZ\",\n  \"dateSeconds\": %lld.%03ld\n}\n", date,
	        r->when.tv_nsec / 1000000L, (long long)r->when.tv_sec, r->when.tv_nsec / 1000000L);
	return cli_exit_for_rcode(cli_rcode(r->pkt, r->len));
}
