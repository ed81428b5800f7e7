/* xfr.c: zone transfers (AXFR, RFC 5936) as dig shows them: over one TCP
 * connection, the answer records of every message until the SOA that
 * closes the transfer, then the statistics with ";; XFR size:". Messages
 * are read one at a time into the run's reply buffer and printed as they
 * come; +short prints the RDATA only and +json one RFC 8427 object per
 * message. A transfer that the server refuses, that breaks off or that
 * does not parse ends with "; Transfer failed." */
#include <stdio.h>
#include <unistd.h>

#include "client/client.h"

struct xfr_state {
	unsigned records, messages, soas; /* soas: those with the first SOA's serial */
	uint32_t serial;                  /* of the first SOA */
	bool incremental;                 /* IXFR: the second record is an SOA (RFC 1995 4) */
	size_t bytes;
	bool done;
};

/* The serial of the SOA RDATA that cli_rdata_text left in c->rdata. */
static uint32_t soa_serial(const struct cli *c)
{
	size_t a = tern_name_len(c->rdata);
	size_t b = tern_name_len(c->rdata + a);
	return tern_get_u32(c->rdata + a + b);
}

/* Counts, then prints, the answer records of the message in c->reply.
 * Returns 0, or a negative error if the message does not parse or the
 * transfer does not start with an SOA; a bad message prints nothing. */
static int xfr_message(struct cli *c, const struct cli_query *q, struct xfr_state *st, FILE *out)
{
	tern_msg_iter it;
	tern_rr rr;
	unsigned take = 0; /* answer records of this message that belong to the transfer */
	int rc = tern_msg_iter_init(&it, c->reply.pkt, c->reply.len);
	if (rc != 0)
		return rc;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.section != TERN_S_QUESTION && (rc = cli_rdata_text(c, &rr)) < 0)
			return rc;
		if (rr.section != TERN_S_ANSWER || st->done)
			continue;
		if (st->records == 0 && rr.type != TERN_T_SOA)
			return TERN_EMALFORMED; /* RFC 5936 2.2: the first record is the SOA */
		st->records++;
		take++;
		if (rr.type != TERN_T_SOA)
			continue;
		uint32_t serial = soa_serial(c);
		if (st->records == 1) {
			st->serial = serial;
			st->soas = 1;
			/* RFC 1995 4: one SOA no newer than ours says we are up to date */
			if (q->qtype == TERN_T_IXFR && q->ixfr_serial_set && it.hdr.count[TERN_S_ANSWER] == 1 &&
			    (int32_t)(serial - q->ixfr_serial) <= 0)
				st->done = true;
			continue;
		}
		if (st->records == 2 && q->qtype == TERN_T_IXFR)
			st->incremental = true;
		/* the SOA that closes the transfer: the second with the first's
		 * serial (the third in an incremental one, RFC 1995 4) */
		if (serial == st->serial && ++st->soas == (st->incremental ? 3u : 2u))
			st->done = true;
	}
	if (rc < 0)
		return rc;
	if (q->o.json)
		return cli_print_json(c, out) == CLI_EXIT_RCODE ? TERN_EMALFORMED : 0;
	if (!q->o.short_out && !(q->o.show & CLI_SHOW_ANSWER))
		return 0;
	if ((rc = tern_msg_iter_init(&it, c->reply.pkt, c->reply.len)) != 0)
		return rc;
	while ((rc = tern_msg_next(&it, &rr)) == 1) {
		if (rr.type == TERN_T_TSIG && rr.section == TERN_S_ADDITIONAL && !q->o.short_out &&
		    (q->o.show & CLI_SHOW_ADDITIONAL))
			cli_print_tsig(c, q, &rr, false, out); /* each message's, after its records */
		if (rr.section != TERN_S_ANSWER || take == 0)
			continue;
		take--;
		/* +onesoa: the closing SOA is not shown (dig: for AXFR only) */
		if (take == 0 && st->done && q->o.onesoa && q->qtype == TERN_T_AXFR && st->records > 1 &&
		    rr.type == TERN_T_SOA)
			continue;
		int n = q->o.short_out ? cli_rdata_text(c, &rr) : cli_rr_text(c, &q->o, &rr);
		if (n >= 0 && q->o.short_out)
			n = cli_rdata_style(c, &q->o, &rr, false);
		if (n < 0)
			return n;
		if (q->o.short_out)
			fprintf(out, "%s\n", c->text);
		else
			cli_print_rr_line(out, c->text, false, &q->o);
	}
	return rc < 0 ? rc : 0;
}

/* A refusal's TSIG record (its error said there), as dig shows it before
 * "; Transfer failed." */
static void print_tsig_of_error(struct cli *c, const struct cli_query *q, FILE *out)
{
	tern_msg_iter it;
	tern_rr rr;
	if (q->o.short_out || q->o.json || !(q->o.show & CLI_SHOW_ADDITIONAL) ||
	    tern_msg_iter_init(&it, c->reply.pkt, c->reply.len) != 0)
		return;
	while (tern_msg_next(&it, &rr) == 1)
		if (rr.type == TERN_T_TSIG && rr.section == TERN_S_ADDITIONAL)
			cli_print_tsig(c, q, &rr, false, out);
}

