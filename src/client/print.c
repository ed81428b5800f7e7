/* print.c: a reply as dig prints it (header, flags, OPT pseudosection, the
 * sections in zone-file syntax, statistics) and as +short prints it (the
 * RDATA of the answer section, one per line). Every record is turned into
 * text by libtern (tern_rr_to_text, tern_rdata_unpack + tern_rdata_to_text)
 * in the run's one text buffer. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "client/client.h"

static const char *const section_names[4] = {"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"};

const char *cli_opcode_name(unsigned opcode, char *buf, size_t cap)
{
	static const char *const names[16] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE"};
	if (opcode < 16 && names[opcode])
		return names[opcode];
	snprintf(buf, cap, "RESERVED%u", opcode);
	return buf;
}

const char *cli_rcode_name(unsigned rcode, char *buf, size_t cap)
{
	const char *n = tern_rcode_name(rcode);
	if (n)
		return n;
	snprintf(buf, cap, "RESERVED%u", rcode);
	return buf;
}

/* The 12-bit rcode of a reply: header bits plus the OPT extension, if any
 * (the header's alone if the message does not walk). */
unsigned cli_rcode(const uint8_t *pkt, size_t len)
{
	tern_edns e;
	uint16_t flags = len >= TERN_HDR_LEN ? tern_get_u16(pkt + 2) : 0;
	if (tern_msg_edns(pkt, len, &e) != 0)
		e.present = false;
	return tern_edns_rcode(&e, flags);
}

int cli_exit_for_rcode(unsigned rcode)
{
	if (rcode == TERN_R_NOERROR)
		return CLI_EXIT_OK;
	if (rcode == TERN_R_NXDOMAIN)
		return CLI_EXIT_NXDOMAIN;
	return CLI_EXIT_RCODE;
}

/* "; <<>> tern VERSION <<>> ARGS [extra]" as dig opens each lookup. */
void cli_print_cmd(const struct cli *c, const char *extra, FILE *out)
{
	fprintf(out, "\n; <<>> tern %s <<>>%s%s%s%s\n", TERN_VERSION, c->cmdline[0] ? " " : "", c->cmdline,
	        extra && *extra ? " " : "", extra ? extra : "");
	if (c->server_given)
		fprintf(out, "; (1 server found)\n");
	fprintf(out, ";; global options: +cmd\n");
}

void cli_print_noreply(const struct cli *c, FILE *out)
{
	(void)c;
	fprintf(out, ";; no servers could be reached\n");
}

int cli_rdata_text(struct cli *c, const tern_rr *rr)
{
	tern_rd r;
	size_t len;
	tern_rd_init(&r, c->reply.pkt, c->reply.len);
	r.pos = rr->rdata_off;
	int rc = tern_rdata_unpack(&r, rr->type, rr->rdlen, c->rdata, sizeof c->rdata, &len);
	if (rc != 0)
		return rc;
	return tern_rdata_to_text(rr->type, c->rdata, len, c->text, sizeof c->text);
}

/* One line of tern_rr_to_text ("owner\tTTL\tCLASS\tTYPE\tRDATA"; for the
 * question ";owner\t\tCLASS\tTYPE") laid out as dig lays it out: an RR's
 * owner padded with tabs to column 24, a question's (counted without its
 * ';') to column 32; a longer owner is followed by one space. */
void cli_print_rr_line(FILE *out, const char *line, bool question)
{
	const char *tab = strchr(line, '\t');
	if (!tab) {
		fprintf(out, "%s\n", line);
		return;
	}
	size_t len = (size_t)(tab - line);
	const char *rest = tab + 1;
	size_t col = question ? len - 1 : len, target = question ? 32 : 24;
	if (question && *rest == '\t')
		rest++; /* the empty TTL column */
	fwrite(line, 1, len, out);
	if (col >= target)
		fputc(' ', out);
	while (col < target) {
		fputc('\t', out);
		col = (col / 8 + 1) * 8;
	}
	fprintf(out, "%s\n", rest);
}

