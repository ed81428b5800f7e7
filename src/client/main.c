/* main.c: tern, the command-line client. Reads ~/.digrc and dig's command
 * line (servers, -p/-4/-6/-b/-t/-c/-x/-q/-f/-r/-u/-m, names with their type
 * and class, +options in options.c), runs each query in turn (the search
 * list, IDN, BADCOOKIE and BADVERS retries as dig does them), then the batch
 * file or the interactive loop, and exits with the most severe status of
 * all, dig's (see the EXIT STATUS of docs/tern.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client.h"

/* An unknown flag: dig's words, exit 1. */
static int invalid_flag(const char *arg)
{
	fprintf(stderr, "Invalid option: %s\n", arg);
	cli_print_usage(stderr);
	fputs("\nUse \"tern -h\" (or \"tern -h | more\") for complete list of options\n", stderr);
	return CLI_EXIT_USAGE;
}

/* Severity order of exit codes: the larger wins. */
static int severity(int code)
{
	switch (code) {
	case CLI_EXIT_OK: return 0;
	case CLI_EXIT_NXDOMAIN: return 1;
	case CLI_EXIT_RCODE: return 2;
	case CLI_EXIT_BATCH: return 3;
	case CLI_EXIT_NOREPLY: return 4;
	case CLI_EXIT_INTERNAL: return 5;
	default: return 6;
	}
}

static int worst(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}


struct args {
	const char *batch; /* -f */
	bool no_digrc;     /* -r */
	const char *server;        /* the first @SERVER */
	const char *more[CLI_SERVERS_MAX - 1]; /* the others, tried in turn as dig tries them */
	unsigned nmore;
	const char *source; /* -b */
	unsigned long port;
	bool port_given;
	int family;
};

/* A new query for name (wire), with the defaults as they stand now. */
static struct cli_query *new_query(struct cli *c, const uint8_t *name, uint16_t type, bool type_set)
{
	if (c->nq == CLI_MAX_QUERIES) {
		fprintf(stderr, "tern: too many queries (at most %d)\n", CLI_MAX_QUERIES);
		return NULL;
	}
	struct cli_query *q = &c->q[c->nq++];
	memcpy(q->qname, name, tern_name_len(name));
	q->qtype = type;
	q->qclass = c->def_class;
	q->type_set = type_set;
	q->class_set = false;
	q->o = c->defaults;
	return q;
}