int cli_xfr(struct cli *c, const struct cli_query *q, const char *extra)
{
	FILE *out = stdout, *msgs = q->o.json ? stderr : stdout;
	bool full = !q->o.json && !q->o.short_out;
	struct xfr_state st = {0};
	if (q->o.transport == CLI_TR_HTTPS) { /* RFC 8484 carries single messages */
		fprintf(stderr, "tern: zone transfers over HTTPS are not supported\n");
		return CLI_EXIT_INTERNAL;
	}
	int rc = cli_query_new(c, q);
	if (rc != 0)
		return rc;
	int fd = -1;
	struct cli_tls_conn *tls = NULL; /* +tls: XoT (RFC 9103) */
	uint64_t sent = 0;
	const char *why = NULL;
	bool have_first = false; /* c->reply holds the first message, not yet handled */
	c->tcp_connect_failed = c->tls_check_failed = false;
	/* each try, as dig's: connect, send, wait for the first message */
	for (unsigned t = 0; t < q->o.tries && !have_first; t++) {
		sent = cli_now_us();
		uint64_t deadline = sent / 1000u + (uint64_t)q->o.timeout * 1000u;
		if (q->o.transport == CLI_TR_TLS) {
			tls = cli_tls_xfr_open(c, q, msgs, deadline);
			if (c->tls_check_failed)
				break;
			if (!tls)
				continue;
			fd = 0; /* connected: messages are read through tls */
		} else if ((fd = cli_tcp_send(c, msgs, deadline)) < 0)
			continue;
		if ((tls ? cli_tls_recv(c, tls, deadline, &why) : cli_tcp_recv(c, fd, deadline, &why)) == 0) {
			have_first = true;
			break;
		}
		cli_comm_error(c, msgs, why);
		if (tls)
			cli_tls_close(tls);
		else
			close(fd);
		tls = NULL;
		fd = -1;
	}
	if (fd < 0 && c->tcp_connect_failed) {
		fflush(out);
		return CLI_EXIT_NOREPLY; /* dig has said it all, greeting aside */
	}
	/* the greeting comes before anything else printed, but after a first
	 * message's TSIG check (dig prints it with the message) */
	bool greeted = !full;
	if (!have_first) {
		fflush(msgs);
		cli_print_cmd(c, q, extra, out);
		cli_print_noreply(c, msgs);
		fflush(out);
		return CLI_EXIT_NOREPLY;
	}
	int status = CLI_EXIT_OK;
	tern_tsig_ctx tsig; /* one context through the transfer (RFC 8945 5.3.1) */
	cli_tsig_start(c, &tsig);
	/* invariant: every message so far belonged to the transfer and parsed */
	while (!st.done) {
		uint64_t deadline = cli_now_ms() + (uint64_t)q->o.timeout * 1000u;
		if (have_first)
			have_first = false; /* read by the tries above */
		else if ((tls ? cli_tls_recv(c, tls, deadline, &why) : cli_tcp_recv(c, fd, deadline, &why)) < 0) {
			cli_comm_error(c, msgs, why);
			if (!greeted) { /* nothing of ours came: dig's error, greeting, "no servers" */
				fflush(msgs);
				cli_print_cmd(c, q, extra, out);
				cli_print_noreply(c, msgs);
			}
			greeted = true;
			status = st.messages ? CLI_EXIT_RCODE : CLI_EXIT_NOREPLY;
			break;
		}
		const uint8_t *p = c->reply.pkt;
		if (c->reply.len < TERN_HDR_LEN || tern_get_u16(p) != tern_get_u16(c->qframe + 2))
			continue; /* not ours */
		/* the first message carries the question (RFC 5936 2.2.1) */
		if (st.messages == 0 && !cli_reply_matches(c, p, c->reply.len))
			continue;
		st.messages++;
		st.bytes += c->reply.len;
		cli_set_when(&c->reply, sent);
		cli_tsig_check(c, &tsig, c->yaml ? NULL : msgs);
		if (!greeted)
			cli_print_cmd(c, q, extra, out);
		greeted = true;
		unsigned rcode = cli_rcode(p, c->reply.len);
		if (rcode != TERN_R_NOERROR) {
			print_tsig_of_error(c, q, out);
			status = cli_exit_for_rcode(rcode);
			if (status == CLI_EXIT_NXDOMAIN)
				status = CLI_EXIT_RCODE;
			break;
		}
		if (xfr_message(c, q, &st, out) != 0) {
			status = CLI_EXIT_RCODE;
			break;
		}
	}
	if (tls)
		cli_tls_close(tls);
	else
		close(fd);
	tern_tsig_ctx_free(&tsig);
	if (status != CLI_EXIT_OK && status != CLI_EXIT_NOREPLY)
		fprintf(msgs, "; Transfer failed.\n");
	else if (status == CLI_EXIT_OK && full && (q->o.show & CLI_SHOW_STATS)) {
		fprintf(out, ";; Query time: %u msec\n", c->reply.msec);
		fprintf(out, ";; SERVER: %s#%u(%s) (%s)\n", c->srv.addr, (unsigned)c->srv.port, c->srv.given,
		        tls ? "TLS" : "TCP");
		cli_print_when(out, &c->reply.when);
		fprintf(out, ";; XFR size: %u records (messages %u, bytes %zu)\n", st.records, st.messages, st.bytes);
		cli_tsig_warnings(c, out);
		fputc('\n', out);
	}
	fflush(out);
	return status;
}
