/* print.c: a reply as dig prints it (header, flags, OPT pseudosection, the
 * sections in zone-file syntax, statistics) and as +short prints it (the
 * RDATA of the answer section, one per line). Every record is turned into
 * text by libtern (tern_rr_to_text, tern_rdata_unpack + tern_rdata_to_text)
 * in the run's one text buffer. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"

static const char *const section_names[4] = {"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"};
/* RFC 2136 2: an UPDATE's sections */
static const char *const update_names[4] = {"ZONE", "PREREQUISITE", "UPDATE", "ADDITIONAL"};

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

/* "; <<>> tern VERSION <<>> ARGS" as dig greets: before the first query of
 * the command line and of each batch line (that line's words), the first
 * greeting of the run with the server count and global options; in the
 * interactive loop (extra: that lookup's words) before every lookup. */
void cli_print_cmd(struct cli *c, const struct cli_query *q, const char *extra, FILE *out)
{
	if (!c->printcmd || !(q->greeting || extra))
		return;
	const char *words = c->batch_line[0] ? c->batch_line : c->cmdline;
	bool first = !c->banner_done || extra;
	c->banner_done = true;
	fprintf(out, "%s; <<>> tern %s <<>>%s%s%s%s\n", first ? "\n" : "", TERN_VERSION, words[0] ? " " : "", words,
	        extra && *extra ? " " : "", extra ? extra : "");
	if (!first)
		return;
	if (c->server_given)
		fprintf(out, "; (1 server found)\n");
	fprintf(out, ";; global options:%s +cmd\n", c->short_form ? " +short" : "");
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
	c->rdata_len = len;
	return tern_rdata_to_text(rr->type, c->rdata, len, c->text, sizeof c->text);
}