/* The value of an option that takes one: "-tMX" or "-t MX". */
static const char *opt_value(int argc, char **argv, int *i)
{
	if (argv[*i][2])
		return argv[*i] + 2;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* "IXFR=SERIAL" (any case): the type IXFR with the serial of the copy the
 * client has (RFC 1995 3). Returns IXFR_TAKEN if s is that form (q set), 0
 * if not, or an exit status. */
#define IXFR_TAKEN (-1)
static int ixfr_form(struct cli *c, struct cli_query *q, const char *s)
{
	if (strncasecmp(s, "ixfr=", 5) != 0)
		return 0;
	unsigned long v;
	char *end;
	errno = 0;
	v = strtoul(s + 5, &end, 10);
	if (!s[5] || *end || errno || s[5] == '-' || v > 0xffffffffUL) {
		printf("invalid serial number '%s': %s\n", s + 5,
		        !s[5] || *end || s[5] == '-' ? "not a valid number" : "out of range");
		fprintf(stderr, "tern: Couldn't parse serial number\n");
		return CLI_EXIT_USAGE;
	}
	if (q) {
		q->qtype = TERN_T_IXFR;
		q->type_set = true;
		q->ixfr_serial_set = true;
		q->ixfr_serial = (uint32_t)v;
	} else {
		c->def_type = TERN_T_IXFR;
		c->def_ixfr_set = true;
		c->def_ixfr = (uint32_t)v;
	}
	return IXFR_TAKEN;
}

/* -t TYPE: an unknown mnemonic is warned about and ignored, as dig does. */
static int set_type(struct cli *c, struct cli_query *q, const char *s)
{
	uint16_t t;
	int rc = ixfr_form(c, q, s);
	if (rc)
		return rc == IXFR_TAKEN ? 0 : rc;
	if (tern_type_from_text(s, strlen(s), &t) != 0 || t == TERN_T_IXFR) {
		/* IXFR comes only as IXFR=SERIAL */
		fprintf(stderr, ";; Warning, ignoring invalid type %s\n", s);
		return 0;
	}
	if (q) {
		q->qtype = t;
		q->type_set = true;
		q->ixfr_serial_set = false;
	} else {
		c->def_type = t;
		c->def_ixfr_set = false;
	}
	return 0;
}

static int set_class(struct cli *c, struct cli_query *q, const char *s)
{
	uint16_t k;
	if (tern_class_from_text(s, strlen(s), &k) != 0) {
		fprintf(stderr, ";; Warning, ignoring invalid class %s\n", s);
		return 0;
	}
	if (q) {
		q->qclass = k;
		q->class_set = true;
	} else
		c->def_class = k;
	return 0;
}

static int add_name(struct cli *c, const char *text, struct cli_query **cur)
{
	uint8_t name[TERN_NAME_MAX];
	if (cli_name_from_text(text, name) != 0) {
		fprintf(stderr, "tern: '%s' is not a legal name\n", text);
		return CLI_EXIT_USAGE;
	}
	*cur = new_query(c, name, c->def_type, false);
	if (!*cur)
		return CLI_EXIT_USAGE;
	snprintf((*cur)->text, sizeof (*cur)->text, "%s", text);
	return 0;
}

/* "invalid port number 'x': not a valid number", as dig; exit 1. */
static int parse_port_arg(const char *val, unsigned long *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(val, &end, 10);
	if (!*val || *end || *val == '-' || errno || v > 65535) {
		printf("invalid port number '%s': %s\n", val,
		        !*val || *end || *val == '-' ? "not a valid number" : "out of range");
		fprintf(stderr, "tern: Couldn't parse port number\n");
		return CLI_EXIT_USAGE;
	}
	*port = v;
	return 0;
}

#define PARSE_HELP (-2) /* help or version printed: exit 0 */

/* Parses words (the command line without argv[0], a line of a -f file:
 * batch, or of ~/.digrc: rc, where only options count, as in dig) into c
 * and a. Returns 0, PARSE_HELP, or an exit status (said why). */
static int parse_words(struct cli *c, struct args *a, int argc, char **argv, bool batch, bool rc_file)
{
	struct cli_query *cur = NULL; /* the query that local options apply to */
	unsigned first = c->nq;
	int rc = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *val;
		uint16_t t;
		if (batch && (arg[0] == '@' || (arg[0] == '-' && strchr("46ibpfhv-", arg[1])))) {
			fprintf(stderr, "tern: '%s' is for the command line, not a batch file\n", arg);
			return CLI_EXIT_USAGE;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			cli_print_help(stdout);
			return PARSE_HELP;
		}
		if (strcmp(arg, "-v") == 0 || strcmp(arg, "--version") == 0) {
			printf("tern %s\n", TERN_VERSION);
			return PARSE_HELP;
		}
		if (arg[0] == '@') {
			if (!rc_file)
			{
				if (!a->server)
					a->server = arg + 1;
				else if (a->nmore < CLI_SERVERS_MAX - 1)
					a->more[a->nmore++] = arg + 1;
			}
		} else if (arg[0] == '+') {
			if ((rc = cli_plus_option(c, cur ? &cur->o : &c->defaults, arg)) != 0)
				return rc;
		} else if (arg[0] == '-' && arg[1]) {
			/* flags that take no value; dig lets several share one dash (-r4u) */
			if (strchr("46imru", arg[1])) {
				for (const char *f = arg + 1; *f; f++) {
					switch (*f) {
					case '4': a->family = AF_INET; break;
					case '6': a->family = AF_INET6; break;
					case 'i': c->interactive = true; break;
					case 'm': break; /* dig's memory debugging: nothing to do */
					case 'r': a->no_digrc = true; break;
					case 'u': c->usec = true; break;
					default: return invalid_flag(arg);
					}
				}
				continue;
			}
			if (!strchr("bcfkpqtxy", arg[1]))
				return invalid_flag(arg);
			if (!(val = opt_value(argc, argv, &i)))
				return invalid_flag(arg);
			switch (arg[1]) {
			case 'b': a->source = val; break;
			case 'f': a->batch = val; break;
			case 'k':
			case 'y':
				if ((rc = cli_tsig_option(c, arg[1], val)) == -2)
					return CLI_EXIT_USAGE; /* said why */
				if (rc != 0) {
					cli_print_usage(stderr); /* dig's usage(), no "Invalid option" */
					fputs("\nUse \"tern -h\" (or \"tern -h | more\") for complete list of options\n", stderr);
					return CLI_EXIT_USAGE;
				}
				break;
			case 'p':
				if ((rc = parse_port_arg(val, &a->port)) != 0)
					return rc;
				a->port_given = true;
				break;
			case 't':
				if ((rc = set_type(c, cur, val)) != 0)
					return rc;
				break;
			case 'c':
				if ((rc = set_class(c, cur, val)) != 0)
					return rc;
				break;
			case 'q':
				if (!rc_file && (rc = add_name(c, val, &cur)) != 0)
					return rc;
				break;
			case 'x': {
				uint8_t name[TERN_NAME_MAX];
				if (rc_file)
					break;
				if (cli_reverse_name(val, name) != 0) {
					fprintf(stderr, "tern: invalid address '%s' for -x\n", val);
					return CLI_EXIT_USAGE;
				}
				if (!(cur = new_query(c, name, TERN_T_PTR, false)))
					return CLI_EXIT_USAGE;
				cur->qclass = TERN_C_IN;
				break;
			}
			}
		} else if (rc_file) {
			continue; /* ~/.digrc holds options only */
		} else if ((rc = ixfr_form(c, cur, arg)) != 0) {
			if (rc != IXFR_TAKEN)
				return rc;
		} else if (tern_type_from_text(arg, strlen(arg), &t) == 0 && strchr(arg, '.') == NULL) {
			if (t == TERN_T_IXFR) {
				fprintf(stderr, ";; Warning, ixfr requires a serial number\n");
				continue;
			}
			if (cur && cur->type_set)
				fprintf(stderr, ";; Warning, extra type option\n");
			if ((rc = set_type(c, cur, arg)) != 0)
				return rc;
		} else if (tern_class_from_text(arg, strlen(arg), &t) == 0 && strchr(arg, '.') == NULL) {
			if (cur && cur->class_set)
				fprintf(stderr, ";; Warning, extra class option\n");
			if ((rc = set_class(c, cur, arg)) != 0)
				return rc;
		} else if ((rc = add_name(c, arg, &cur)) != 0) {
			return rc;
		}
	}
	/* types and classes given before any name apply to every name */
	for (unsigned k = first; k < c->nq; k++) {
		if (!c->q[k].type_set && c->q[k].qtype != TERN_T_PTR) {
			c->q[k].qtype = c->def_type;
			c->q[k].ixfr_serial_set = c->def_ixfr_set;
			c->q[k].ixfr_serial = c->def_ixfr;
		}
		if (!c->q[k].class_set)
			c->q[k].qclass = c->def_class;
	}
	return 0;
}

