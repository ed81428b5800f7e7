/* trace.c: +trace and +nssearch, as dig does them.
 *
 * +trace: the root's NS set is asked of the given server (with RD as set,
 * DO on), then the question is asked without recursion of one server of
 * each delegation in turn, from the root down, each reply shown with its
 * answer and authority sections and ";; Received N bytes from ...". The
 * servers are the NS names of the referral, looked up as dig looks them up
 * (an address written as a name, "127.0.0.2.", is taken as that address;
 * any other name goes to the system's resolver), on the port of the
 * command line, in random order until one answers. It ends at an answer,
 * an error rcode, a referral with an SOA, or one without NS records.
 *
 * +nssearch: the NS set of the name is asked of the given server, then the
 * SOA of the name of every one of those servers, each shown on one line
 * ("SOA ... from server ADDR in N ms."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "client/client.h"

#define TRACE_MAX_NS 20   /* dig's MXSERV */
#define TRACE_MAX_HOPS 32 /* delegations followed before giving up */

struct ns_list {
	unsigned n;
	char name[TRACE_MAX_NS][TERN_NAME_TEXT_MAX];
};

/* The NS names of the reply's section sec into l (text, no final dot, as
 * dig names servers). Returns the count; *soa tells if sec holds an SOA. */
static unsigned collect_ns(struct cli *c, enum tern_section sec, struct ns_list *l, bool *soa)
{
	tern_msg_iter it;
	tern_rr rr;
	l->n = 0;
	*soa = false;
	if (tern_msg_iter_init(&it, c->reply.pkt, c->reply.len) != 0)
		return 0;
	while (tern_msg_next(&it, &rr) == 1) {
		if (rr.section != sec)
			continue;
		if (rr.type == TERN_T_SOA)
			*soa = true;
		if (rr.type != TERN_T_NS || l->n == TRACE_MAX_NS || cli_rdata_text(c, &rr) < 0)
			continue;
		size_t len = strlen(c->text);
		if (len > 1 && c->text[len - 1] == '.')
			c->text[--len] = 0;
		if (len >= sizeof l->name[0])
			continue; /* not a name text can hold: no server of ours */
		memcpy(l->name[l->n++], c->text, len + 1);
	}
	return l->n;
}

static unsigned answer_count(const struct cli *c)
{
	return c->reply.len >= TERN_HDR_LEN ? tern_get_u16(c->reply.pkt + 6) : 0;
}

/* Fisher-Yates: dig tries the servers of a referral in random order. */
static void shuffle(struct ns_list *l)
{
	for (unsigned i = l->n; i > 1; i--) {
		uint32_t r;
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			r = (uint32_t)cli_now_us();
		unsigned j = r % i;
		char tmp[TERN_NAME_TEXT_MAX];
		memcpy(tmp, l->name[i - 1], sizeof tmp);
		memcpy(l->name[i - 1], l->name[j], sizeof tmp);
		memcpy(l->name[j], tmp, sizeof tmp);
	}
}

/* Sends q to the server named s (on port) and waits for its reply.
 * Returns 0 with c->reply filled, or CLI_EXIT_NOREPLY having said why. */
static int ask(struct cli *c, const struct cli_query *q, const char *s, uint16_t port, int family)
{
	if (cli_server_parse(&c->srv, s, port, family) != 0) {
		printf("couldn't get address for '%s': not found\n", s);
		return CLI_EXIT_NOREPLY;
	}
	int rc = cli_query_new(c, q);
	if (rc != 0)
		return rc;
	return cli_exchange(c, q, stdout);
}

static int trace(struct cli *c, const struct cli_query *q)
{
	uint16_t port = c->srv.port;
	int family = c->srv.sa.ss_family;
	struct cli_query *hop = malloc(sizeof *hop);
	struct ns_list *ns = malloc(sizeof *ns);
	int rc = CLI_EXIT_INTERNAL;
	bool soa;
	if (!hop || !ns)
		goto out;
	/* the root's servers, asked of the given server */
	*hop = *q;
	hop->qname[0] = 0;
	hop->qtype = TERN_T_NS;
	hop->ixfr_serial_set = false;
	if ((rc = cli_query_new(c, hop)) != 0)
		goto out;
	cli_print_cmd(c, q, NULL, stdout);
	if ((rc = cli_exchange(c, hop, stdout)) != 0) {
		cli_print_noreply(c, stdout);
		goto out;
	}
	rc = q->o.short_out ? cli_print_short(c, hop, stdout) : cli_print_reply(c, hop, stdout);
	if (collect_ns(c, TERN_S_ANSWER, ns, &soa) == 0)
		collect_ns(c, TERN_S_AUTHORITY, ns, &soa);
	*hop = *q;
	hop->o.rd = false; /* dig: recursion means nothing past the root */
	for (unsigned depth = 0; depth < TRACE_MAX_HOPS && ns->n > 0; depth++) {
		shuffle(ns);
		unsigned k;
		for (k = 0; k < ns->n; k++)
			if ((rc = ask(c, hop, ns->name[k], port, family)) == 0)
				break;
		if (k == ns->n) {
			cli_print_noreply(c, stdout);
			rc = CLI_EXIT_NOREPLY;
			goto out;
		}
		rc = q->o.short_out ? cli_print_short(c, hop, stdout) : cli_print_reply(c, hop, stdout);
		if (cli_rcode(c->reply.pkt, c->reply.len) != TERN_R_NOERROR || answer_count(c) > 0)
			break;
		if (collect_ns(c, TERN_S_AUTHORITY, ns, &soa) == 0 || soa)
			break;
	}
out:
	free(hop);
	free(ns);
	fflush(stdout);
	return rc;
}

static int nssearch(struct cli *c, const struct cli_query *q)
{
	uint16_t port = c->srv.port;
	int family = c->srv.sa.ss_family;
	struct cli_query *ask_q = malloc(sizeof *ask_q);
	struct ns_list *ns = malloc(sizeof *ns);
	int rc = CLI_EXIT_INTERNAL;
	bool soa;
	if (!ask_q || !ns)
		goto out;
	*ask_q = *q;
	ask_q->qtype = TERN_T_NS;
	ask_q->o.rd = true;
	if ((rc = cli_query_new(c, ask_q)) != 0)
		goto out;
	if (cli_exchange(c, ask_q, stdout) != 0) {
		printf(";; NS servers could not be reached\n");
		rc = CLI_EXIT_NOREPLY;
		goto out;
	}
	if (collect_ns(c, TERN_S_ANSWER, ns, &soa) == 0) {
		rc = CLI_EXIT_OK; /* no NS set (NXDOMAIN, a referral): nothing to show, as dig */
		goto out;
	}
	shuffle(ns);
	ask_q->qtype = TERN_T_SOA;
	ask_q->o.rd = false;
	rc = CLI_EXIT_OK;
	unsigned answered = 0;
	for (unsigned k = 0; k < ns->n; k++) {
		if (ask(c, ask_q, ns->name[k], port, family) != 0)
			continue;
		answered++;
		(void)cli_print_short(c, ask_q, stdout);
	}
	if (!answered) {
		printf(";; NS servers could not be reached\n");
		rc = CLI_EXIT_NOREPLY;
	}
out:
	free(ask_q);
	free(ns);
	fflush(stdout);
	return rc;
}

int cli_trace(struct cli *c, const struct cli_query *q)
{
	return q->o.nssearch ? nssearch(c, q) : trace(c, q);
}
