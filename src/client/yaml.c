/* yaml.c: +yaml, a reply as dig 9.18 writes it in YAML: one "- type:
 * MESSAGE" document item per reply with the transport facts, the header,
 * the OPT pseudosection and each section's records as single-quoted
 * strings (fields separated by single spaces). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/client.h"

static const char *const section_keys[4] = {"QUESTION_SECTION", "ANSWER_SECTION", "AUTHORITY_SECTION",
                                            "ADDITIONAL_SECTION"};

/* "2026-12-06T09:41:38.349Z" */
static void timestamp(FILE *out, const struct timespec *ts)
{
	struct tm tm;
	char buf[32];
	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "!!timestamp %s.%03ldZ", buf, ts->tv_nsec / 1000000L);
}

/* A record line (tabs and runs of blanks as one space) as a YAML
 * single-quoted scalar: a quote inside is doubled. */
/* keep_trailing: a blank at the end stays (the TSIG line ends in one). */
static void quoted_line(FILE *out, const char *indent, const char *text, bool keep_trailing)
{
	fprintf(out, "%s- '", indent);
	bool blank = false;
	for (const char *p = text; *p; p++) {
		if (*p == '\t' || *p == ' ') {
			blank = true;
			continue;
		}
		if (blank)
			fputc(' ', out);
		blank = false;
		if (*p == '\'')
			fputc('\'', out);
		fputc(*p, out);
	}
	fputs(blank && keep_trailing ? " '\n" : "'\n", out);
}

int cli_print_yaml(struct cli *c, const struct cli_query *q, FILE *out)
{
	const struct cli_reply *r = &c->reply;
	tern_msg_iter it;
	tern_edns e;
	tern_rr rr;
	int rc = tern_msg_iter_init(&it, r->pkt, r->len);
	if (rc == 0)
		rc = tern_msg_edns(r->pkt, r->len, &e);
	if (rc != 0) {
		fprintf(out, ";; Got bad packet: %s\n", tern_strerror(rc));
		return CLI_EXIT_RCODE;
	}
	unsigned f = it.hdr.flags;
	unsigned rcode = tern_edns_rcode(&e, (uint16_t)f);
	struct timespec sent = r->when;
	long us = (long)(r->usec % 1000000u);
	sent.tv_sec -= (time_t)(r->usec / 1000000u);
	sent.tv_nsec -= us * 1000L;
	if (sent.tv_nsec < 0) {
		sent.tv_nsec += 1000000000L;
		sent.tv_sec--;
	}
	char b1[24], b2[24];
	fputs("- type: MESSAGE\n  message:\n", out);
	fprintf(out, "    type: %s\n", (f & TERN_F_RA) ? "RECURSIVE_RESPONSE" : "AUTH_RESPONSE");
	fputs("    query_time: ", out);
	timestamp(out, &sent);
	fputs("\n    response_time: ", out);
	timestamp(out, &r->when);
	fprintf(out, "\n    message_size: %zub\n", r->len);
	fprintf(out, "    socket_family: %s\n", c->srv.sa.ss_family == AF_INET6 ? "INET6" : "INET");
	fprintf(out, "    socket_protocol: %s\n", r->tcp ? "TCP" : "UDP");
	fprintf(out, "    response_address: \"%s\"\n    response_port: %u\n", c->srv.addr, (unsigned)c->srv.port);
	fprintf(out, "    query_address: \"%s\"\n    query_port: 0\n", c->srv.sa.ss_family == AF_INET6 ? "::" : "0.0.0.0");
	fputs("    response_message_data:\n", out);
	fprintf(out, "      opcode: %s\n      status: %s\n      id: %u\n",
	        cli_opcode_name(TERN_OPCODE(f), b1, sizeof b1), cli_rcode_name(rcode, b2, sizeof b2),
	        (unsigned)it.hdr.id);
	fprintf(out, "      flags:%s%s%s%s%s%s%s\n", (f & TERN_F_QR) ? " qr" : "", (f & TERN_F_AA) ? " aa" : "",
	        (f & TERN_F_TC) ? " tc" : "", (f & TERN_F_RD) ? " rd" : "", (f & TERN_F_RA) ? " ra" : "",
	        (f & TERN_F_AD) ? " ad" : "", (f & TERN_F_CD) ? " cd" : "");
	fprintf(out, "      QUESTION: %u\n      ANSWER: %u\n      AUTHORITY: %u\n      ADDITIONAL: %u\n", it.hdr.count[0],
	        it.hdr.count[1], it.hdr.count[2], it.hdr.count[3]);
	if (e.present) {
		fprintf(out, "      OPT_PSEUDOSECTION:\n        EDNS:\n          version: %u\n          flags:%s%s\n", e.version,
		        e.do_bit ? " do" : "", (e.flags & 0x4000u) ? " co" : "");
		if (e.flags & 0x3fffu)
			fprintf(out, "          MBZ: 0x%04x\n", (unsigned)(e.flags & 0x3fffu));
		fprintf(out, "          udp: %u\n", (unsigned)e.payload);
		const uint8_t *ck = q->o.cookie ? (q->o.cookie_len ? q->o.cookie_val : c->client_cookie) : (const uint8_t *)"";
		size_t cklen = q->o.cookie ? (q->o.cookie_len ? q->o.cookie_len : sizeof c->client_cookie) : 0;
		tern_edns_opt o;
		size_t pos = 0;
		while (tern_edns_next_opt(&e, &pos, &o) == 1)
			cli_print_option(out, "          ", o.code, o.data, o.len, ck, cklen);
	}
	int open = -1;
	tern_rr tsig;
	bool have_tsig = false;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.type == TERN_T_OPT && rr.section == TERN_S_ADDITIONAL)
			continue;
		if (rr.type == TERN_T_TSIG && rr.section == TERN_S_ADDITIONAL) {
			tsig = rr;
			have_tsig = true;
			continue;
		}
		if (!(q->o.show & (CLI_SHOW_QUESTION << rr.section)))
			continue;
		int n = cli_rr_text(c, &q->o, &rr);
		if (n < 0) {
			rc = n;
			break;
		}
		if ((int)rr.section != open) {
			open = (int)rr.section;
			fprintf(out, "      %s:\n", section_keys[open]);
		}
		quoted_line(out, "        ", c->text[0] == ';' ? c->text + 1 : c->text, false);
	}
	if (rc < 0) {
		fprintf(out, ";; Got bad packet: %s\n", tern_strerror(rc));
		return CLI_EXIT_RCODE;
	}
	if (have_tsig && (q->o.show & CLI_SHOW_ADDITIONAL) && cli_rr_text(c, &q->o, &tsig) >= 0) {
		fputs("      TSIG_PSEUDOSECTION:\n", out); /* dig's indent, and a blank line after */
		quoted_line(out, "      ", c->text, true);
		fputc('\n', out);
	}
	return cli_exit_for_rcode(rcode);
}