/* ~/.digrc ($HOME/.digrc), read as dig reads it before the command line:
 * each line's options become defaults; names and servers in it are not
 * used. A file that cannot be opened is no error. */
static int read_digrc(struct cli *c, struct args *a)
{
	const char *home = getenv("HOME");
	char path[4096], line[4096];
	char *words[64];
	if (!home || snprintf(path, sizeof path, "%s/.digrc", home) >= (int)sizeof path)
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		int n = 0;
		for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w && n < 64;
		     w = strtok_r(NULL, " \t\r\n", &save))
			words[n++] = w;
		rc = parse_words(c, a, n, words, false, true);
	}
	fclose(f);
	return rc == PARSE_HELP ? 0 : rc;
}

/* -f FILE ("-": standard input): opened with the command line, as dig
 * does (exit 8 if it cannot be). */
static FILE *open_batch(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		fprintf(stderr, "tern: couldn't open specified batch file\n");
	}
	return f;
}

/* Each line of the batch file holds queries written as on the command line
 * (names, types, classes, -t/-c/-x/-q, +options), with the command line's
 * options as defaults; '#' and ';' start comments. As in dig, a line is
 * read and run after the one before it has been answered, so that the
 * global options a line sets (+short, +[no]cmd) hold from that line on,
 * and each line gets its own greeting. Returns the worst status. */