/* A TTL as +ttlunits shows it: "1w2d3h4m5s", units that are zero left out. */
static void ttl_units(uint32_t ttl, char *buf, size_t cap)
{
	static const struct {
		uint32_t secs;
		char unit;
	} units[] = {{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t pos = 0;
	if (ttl == 0) {
		snprintf(buf, cap, "0s");
		return;
	}
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
		uint32_t n = ttl / units[k].secs;
		ttl %= units[k].secs;
		if (n && pos < cap)
			pos += (size_t)snprintf(buf + pos, cap - pos, "%u%c", (unsigned)n, units[k].unit);
	}
}

/* +multiline: an SOA's RDATA as dig spreads it, the timers one per line
 * with what they mean. Returns false (nothing written) if it does not
 * have the seven fields. */
static bool soa_multiline(FILE *out, const char *rdata)
{
	static const char *const what[5] = {"serial", "refresh", "retry", "expire", "minimum"};
	char names[2][TERN_NAME_TEXT_MAX];
	unsigned long v[5];
	if (sscanf(rdata, "%1023s %1023s %lu %lu %lu %lu %lu", names[0], names[1], &v[0], &v[1], &v[2], &v[3], &v[4]) != 7)
		return false;
	fprintf(out, "%s %s (\n", names[0], names[1]);
	for (int k = 0; k < 5; k++) {
		char num[16];
		snprintf(num, sizeof num, "%lu", v[k]);
		fprintf(out, "\t\t\t\t%-10s ; %s", num, what[k]);
		if (k > 0) {
			fputs(" (", out);
			cli_print_duration(out, (uint32_t)v[k]);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	fputs("\t\t\t\t)\n", out);
	return true;
}

/* Writes the spaces or tabs that take the column from *col to `to`, as
 * BIND's master-file dumper does: tabs to reach it, at least one space when
 * the column is already there or past. */
static void indent(FILE *out, size_t *col, size_t to)
{
	if (to < *col + 1)
		to = *col + 1;
	size_t tabs = to / 8 - *col / 8;
	if (tabs) {
		while (tabs--)
			fputc('\t', out);
		for (size_t k = 0; k < to % 8; k++)
			fputc(' ', out);
	} else {
		for (size_t k = *col; k < to; k++)
			fputc(' ', out);
	}
	*col = to;
}

/* One line of tern_rr_to_text ("owner\tTTL\tCLASS\tTYPE\tRDATA"; for the
 * question ";owner\t\tCLASS\tTYPE") laid out as dig lays it out: the fields
 * after the owner at columns 24, 32, 40 and 48 (a question's: 32 and 40,
 * its owner counted without the ';'), each field past its column followed
 * by one space. Without a TTL or class column (+nottlid, +noclass) the
 * fields that remain take the columns in turn; +ttlunits writes the TTL
 * in units (o NULL: everything shown as it is). */
void cli_print_rr_line(FILE *out, const char *line, bool question, const struct cli_opts *o)
{
	const char *f[5];
	size_t n[5], nf = 0;
	const char *p = line;
	/* invariant: f[0..nf) are the fields before p; RDATA is the rest */
	while (nf < 4) {
		const char *tab = strchr(p, '\t');
		if (!tab)
			break;
		f[nf] = p;
		n[nf++] = (size_t)(tab - p);
		p = tab + 1;
	}
	f[nf] = p;
	n[nf++] = strlen(p);
	if (nf < (question ? 4u : 5u)) {
		fprintf(out, "%s\n", line);
		return;
	}
	char units[32], owner[4 * TERN_NAME_TEXT_MAX], rdata[4 * TERN_NAME_TEXT_MAX];
	bool show_ttl = !question && !(o && o->nottl), show_class = !(o && o->noclass);
	if (o && o->idnout && memmem(f[0], n[0], "xn--", 4)) { /* +idnout: the owner in UTF-8 */
		size_t skip = question ? 1 : 0;
		memcpy(owner, f[0], skip);
		n[0] = skip + cli_idn_to_unicode(f[0] + skip, n[0] - skip, owner + skip, sizeof owner - skip);
		f[0] = owner;
	}
	uint16_t t;
	if (o && o->idnout && !question && n[4] < TERN_NAME_TEXT_MAX && strstr(f[4], "xn--") &&
	    tern_type_from_text(f[3], n[3], &t) == 0) {
		n[4] = cli_idn_rdata(t, f[4], rdata, sizeof rdata);
		f[4] = rdata;
	}
	if (!question && o && o->ttlunits && show_ttl) {
		ttl_units((uint32_t)strtoul(f[1], NULL, 10), units, sizeof units);
		f[1] = units;
		n[1] = strlen(units);
	}
	/* dig's columns: TTL at 24, then class, type and RDATA each 8 further,
	 * a hidden column taking no room; a question's class always shows,
	 * at 32 when TTL and class columns both show, else at 24 */
	size_t cols[5];
	cols[1] = 24;
	cols[2] = cols[1] + (show_ttl || question ? 8 : 0);
	if (question && o && o->nottl)
		cols[2] = 24;
	cols[3] = cols[2] + (show_class ? 8 : 0);
	cols[4] = cols[3] + 8;
	if (question) {
		show_class = true;
		cols[3] = o && o->nottl && o->noclass ? 24 : o && (o->nottl || o->noclass) ? 32 : 40;
		if (!(o && (o->nottl || o->noclass)))
			cols[2] = 32;
		else
			cols[2] = 24;
	}
	if (o && o->multiline) { /* dig's multi-line style: 24, 24, 24, 32 */
		cols[1] = cols[2] = cols[3] = 24;
		cols[4] = 32;
	}
	fwrite(f[0], 1, n[0], out);
	size_t col = question ? n[0] - 1 : n[0];
	for (size_t k = 1; k < nf; k++) {
		if ((k == 1 && (!show_ttl || question)) || (k == 2 && !show_class))
			continue;
		indent(out, &col, cols[k]);
		if (k == 4 && o && o->multiline && n[3] == 3 && memcmp(f[3], "SOA", 3) == 0 && soa_multiline(out, f[4]))
			return;
		fwrite(f[k], 1, n[k], out);
		col += n[k];
	}
	fputc('\n', out);
}

/* "1 week", "2 days 3 hours" ...: a duration as BIND writes one in words. */
void cli_print_duration(FILE *out, uint32_t secs)
{
	static const struct {
		uint32_t n;
		const char *unit;
	} units[] = {{604800, "week"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
	bool first = true;
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
		uint32_t v = secs / units[k].n;
		secs %= units[k].n;
		if (!v)
			continue;
		fprintf(out, "%s%u %s%s", first ? "" : " ", (unsigned)v, units[k].unit, v > 1 ? "s" : "");
		first = false;
	}
	if (first)
		fputs("0 seconds", out);
}

/* "; NSID: 6b 6e 6f 74 ("knot")" and the like for one EDNS option.
 * sent_cookie: in a reply, the client cookie that went out (a returned
 * server cookie after it is "(good)"); NULL when showing the query. */
void cli_print_option(FILE *out, const char *lead, uint16_t code, const uint8_t *d, uint16_t len,
                      const uint8_t *sent_cookie, size_t sent_len)
{
	if (code == TERN_OPT_NSID)
		fprintf(out, "%sNSID:", lead);
	else if (code == TERN_OPT_COOKIE) {
		fprintf(out, "%sCOOKIE: ", lead);
		for (uint16_t i = 0; i < len; i++)
			fprintf(out, "%02x", d[i]);
		if (sent_cookie && len >= 8 && sent_len >= 8 && memcmp(d, sent_cookie, 8) == 0)
			fputs(len > 8 ? " (good)" : " (echoed)", out);
		fputc('\n', out);
		return;
	} else if (code == 8 && len >= 4) { /* RFC 7871 ECS: ADDR/SOURCE/SCOPE */
		uint16_t fam = tern_get_u16(d);
		uint8_t a[16] = {0};
		char text[64] = "";
		size_t alen = len - 4u > 16 ? 16 : len - 4u;
		memcpy(a, d + 4, alen);
		if (fam == 1)
			inet_ntop(AF_INET, a, text, sizeof text);
		else if (fam == 2)
			inet_ntop(AF_INET6, a, text, sizeof text);
		else
			snprintf(text, sizeof text, "0");
		fprintf(out, "%sCLIENT-SUBNET: %s/%u/%u\n", lead, text, d[2], d[3]);
		return;
	} else if (code == 9) { /* RFC 7314 EXPIRE */
		if (len == 4) {
			uint32_t v = tern_get_u32(d);
			fprintf(out, "%sEXPIRE: %u (", lead, (unsigned)v);
			cli_print_duration(out, v);
			fputs(")\n", out);
		} else
			fprintf(out, "%sEXPIRE:\n", lead);
		return;
	} else if (code == 11) { /* RFC 7828 TCP keepalive, in units of 100 ms */
		if (len == 2)
			fprintf(out, "%sTCP KEEPALIVE: %u.%u secs\n", lead, tern_get_u16(d) / 10u, tern_get_u16(d) % 10u);
		else
			fprintf(out, "%sTCP KEEPALIVE:\n", lead);
		return;
	} else if (code == 12) { /* RFC 7830 padding; dig shows its query's before it is padded */
		if (sent_cookie && len && lead[0] == ' ') { /* +yaml (its indented lead): the bytes, as dig */
			fprintf(out, "%sPAD:", lead);
			for (uint16_t i = 0; i < len; i++)
				fprintf(out, " %02x", d[i]);
			fputs(" (\"", out);
			for (uint16_t i = 0; i < len; i++)
				fputc(isprint(d[i]) ? d[i] : '.', out);
			fputs("\")\n", out);
		} else if (sent_cookie || len == 0)
			fprintf(out, "%sPAD: (%u bytes)\n", lead, (unsigned)len);
		else
			fprintf(out, "%sPAD:\n", lead);
		return;
	} else if (code == 15 && len >= 2) { /* RFC 8914 Extended DNS Error */
		static const char *const ede[] = {
		        "Other", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type", "Stale Answer",
		        "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus", "Signature Expired",
		        "Signature Not Yet Valid", "DNSKEY Missing", "RRSIGs Missing", "No Zone Key Bit Set",
		        "NSEC Missing", "Cached Error", "Not Ready", "Blocked", "Censored", "Filtered", "Prohibited",
		        "Stale NXDOMAIN Answer", "Not Authoritative", "Not Supported", "No Reachable Authority",
		        "Network Error", "Invalid Data"};
		unsigned info = tern_get_u16(d);
		fprintf(out, "%sEDE: %u", lead, info);
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
		fprintf(out, "%sOPT=%u:", lead, (unsigned)code);
	for (uint16_t i = 0; i < len; i++)
		fprintf(out, " %02x", d[i]);
	if (len) {
		fputs(" (\"", out);
		for (uint16_t i = 0; i < len; i++)
			fputc(isprint(d[i]) ? d[i] : '.', out);
		fputs("\")", out);
	}
	fputc('\n', out);
}

static void print_opt(FILE *out, const tern_edns *e, const uint8_t *sent_cookie, size_t sent_len)
{
	fprintf(out, ";; OPT PSEUDOSECTION:\n; EDNS: version: %u, flags:%s%s;", e->version, e->do_bit ? " do" : "",
	        (e->flags & 0x4000u) ? " co" : "");
	if (e->flags & 0x3fffu)
		fprintf(out, " MBZ: 0x%04x,", (unsigned)(e->flags & 0x3fffu));
	fprintf(out, " udp: %u\n", (unsigned)e->payload);
	tern_edns_opt o;
	size_t pos = 0;
	int rc;
	while ((rc = tern_edns_next_opt(e, &pos, &o)) == 1)
		cli_print_option(out, "; ", o.code, o.data, o.len, sent_cookie, sent_len);
	if (rc < 0 && o.len) /* a whole option header, not its data */
		fprintf(out, "; (malformed option %u)\n", (unsigned)o.code);
}

/* Where the last record of a message ends (0 if it does not walk): bytes
 * after it are dig's "extra bytes at end". */
static size_t message_end(const uint8_t *pkt, size_t len)
{
	tern_msg_iter it;
	tern_rr rr;
	int rc;
	if (tern_msg_iter_init(&it, pkt, len) != 0)
		return 0;
	while ((rc = tern_msg_next(&it, &rr)) == 1)
		;
	return rc == 0 ? it.r.pos : 0;
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
		fprintf(out, ";; flags:%s%s%s%s%s%s%s;", (f & TERN_F_QR) ? " qr" : "", (f & TERN_F_AA) ? " aa" : "",
		        (f & TERN_F_TC) ? " tc" : "", (f & TERN_F_RD) ? " rd" : "", (f & TERN_F_RA) ? " ra" : "",
		        (f & TERN_F_AD) ? " ad" : "", (f & TERN_F_CD) ? " cd" : "");
		if (f & 0x0040) /* the Z bit, as dig shows it */
			fprintf(out, " MBZ: 0x%x;", (f & 0x0040) >> 4);
		fprintf(out, " QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n", it.hdr.count[0], it.hdr.count[1],
		        it.hdr.count[2], it.hdr.count[3]);
		if (!sending && (f & TERN_F_RD) && !(f & TERN_F_RA))
			fprintf(out, ";; WARNING: recursion requested but not available\n");
		size_t end = message_end(r->pkt, r->len);
		if (!sending && end && end < r->len)
			fprintf(out, ";; WARNING: Message has %zu extra bytes at end\n", r->len - end);
		fputc('\n', out);
		/* dig's hint when an EDNS query met a server that did not take it */
		if (!sending && !e.present && q->o.edns &&
		    (rcode == TERN_R_FORMERR || rcode == TERN_R_SERVFAIL || rcode == TERN_R_NOTIMP)) {
			char b3[24];
			fprintf(out, ";; WARNING: EDNS query returned status %s - retry with '+noedns'\n\n",
			        cli_rcode_name(rcode, b3, sizeof b3));
		}
		if (e.present) {
			static const uint8_t no_cookie[1];
			const uint8_t *ck = sending ? NULL : no_cookie; /* NULL: the query is shown */
			size_t cklen = 0;
			if (!sending && q->o.cookie) {
				ck = q->o.cookie_len ? q->o.cookie_val : c->client_cookie;
				cklen = q->o.cookie_len ? q->o.cookie_len : sizeof c->client_cookie;
			}
			print_opt(out, &e, ck, cklen);
		}
	}

	if (sending && q->o.header_only && comments && (show & CLI_SHOW_QUESTION))
		fputs(";; QUESTION SECTION:\n\n", out); /* dig names it, empty */
	/* invariant: `open` is the shown section whose records are being printed */
	int open = -1;
	tern_rr tsig;
	bool have_tsig = false;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if ((rr.type == TERN_T_OPT || rr.type == TERN_T_TSIG) && rr.section == TERN_S_ADDITIONAL) {
			tsig = rr; /* OPT shown above; TSIG as its pseudosection below */
			have_tsig = rr.type == TERN_T_TSIG;
			continue;
		}
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
				fprintf(out, ";; %s SECTION:\n",
				        (TERN_OPCODE(f) == 5 ? update_names : section_names)[open]);
		}
		if ((n = cli_rr_text(c, &q->o, &rr)) < 0) {
			rc = n;
			break;
		}
		cli_print_rr_line(out, c->text, rr.section == TERN_S_QUESTION, &q->o);
	}
	if (open >= 0 && comments)
		fputc('\n', out);
	if (rc == 0 && have_tsig && (show & CLI_SHOW_ADDITIONAL))
		cli_print_tsig(c, q, &tsig, comments, out);
	if (rc < 0)
		fprintf(out, ";; Got bad packet: %s\n\n", tern_strerror(rc));
	if (sending) {
		fprintf(out, ";; QUERY SIZE: %zu\n\n", r->len);
		return 0;
	}
	if (show & CLI_SHOW_STATS) {
		if (c->usec)
			fprintf(out, ";; Query time: %llu usec\n", (unsigned long long)r->usec);
		else
			fprintf(out, ";; Query time: %u msec\n", r->msec);
		fprintf(out, ";; SERVER: %s#%u(%s) (%s)\n", c->srv.addr, (unsigned)c->srv.port, c->srv.given,
		        r->proto ? r->proto : r->tcp ? "TCP" : "UDP");
		cli_print_when(out, &r->when);
		fprintf(out, ";; MSG SIZE  rcvd: %zu\n", r->len);
		cli_tsig_warnings(c, out);
		fputc('\n', out);
	} else if (q->o.identify) {
		if (c->usec)
			fprintf(out, ";; Received %zu bytes from %s#%u(%s) in %llu us\n\n", r->len, c->srv.addr,
			        (unsigned)c->srv.port, c->srv.given, (unsigned long long)r->usec);
		else
			fprintf(out, ";; Received %zu bytes from %s#%u(%s) in %u ms\n\n", r->len, c->srv.addr,
			        (unsigned)c->srv.port, c->srv.given, r->msec);
	}
	return rc < 0 ? CLI_EXIT_RCODE : cli_exit_for_rcode(rcode);
}

void cli_print_tsig(struct cli *c, const struct cli_query *q, const tern_rr *rr, bool comments, FILE *out)
{
	if (cli_rr_text(c, &q->o, rr) < 0)
		return;
	if (comments)
		fputs(";; TSIG PSEUDOSECTION:\n", out);
	cli_print_rr_line(out, c->text, false, &q->o);
	if (comments)
		fputc('\n', out);
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

int cli_print_short(struct cli *c, const struct cli_query *q, FILE *out)
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
		if (n >= 0)
			n = cli_rdata_style(c, &q->o, &rr, false);
		if (n < 0) {
			rc = n;
			goto bad;
		}
		if (q->o.idnout && strstr(c->text, "xn--") && n < TERN_NAME_TEXT_MAX) {
			char names[4 * TERN_NAME_TEXT_MAX];
			cli_idn_rdata(rr.type, c->text, names, sizeof names);
			snprintf(c->text, sizeof c->text, "%s", names);
		}
		if (q->o.trace || q->o.nssearch) { /* dig names the type in these */
			char tname[32];
			tern_type_to_text(rr.type, tname, sizeof tname);
			fprintf(out, "%s ", tname);
		}
		if (q->o.identify && c->usec)
			fprintf(out, "%s from server %s in %llu us.\n", c->text, c->srv.addr,
			        (unsigned long long)c->reply.usec);
		else if (q->o.identify)
			fprintf(out, "%s from server %s in %u ms.\n", c->text, c->srv.addr, c->reply.msec);
		else
			fprintf(out, "%s\n", c->text);
	}
	if (rc < 0)
		goto bad;
	return cli_exit_for_rcode(cli_rcode(c->reply.pkt, c->reply.len));
bad:
	fprintf(out, ";; Got bad packet: %s\n", tern_strerror(rc));
	return CLI_EXIT_RCODE;
}