/* "; NSID: 6b 6e 6f 74 ("knot")" and the like for one EDNS option. */
static void print_option(FILE *out, uint16_t code, const uint8_t *d, uint16_t len)
{
	if (code == TERN_OPT_NSID)
		fprintf(out, "; NSID:");
	else if (code == TERN_OPT_COOKIE)
		fprintf(out, "; COOKIE: ");
	else if (code == 15 && len >= 2) { /* RFC 8914 Extended DNS Error */
		static const char *const ede[] = {
		        "Other", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type", "Stale Answer",
		        "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus", "Signature Expired",
		        "Signature Not Yet Valid", "DNSKEY Missing", "RRSIGs Missing", "No Zone Key Bit Set",
		        "NSEC Missing", "Cached Error", "Not Ready", "Blocked", "Censored", "Filtered", "Prohibited",
		        "Stale NXDOMAIN Answer", "Not Authoritative", "Not Supported", "No Reachable Authority",
		        "Network Error", "Invalid Data"};
		unsigned info = tern_get_u16(d);
		fprintf(out, "; EDE: %u", info);
		if (info < sizeof ede / sizeof ede[0])
			fprintf(out, " (%s)", ede[info]);
		if (len > 2) {
			fputs(": (", out);
			for (uint16_t i = 2; i < len; i++)
				fputc(isprint(d[i]) ? d[i] : '.', out);
			fputc(')', out);
		}
		fputc('\n', out);
		return;
	} else
		fprintf(out, "; OPT=%u:", (unsigned)code);
	for (uint16_t i = 0; i < len; i++) {
		if (code == TERN_OPT_COOKIE)
			fprintf(out, "%02x", d[i]);
		else
			fprintf(out, " %02x", d[i]);
	}
	if (code != TERN_OPT_COOKIE && len) {
		fputs(" (\"", out);
		for (uint16_t i = 0; i < len; i++)
			fputc(isprint(d[i]) ? d[i] : '.', out);
		fputs("\")", out);
	}
	fputc('\n', out);
}

static void print_opt(FILE *out, const tern_edns *e)
{
	fprintf(out, ";; OPT PSEUDOSECTION:\n; EDNS: version: %u, flags:%s;", e->version, e->do_bit ? " do" : "");
	if (e->flags & 0x7fffu)
		fprintf(out, " MBZ: 0x%04x,", (unsigned)(e->flags & 0x7fffu));
	fprintf(out, " udp: %u\n", (unsigned)e->payload);
	tern_edns_opt o;
	size_t pos = 0;
	int rc;
	while ((rc = tern_edns_next_opt(e, &pos, &o)) == 1)
		print_option(out, o.code, o.data, o.len);
	if (rc < 0 && o.len) /* a whole option header, not its data */
		fprintf(out, "; (malformed option %u)\n", (unsigned)o.code);
}

void cli_print_when(FILE *out, const struct timespec *ts)
{
	struct tm tm;
	char buf[64];
	localtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Z %Y", &tm);
	fprintf(out, ";; WHEN: %s\n", buf);
}

/* The message in c->reply as dig prints it: a reply (";; Got answer:",
 * statistics) or, with sending, the query of +qr (";; Sending:", size). */