static int run_batch(struct cli *c, struct args *a, FILE *f, int status)
{
	char line[4096], shown[4096];
	char *words[64];
	unsigned lineno = 0;
	while (fgets(line, sizeof line, f)) {
		int n = 0, rc = 0;
		lineno++;
		line[strcspn(line, "#;\n")] = 0;
		snprintf(shown, sizeof shown, "%s", line);
		for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
			if (n == (int)(sizeof words / sizeof words[0])) {
				fprintf(stderr, "tern: %s:%u: too many words\n", a->batch, lineno);
				return worst(status, CLI_EXIT_USAGE);
			}
			words[n++] = w;
		}
		if (n == 0)
			continue;
		struct cli_opts saved = c->defaults;
		uint16_t type = c->def_type, cls = c->def_class;
		bool ixfr_set = c->def_ixfr_set;
		c->nq = 0;
		if ((rc = parse_words(c, a, n, words, true, false)) != 0) {
			fprintf(stderr, "tern: %s:%u: bad line\n", a->batch, lineno);
			return worst(status, rc == PARSE_HELP ? CLI_EXIT_USAGE : rc);
		}
		c->defaults = saved;
		c->def_ixfr_set = ixfr_set;
		c->def_type = type;
		c->def_class = cls;
		/* the line's words stand in the greeting, as dig shows them */
		shown[strcspn(shown, "\r")] = 0;
		size_t skip = strspn(shown, " \t");
		size_t len = strlen(shown);
		while (len > skip && (shown[len - 1] == ' ' || shown[len - 1] == '\t'))
			shown[--len] = 0;
		for (unsigned k = 0; k < c->nq; k++) {
			c->q[k].o.short_out |= c->short_form;
			c->q[k].greeting = k == 0;
		}
		snprintf(c->batch_line, sizeof c->batch_line, "%s", shown + skip);
		for (unsigned k = 0; k < c->nq; k++)
			status = worst(status, cli_run_query(c, &c->q[k], NULL));
	}
	return status;
}

/* The arguments joined by spaces, for the "; <<>> tern" line. */
static void join_args(struct cli *c, int argc, char **argv)
{
	size_t pos = 0;
	c->cmdline[0] = 0;
	for (int i = 1; i < argc; i++) {
		int n = snprintf(c->cmdline + pos, sizeof c->cmdline - pos, "%s%s", i > 1 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof c->cmdline - pos)
			break;
		pos += (size_t)n;
	}
}

/* The status of one query as dig gives it: 0 whenever a reply came, unless
 * +rcode-status asks for tern's distinct rcode statuses. */
static int dig_status(const struct cli_query *q, int rc)
{
	if (!q->o.rcode_status && (rc == CLI_EXIT_NXDOMAIN || rc == CLI_EXIT_RCODE))
		return CLI_EXIT_OK;
	return rc;
}

#define SEARCH_NEXT (-3) /* NXDOMAIN on a name of the search list: try the next */

static int run_name(struct cli *c, const struct cli_query *q, const char *extra);

/* +ednsnegotiation (dig's default): a BADVERS reply (RFC 6891 6.1.3) with
 * a lower version than ours is asked again with that version. Returns -1
 * if there is nothing to ask again. */
static int retry_badvers(struct cli *c, const struct cli_query *q, const char *extra, FILE *msgs)
{
	tern_edns e;
	if (tern_msg_edns(c->reply.pkt, c->reply.len, &e) != 0 || !e.present || e.version >= q->o.edns_version)
		return -1;
	struct cli_query *again = malloc(sizeof *again);
	if (!again)
		return -1;
	*again = *q;
	again->greeting = !c->banner_done && q->greeting;
	again->o.edns_version = e.version;
	if (!q->o.short_out && !q->o.json && !c->yaml)
		fprintf(msgs, ";; BADVERS, retrying with EDNS version %u.\n", (unsigned)e.version);
	int rc = run_name(c, again, extra);
	free(again);
	return rc;
}

/* +badcookie (dig's default): a BADCOOKIE reply (RFC 7873 5.3) is asked
 * again once, with the server cookie it brought. */
static int retry_badcookie(struct cli *c, const struct cli_query *q, const char *extra, FILE *msgs)
{
	tern_edns e;
	tern_edns_opt o;
	size_t pos = 0;
	int k;
	if (tern_msg_edns(c->reply.pkt, c->reply.len, &e) != 0 || !e.present)
		return -1;
	while ((k = tern_edns_next_opt(&e, &pos, &o)) == 1 && o.code != TERN_OPT_COOKIE)
		;
	struct cli_query *again = k == 1 && o.len >= 16 && o.len <= 40 ? malloc(sizeof *again) : NULL;
	if (!again)
		return -1; /* no server cookie to send back: the reply stands */
	*again = *q;
	again->greeting = !c->banner_done && q->greeting; /* no second greeting */
	memcpy(again->o.cookie_val, o.data, o.len);
	again->o.cookie_len = (uint8_t)o.len;
	if (q->o.showbadcookie && !q->o.short_out && !q->o.json && !c->yaml) {
		cli_print_cmd(c, q, extra, stdout);
		(void)cli_print_reply(c, q, stdout);
		again->greeting = false;
	}
	if (!q->o.short_out && !q->o.json && !c->yaml)
		fprintf(msgs, ";; BADCOOKIE, retrying.\n");
	c->badcookie_retry = true;
	int rc = run_name(c, again, extra);
	c->badcookie_retry = false;
	free(again);
	return rc;
}

static int run_name(struct cli *c, const struct cli_query *q, const char *extra)
{
	if (q->o.trace || q->o.nssearch)
		return cli_trace(c, q);
	if (q->qtype == TERN_T_AXFR || (q->qtype == TERN_T_IXFR && q->ixfr_serial_set))
		return cli_xfr(c, q, extra);
	FILE *msgs = q->o.json ? stderr : stdout;
	bool full = !q->o.json && !q->o.short_out && !c->yaml;
	int rc = cli_query_new(c, q);
	if (rc != 0)
		return rc;
	if (full && q->o.qr) { /* dig shows the query before any error */
		cli_print_cmd(c, q, extra, stdout);
		cli_print_query(c, q, stdout);
		fflush(stdout);
	}
	rc = cli_exchange(c, q, msgs);
	if (rc == CLI_GAVE_UP) {
		fflush(stdout);
		return CLI_EXIT_OK; /* as dig: the stray message named, nothing more */
	}
	if (rc != 0 && c->tcp_connect_failed) {
		fflush(stdout);
		return rc; /* dig has said it all, greeting aside */
	}
	if (rc == 0 && c->search_quiet && cli_rcode(c->reply.pkt, c->reply.len) == TERN_R_NXDOMAIN)
		return SEARCH_NEXT;
	if (rc == 0 && q->o.ednsneg && cli_rcode(c->reply.pkt, c->reply.len) == TERN_R_BADVERS) {
		int again = retry_badvers(c, q, extra, msgs);
		if (again != -1)
			return again;
	}
	if (rc == 0 && q->o.badcookie && q->o.cookie && !c->badcookie_retry && !c->reply.tcp &&
	    cli_rcode(c->reply.pkt, c->reply.len) == TERN_R_BADCOOKIE)
	{
		int again = retry_badcookie(c, q, extra, msgs);
		if (again != -1)
			return again;
	}
	if (rc == 0 && c->tsig) { /* as dig: after the retries, before the output */
		tern_tsig_ctx v;
		cli_tsig_start(c, &v);
		cli_tsig_check(c, &v, c->yaml ? NULL : q->o.json ? stderr : stdout);
		tern_tsig_ctx_free(&v);
	}
	if (full && !q->o.qr)
		cli_print_cmd(c, q, extra, stdout);
	if (rc != 0) {
		cli_print_noreply(c, msgs);
		fflush(stdout);
		return rc;
	}
	if (q->o.json)
		rc = cli_print_json(c, stdout);
	else if (c->yaml)
		rc = cli_print_yaml(c, q, stdout);
	else if (q->o.short_out)
		rc = cli_print_short(c, q, stdout);
	else
		rc = cli_print_reply(c, q, stdout);
	fflush(stdout);
	return rc;
}

/* dots in a name as typed, and whether it ends in one (then it is absolute) */
static unsigned count_dots(const char *s, bool *absolute)
{
	unsigned n = 0;
	size_t len = strlen(s);
	for (size_t i = 0; i < len; i++)
		n += s[i] == '.' && (i == 0 || s[i - 1] != '\\');
	*absolute = len && s[len - 1] == '.' && (len < 2 || s[len - 2] != '\\');
	return n;
}

/* +search (dig's order): a name with fewer dots than +ndots goes down the
 * search list first and is then tried as it is; one with more is tried as
 * it is first. An NXDOMAIN moves to the next name, quietly unless
 * +showsearch; the last answer is shown whatever it is. */