static int print_message(struct cli *c, const struct cli_query *q, FILE *out, bool sending)
{
	tern_msg_iter it;
	tern_rr rr;
	tern_edns e;
	const struct cli_reply *r = &c->reply;
	unsigned show = q->o.show;
	bool comments = show & CLI_SHOW_COMMENTS;
	int rc = tern_msg_iter_init(&it, r->pkt, r->len);
	if (rc == 0)
		rc = tern_msg_edns(r->pkt, r->len, &e);
	if (rc != 0) {
		fprintf(out, ";; Got bad packet: %s\n", tern_strerror(rc));
		return CLI_EXIT_RCODE;
	}
	unsigned f = it.hdr.flags;
	unsigned rcode = tern_edns_rcode(&e, (uint16_t)f);
	if (comments) {
		char b1[24], b2[24];
		fprintf(out, sending ? ";; Sending:\n" : ";; Got answer:\n");
		fprintf(out, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n",
		        cli_opcode_name(TERN_OPCODE(f), b1, sizeof b1), cli_rcode_name(rcode, b2, sizeof b2),
		        (unsigned)it.hdr.id);
		fprintf(out, ";; flags:%s%s%s%s%s%s%s; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n",
		        (f & TERN_F_QR) ? " qr" : "", (f & TERN_F_AA) ? " aa" : "", (f & TERN_F_TC) ? " tc" : "",
		        (f & TERN_F_RD) ? " rd" : "", (f & TERN_F_RA) ? " ra" : "", (f & TERN_F_AD) ? " ad" : "",
		        (f & TERN_F_CD) ? " cd" : "", it.hdr.count[0], it.hdr.count[1], it.hdr.count[2],
		        it.hdr.count[3]);
		if (!sending && (f & TERN_F_RD) && !(f & TERN_F_RA))
			fprintf(out, ";; WARNING: recursion requested but not available\n");
		fputc('\n', out);
		if (e.present)
			print_opt(out, &e);
	}

	/* invariant: `open` is the shown section whose records are being printed */
	int open = -1;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.type == TERN_T_OPT && rr.section == TERN_S_ADDITIONAL)
			continue; /* shown as the pseudosection */
		/* RDATA that does not decode as its type makes the message bad,
		 * as in +short and +json (tern_rr_to_text would show it as \#) */
		int n = rr.section == TERN_S_QUESTION ? 0 : cli_rdata_text(c, &rr);
		if (n < 0) {
			rc = n;
			break;
		}
		if (!(show & (CLI_SHOW_QUESTION << rr.section)))
			continue;
		if ((int)rr.section != open) {
			if (open >= 0 && comments)
				fputc('\n', out);
			open = (int)rr.section;
			if (comments)
				fprintf(out, ";; %s SECTION:\n", section_names[open]);
		}
		if ((n = tern_rr_to_text(r->pkt, r->len, &rr, c->text, sizeof c->text)) < 0) {
			rc = n;
			break;
		}
		cli_print_rr_line(out, c->text, rr.section == TERN_S_QUESTION);
	}
	if (open >= 0 && comments)
		fputc('\n', out);
	if (rc < 0)
		fprintf(out, ";; Got bad packet: %s\n\n", tern_strerror(rc));
	if (sending) {
		fprintf(out, ";; QUERY SIZE: %zu\n\n", r->len);
		return 0;
	}
	if (show & CLI_SHOW_STATS) {
		fprintf(out, ";; Query time: %u msec\n", r->msec);
		fprintf(out, ";; SERVER: %s#%u(%s) (%s)\n", c->srv.addr, (unsigned)c->srv.port, c->srv.given,
		        r->tcp ? "TCP" : "UDP");
		cli_print_when(out, &r->when);
		fprintf(out, ";; MSG SIZE  rcvd: %zu\n\n", r->len);
	}
	return rc < 0 ? CLI_EXIT_RCODE : cli_exit_for_rcode(rcode);
}

int cli_print_reply(struct cli *c, const struct cli_query *q, FILE *out)
{
	return print_message(c, q, out, false);
}

void cli_print_query(struct cli *c, const struct cli_query *q, FILE *out)
{
	/* the reply buffer is free until the exchange */
	memcpy(c->reply.pkt, c->qframe + 2, c->qlen);
	c->reply.len = c->qlen;
	(void)print_message(c, q, out, true);
}

int cli_print_short(struct cli *c, FILE *out)
{
	tern_msg_iter it;
	tern_rr rr;
	int rc = tern_msg_iter_init(&it, c->reply.pkt, c->reply.len);
	if (rc != 0)
		goto bad;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section != TERN_S_ANSWER)
			continue;
		int n = cli_rdata_text(c, &rr);
		if (n < 0) {
			rc = n;
			goto bad;
		}
		fprintf(out, "%s\n", c->text);
	}
	if (rc < 0)
		goto bad;
	return cli_exit_for_rcode(cli_rcode(c->reply.pkt, c->reply.len));
bad:
	fprintf(out, ";; Got bad packet: %s\n", tern_strerror(rc));
	return CLI_EXIT_RCODE;
}