static int run_one(struct cli *c, const struct cli_query *q, const char *extra)
{
	bool absolute;
	unsigned dots = q->text[0] ? count_dots(q->text, &absolute) : 0;
	if (!c->search || c->nsearch == 0 || !q->text[0] || absolute || q->o.trace || q->o.nssearch)
		return run_name(c, q, extra);
	char names[CLI_SEARCH_MAX + 1][TERN_NAME_TEXT_MAX];
	unsigned n = 0;
	if (dots >= c->ndots)
		snprintf(names[n++], sizeof names[0], "%s", q->text);
	for (unsigned k = 0; k < c->nsearch; k++)
		snprintf(names[n++], sizeof names[0], "%.*s.%s", (int)(sizeof names[0] - 258), q->text, c->search_list[k]);
	if (dots < c->ndots)
		snprintf(names[n++], sizeof names[0], "%s", q->text);
	struct cli_query *try = malloc(sizeof *try);
	if (!try)
		return CLI_EXIT_INTERNAL;
	int rc = CLI_EXIT_INTERNAL;
	for (unsigned k = 0; k < n; k++) {
		*try = *q;
		if (cli_name_from_text(names[k], try->qname) != 0)
			continue;
		snprintf(try->text, sizeof try->text, "%s", names[k]);
		c->search_quiet = k + 1 < n && !c->showsearch;
		if (c->showsearch && k > 0 && q->greeting)
			c->banner_done = false; /* dig greets each shown step in full */
		rc = run_name(c, try, extra);
		c->search_quiet = false;
		if (rc != SEARCH_NEXT && !(c->showsearch && k + 1 < n && rc == CLI_EXIT_NXDOMAIN))
			break;
	}
	free(try);
	return rc == SEARCH_NEXT ? CLI_EXIT_NXDOMAIN : rc;
}

int cli_run_query(struct cli *c, const struct cli_query *q, const char *extra)
{
	bool ascii = true;
	for (const char *p = q->text; *p; p++)
		ascii &= (unsigned char)*p < 0x80;
	if (ascii || !q->o.idnin)
		return dig_status(q, run_one(c, q, extra));
	/* +idnin: the name as typed, its non-ASCII labels in Punycode */
	struct cli_query *ace = malloc(sizeof *ace);
	if (!ace)
		return CLI_EXIT_INTERNAL;
	*ace = *q;
	/* as dig (libidn2), the name is read in the locale's character set */
	const char *why = strcmp(nl_langinfo(CODESET), "UTF-8") != 0 ? "could not convert string to UTF-8"
	                  : cli_idn_to_ascii(q->text, ace->text, sizeof ace->text) < 0 ||
	                                  cli_name_from_text(ace->text, ace->qname) != 0
	                          ? "string contains invalid characters"
	                          : NULL;
	if (why) {
		fprintf(stderr, "tern: '%s' is not a legal IDNA2008 name (%s), use +noidnin\n", q->text, why);
		free(ace);
		return CLI_EXIT_USAGE;
	}
	int rc = dig_status(q, run_one(c, ace, extra));
	free(ace);
	return rc;
}

/* -r anywhere on the command line keeps ~/.digrc unread (dig looks for it
 * before everything else). */
static bool digrc_disabled(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (w[0] == '-' && strchr("bcfkpqtxy", w[1]) && !w[2]) {
			i++; /* its value */
			continue;
		}
		if (w[0] == '-' && w[1] && strspn(w + 1, "46imru") == strlen(w + 1) && strchr(w, 'r'))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	setlocale(LC_CTYPE, ""); /* the character set of names typed and shown (+idnin, +idnout) */
	/* a server that closes a TLS connection under a write must give an
	 * error, not kill tern: OpenSSL writes with write(2), which raises
	 * SIGPIPE (src/tls/client.h says callers ignore it) */
	signal(SIGPIPE, SIG_IGN);
	struct cli *c = calloc(1, sizeof *c);
	if (!c) {
		perror("tern");
		return CLI_EXIT_INTERNAL;
	}
	c->defaults = (struct cli_opts){.rd = true,
	                                .ad = true,
	                                .edns = true,
	                                .cookie = true,
	                                .show = CLI_SHOW_ALL,
	                                .bufsize = TERN_EDNS_SIZE,
	                                .timeout = 5,
	                                .tries = 3,
	                                .qid = -1,
	                                .fail = true,
	                                .badcookie = true,
	                                .ednsneg = true,
	                                .split = CLI_SPLIT_DEFAULT,
	                                .idnin = isatty(STDOUT_FILENO),
	                                .idnout = isatty(STDOUT_FILENO)};
	c->def_type = TERN_T_A;
	c->def_class = TERN_C_IN;
	c->ndots = 1;
	c->printcmd = true;
	c->keep_fd = -1;
	/* RFC 7873 4.1: a client cookie that changes from run to run */
	if (getrandom(c->client_cookie, sizeof c->client_cookie, 0) != (ssize_t)sizeof c->client_cookie) {
		uint64_t t = cli_now_us() ^ ((uint64_t)getpid() << 32);
		memcpy(c->client_cookie, &t, sizeof c->client_cookie);
	}
	struct args a = {.port = 53, .family = AF_UNSPEC};
	int rc = 0;
	if (!digrc_disabled(argc, argv))
		rc = read_digrc(c, &a);
	if (rc == 0)
		rc = parse_words(c, &a, argc - 1, argv + 1, false, false);
	FILE *batch = NULL;
	if (rc == 0 && a.batch && !(batch = open_batch(a.batch)))
		rc = CLI_EXIT_BATCH;
	if (rc != 0) {
		free(c);
		return rc == PARSE_HELP ? CLI_EXIT_OK : rc;
	}
	join_args(c, argc, argv);
	c->server_given = a.server != NULL;
	if (!a.port_given) { /* dig: 853 for DNS over TLS (RFC 7858 3.1), 443 for HTTPS */
		uint8_t tr = c->defaults.transport;
		for (unsigned k = 0; k < c->nq && tr == CLI_TR_PLAIN; k++)
			tr = c->q[k].o.transport;
		if (tr != CLI_TR_PLAIN)
			a.port = tr == CLI_TR_TLS ? 853 : 443;
	}
	struct in_addr v4;
	if (a.family == AF_INET6 && a.server && inet_pton(AF_INET, a.server, &v4) == 1) {
		/* dig's answer to -6 with an IPv4 server (its words, its status) */
		printf(";; Skipping mapped address '::ffff:%s'\n;; No acceptable nameservers\n", a.server);
		if (batch && batch != stdin)
			fclose(batch);
		free(c);
		return CLI_EXIT_OK;
	}
	if ((a.server ? cli_server_parse(&c->srv, a.server, (uint16_t)a.port, a.family)
	              : cli_server_default(&c->srv, (uint16_t)a.port, a.family)) ||
	    (a.source && cli_source_parse(c, a.source, c->srv.sa.ss_family) != 0)) {
		if (batch && batch != stdin)
			fclose(batch);
		free(c);
		return CLI_EXIT_USAGE;
	}
	c->srvs[0] = c->srv;
	c->nsrv = 1;
	for (unsigned k = 0; k < a.nmore; k++) {
		if (cli_server_parse(&c->srvs[c->nsrv], a.more[k], (uint16_t)a.port, a.family) != 0) {
			if (batch && batch != stdin)
				fclose(batch);
			free(c);
			return CLI_EXIT_USAGE;
		}
		c->nsrv++;
	}
	cli_search_apply(c);
	if ((rc = cli_tsig_setup(c)) != 0) {
		if (batch && batch != stdin)
			fclose(batch);
		free(c);
		return rc;
	}
	for (unsigned k = 0; k < c->nq; k++) { /* +short is global in dig, wherever it is given */
		c->q[k].o.short_out |= c->short_form;
		c->q[k].greeting = k == 0;
	}
	int status = CLI_EXIT_OK;
	for (unsigned k = 0; k < c->nq; k++)
		status = worst(status, cli_run_query(c, &c->q[k], NULL));
	if (batch) {
		status = run_batch(c, &a, batch, status);
		if (batch != stdin)
			fclose(batch);
	}
	if ((c->nq == 0 && !a.batch) || c->interactive)
		status = worst(status, cli_interactive(c, stdin, stdout));
	if (c->keep_fd >= 0)
		close(c->keep_fd);
	tern_tsig_ctx_free(&c->tsig_req);
	free(c);
	return status;
}
