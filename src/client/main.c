/* main.c: tern, the command-line client. Reads dig's command line (server,
 * -p/-4/-6/-t/-c/-x/-q, names with their type and class, +options), runs
 * each query in turn or the interactive loop, and exits with the most
 * severe status of all (see usage()). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client/client.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tern [@SERVER] [-p PORT] [-4|-6] [-b ADDR] [-t TYPE] [-c CLASS] [-x ADDR]\n"
	        "            [-q NAME] [-f FILE] [-i] [NAME [TYPE] [CLASS]]... [+OPTION]...\n"
	        "\n"
	        "Asks SERVER (default: the first nameserver of /etc/resolv.conf, or of\n"
	        "$TERN_RESOLV_CONF if set) for each NAME and prints the replies as dig does.\n"
	        "With no NAME (or with -i) it asks \"Enter hostname:\" and \"Record type:\"\n"
	        "(empty means A) in a loop, until end of input or \"quit\".\n"
	        "\n"
	        "  @SERVER     address or host name: 127.0.0.1, ::1, [::1]:5353, 127.0.0.1#5353\n"
	        "  -p PORT     server port (default 53)\n"
	        "  -4, -6      use IPv4 / IPv6 only\n"
	        "  -b ADDR     send from this source address (or ADDR#PORT)\n"
	        "  -t TYPE     query type (default A; PTR with -x)\n"
	        "  -c CLASS    query class (default IN)\n"
	        "  -x ADDR     reverse lookup: in-addr.arpa or ip6.arpa name, type PTR\n"
	        "  -q NAME     query NAME even if it looks like a type or class\n"
	        "  -f FILE     read queries from FILE (\"-\": standard input), one line each,\n"
	        "              written as on the command line\n"
	        "  -i          interactive mode\n"
	        "  -h, --help  this text;  -v, --version  the version\n"
	        "\n"
	        "Options (before the first NAME: for every query; after one: for it only):\n"
	        "  +[no]tcp         TCP instead of UDP (default: UDP, TCP if truncated)\n"
	        "  +[no]ignore      do not retry over TCP when the reply is truncated\n"
	        "  +[no]short       print only the data of the answer section\n"
	        "  +[no]json        print the reply as RFC 8427 JSON\n"
	        "  +[no]recurse     set RD (default on)\n"
	        "  +[no]dnssec      set the EDNS DO bit\n"
	        "  +[no]adflag      set AD (default on, as in dig);  +[no]cdflag  set CD\n"
	        "  +[no]qr          print the query as well\n"
	        "  +[no]edns        send EDNS(0) (default on)\n"
	        "  +bufsize=N       EDNS UDP payload size (default 1232)\n"
	        "  +[no]nsid        ask for the server's NSID (RFC 5001)\n"
	        "  +timeout=S       seconds to wait for each try (default 5)\n"
	        "  +tries=N         UDP attempts (default 3);  +retry=N  the same as tries=N+1\n"
	        "  +nocookie, +nosearch, +noidnin, +noidnout\n"
	        "                   accepted for dig scripts: tern never does these\n"
	        "  +[no]cmd, +[no]comments, +[no]question, +[no]answer, +[no]authority,\n"
	        "  +[no]additional, +[no]stats, +[no]all\n"
	        "                   show or hide these parts of the output, as in dig\n"
	        "                   (+noall +answer prints only the answer records)\n"
	        "\n"
	        "Exit status (with several queries the most severe wins: 1, 9, 3, 2, 0):\n"
	        "  0  NOERROR (including an empty answer)\n"
	        "  1  usage error\n"
	        "  2  NXDOMAIN\n"
	        "  3  SERVFAIL, REFUSED, FORMERR, NOTIMP or another error rcode, or a malformed reply\n"
	        "  9  no reply from the server\n");
}

/* Severity order of exit codes: the larger wins. */
static int severity(int code)
{
	switch (code) {
	case CLI_EXIT_OK: return 0;
	case CLI_EXIT_NXDOMAIN: return 1;
	case CLI_EXIT_RCODE: return 2;
	case CLI_EXIT_NOREPLY: return 3;
	default: return 4;
	}
}

static int worst(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}

static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *s != '-' && *v >= min && *v <= max;
}

/* Applies one +option to o. Returns 0, or -1 (reported). */
static int plus_option(struct cli_opts *o, const char *arg)
{
	const char *s = arg + 1;
	bool on = true;
	if (strncmp(s, "no", 2) == 0) {
		on = false;
		s += 2;
	}
	const char *eq = strchr(s, '=');
	size_t klen = eq ? (size_t)(eq - s) : strlen(s);
	const char *val = eq ? eq + 1 : NULL;
	unsigned long v;
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(s, k, klen) == 0)
	if (!val) {
		if (KEY("tcp") || KEY("vc"))
			o->tcp = on;
		else if (KEY("ignore"))
			o->ignore_tc = on;
		else if (KEY("short"))
			o->short_out = on;
		else if (KEY("json"))
			o->json = on;
		else if (KEY("recurse") || KEY("rec"))
			o->rd = on;
		else if (KEY("dnssec")) {
			o->dnssec = on;
			if (on)
				o->edns = true;
		} else if (KEY("qr"))
			o->qr = on;
		else if (KEY("adflag") || KEY("ad"))
			o->ad = on;
		else if (KEY("cdflag") || KEY("cd"))
			o->cd = on;
		else if (KEY("edns"))
			o->edns = on;
		else if (!on && (KEY("cookie") || KEY("search") || KEY("idnin") || KEY("idnout")))
			; /* what scripts turn off in dig is never on in tern */
		else if (KEY("nsid")) {
			o->nsid = on;
			if (on)
				o->edns = true;
		} else {
			static const struct {
				const char *key;
				unsigned bits;
			} show[] = {{"cmd", CLI_SHOW_CMD},           {"comments", CLI_SHOW_COMMENTS},
			            {"question", CLI_SHOW_QUESTION}, {"answer", CLI_SHOW_ANSWER},
			            {"authority", CLI_SHOW_AUTHORITY}, {"additional", CLI_SHOW_ADDITIONAL},
			            {"stats", CLI_SHOW_STATS},       {"all", CLI_SHOW_ALL}};
			size_t k = 0;
			while (k < sizeof show / sizeof show[0] && !(klen == strlen(show[k].key) &&
			                                              strncmp(s, show[k].key, klen) == 0))
				k++;
			if (k == sizeof show / sizeof show[0])
				goto bad;
			o->show = on ? o->show | show[k].bits : o->show & ~show[k].bits;
		}
		return 0;
	}
	if (!on)
		goto bad;
	if (KEY("bufsize")) {
		if (!parse_uint(val, 0, 65535, &v))
			goto badval;
		o->bufsize = (uint16_t)v;
		o->edns = true;
	} else if (KEY("timeout") || KEY("time")) {
		if (!parse_uint(val, 1, 3600, &v))
			goto badval;
		o->timeout = (unsigned)v;
	} else if (KEY("tries")) {
		if (!parse_uint(val, 1, 100, &v))
			goto badval;
		o->tries = (unsigned)v;
	} else if (KEY("retry")) {
		if (!parse_uint(val, 0, 99, &v))
			goto badval;
		o->tries = (unsigned)v + 1;
	} else if (KEY("edns")) {
		if (!parse_uint(val, 0, 0, &v))
			goto badval;
		o->edns = true;
	} else
		goto bad;
	return 0;
#undef KEY
badval:
	fprintf(stderr, "tern: invalid value in option '%s'\n", arg);
	return -1;
bad:
	fprintf(stderr, "tern: invalid option '%s'\n", arg);
	return -1;
}

struct args {
	const char *batch; /* -f */
	const char *server;
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
	fprintf(stderr, "tern: option %s needs a value\n", argv[*i]);
	return NULL;
}

static int set_type(struct cli *c, struct cli_query *q, const char *s)
{
	uint16_t t;
	if (tern_type_from_text(s, strlen(s), &t) != 0) {
		fprintf(stderr, "tern: unknown type '%s'\n", s);
		return -1;
	}
	if (q) {
		q->qtype = t;
		q->type_set = true;
	} else
		c->def_type = t;
	return 0;
}

static int set_class(struct cli *c, struct cli_query *q, const char *s)
{
	uint16_t k;
	if (tern_class_from_text(s, strlen(s), &k) != 0) {
		fprintf(stderr, "tern: unknown class '%s'\n", s);
		return -1;
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
		fprintf(stderr, "tern: invalid name '%s'\n", text);
		return -1;
	}
	*cur = new_query(c, name, c->def_type, false);
	return *cur ? 0 : -1;
}

/* Parses words (the command line without argv[0], or one line of a -f
 * file: batch) into c and a. Returns -1 on a usage error, 1 if it printed
 * help or the version, else 0. */
static int parse_words(struct cli *c, struct args *a, int argc, char **argv, bool batch)
{
	struct cli_query *cur = NULL; /* the query that local options apply to */
	unsigned first = c->nq;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *val;
		uint16_t t;
		if (batch && (arg[0] == '@' || (arg[0] == '-' && strchr("46ibpfhv-", arg[1])))) {
			fprintf(stderr, "tern: '%s' is for the command line, not a batch file\n", arg);
			return -1;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(arg, "-v") == 0 || strcmp(arg, "--version") == 0) {
			printf("tern %s\n", TERN_VERSION);
			return 1;
		}
		if (arg[0] == '@') {
			a->server = arg + 1;
		} else if (arg[0] == '+') {
			if (plus_option(cur ? &cur->o : &c->defaults, arg) != 0)
				return -1;
		} else if (arg[0] == '-' && arg[1]) {
			switch (arg[1]) {
			case '4':
			case '6':
				if (arg[2])
					goto bad;
				a->family = arg[1] == '4' ? AF_INET : AF_INET6;
				break;
			case 'i':
				if (arg[2])
					goto bad;
				c->interactive = true;
				break;
			case 'b':
				if (!(a->source = opt_value(argc, argv, &i)))
					return -1;
				break;
			case 'f':
				if (!(a->batch = opt_value(argc, argv, &i)))
					return -1;
				break;
			case 'p':
				if (!(val = opt_value(argc, argv, &i)))
					return -1;
				if (!parse_uint(val, 1, 65535, &a->port)) {
					fprintf(stderr, "tern: invalid port '%s'\n", val);
					return -1;
				}
				a->port_given = true;
				break;
			case 't':
				if (!(val = opt_value(argc, argv, &i)) || set_type(c, cur, val) != 0)
					return -1;
				break;
			case 'c':
				if (!(val = opt_value(argc, argv, &i)) || set_class(c, cur, val) != 0)
					return -1;
				break;
			case 'q':
				if (!(val = opt_value(argc, argv, &i)) || add_name(c, val, &cur) != 0)
					return -1;
				break;
			case 'x': {
				uint8_t name[TERN_NAME_MAX];
				if (!(val = opt_value(argc, argv, &i)))
					return -1;
				if (cli_reverse_name(val, name) != 0) {
					fprintf(stderr, "tern: invalid address '%s' for -x\n", val);
					return -1;
				}
				if (!(cur = new_query(c, name, TERN_T_PTR, false)))
					return -1;
				cur->qclass = TERN_C_IN;
				break;
			}
			default:
				goto bad;
			}
		} else if (tern_type_from_text(arg, strlen(arg), &t) == 0) {
			if (cur && cur->type_set)
				fprintf(stderr, ";; Warning, extra type option\n");
			if (set_type(c, cur, arg) != 0)
				return -1;
		} else if (tern_class_from_text(arg, strlen(arg), &t) == 0) {
			if (set_class(c, cur, arg) != 0)
				return -1;
		} else if (add_name(c, arg, &cur) != 0) {
			return -1;
		}
		continue;
bad:
		fprintf(stderr, "tern: invalid option '%s'\n", arg);
		return -1;
	}
	/* types and classes given before any name apply to every name */
	for (unsigned k = first; k < c->nq; k++) {
		if (!c->q[k].type_set && c->q[k].qtype != TERN_T_PTR)
			c->q[k].qtype = c->def_type;
		if (!c->q[k].class_set)
			c->q[k].qclass = c->def_class;
	}
	return 0;
}

/* -f FILE ("-": standard input): each line holds queries written as on
 * the command line (names, types, classes, -t/-c/-x/-q, +options), with
 * the command line's options as defaults. '#' and ';' start comments. */
static int read_batch(struct cli *c, struct args *a)
{
	FILE *f = strcmp(a->batch, "-") == 0 ? stdin : fopen(a->batch, "r");
	char line[4096];
	char *words[64];
	unsigned lineno = 0;
	int rc = 0;
	if (!f) {
		fprintf(stderr, "tern: cannot open '%s': %s\n", a->batch, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f)) {
		int n = 0;
		lineno++;
		line[strcspn(line, "#;\n")] = 0;
		for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
			if (n == (int)(sizeof words / sizeof words[0])) {
				fprintf(stderr, "tern: %s:%u: too many words\n", a->batch, lineno);
				rc = -1;
				break;
			}
			words[n++] = w;
		}
		if (rc != 0 || n == 0)
			continue;
		struct cli_opts saved = c->defaults;
		uint16_t type = c->def_type, cls = c->def_class;
		if (parse_words(c, a, n, words, true) != 0) {
			fprintf(stderr, "tern: %s:%u: bad line\n", a->batch, lineno);
			rc = -1;
		}
		c->defaults = saved;
		c->def_type = type;
		c->def_class = cls;
	}
	if (f != stdin)
		fclose(f);
	return rc;
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

int cli_run_query(struct cli *c, const struct cli_query *q, const char *extra)
{
	if (q->qtype == TERN_T_AXFR)
		return cli_xfr(c, q, extra);
	FILE *msgs = q->o.json ? stderr : stdout;
	bool full = !q->o.json && !q->o.short_out;
	int rc = cli_query_new(c, q);
	if (rc != 0)
		return rc;
	if (full && q->o.qr) { /* dig shows the query before any error */
		if (q->o.show & CLI_SHOW_CMD)
			cli_print_cmd(c, extra, stdout);
		cli_print_query(c, q, stdout);
		fflush(stdout);
	}
	rc = cli_exchange(c, q, msgs);
	if (full && !q->o.qr && (q->o.show & CLI_SHOW_CMD))
		cli_print_cmd(c, extra, stdout);
	if (rc != 0) {
		cli_print_noreply(c, msgs);
		fflush(stdout);
		return rc;
	}
	if (q->o.json)
		rc = cli_print_json(c, stdout);
	else if (q->o.short_out)
		rc = cli_print_short(c, stdout);
	else
		rc = cli_print_reply(c, q, stdout);
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli *c = calloc(1, sizeof *c);
	if (!c) {
		perror("tern");
		return CLI_EXIT_USAGE;
	}
	c->defaults = (struct cli_opts){
	        .rd = true, .ad = true, .edns = true, .show = CLI_SHOW_ALL, .bufsize = TERN_EDNS_SIZE, .timeout = 5, .tries = 3};
	c->def_type = TERN_T_A;
	c->def_class = TERN_C_IN;
	struct args a = {.port = 53, .family = AF_UNSPEC};
	int rc = parse_words(c, &a, argc - 1, argv + 1, false);
	if (rc == 0 && a.batch && read_batch(c, &a) != 0)
		rc = -1;
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "Try 'tern --help' for more information.\n");
		free(c);
		return rc < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	join_args(c, argc, argv);
	c->server_given = a.server != NULL;
	if (a.server ? cli_server_parse(&c->srv, a.server, (uint16_t)a.port, a.family)
	             : cli_server_default(&c->srv, (uint16_t)a.port, a.family)) {
		free(c);
		return CLI_EXIT_USAGE;
	}
	if (a.source && (cli_source_parse(c, a.source, c->srv.sa.ss_family) != 0)) {
		free(c);
		return CLI_EXIT_USAGE;
	}
	int status = CLI_EXIT_OK;
	for (unsigned k = 0; k < c->nq; k++)
		status = worst(status, cli_run_query(c, &c->q[k], NULL));
	if ((c->nq == 0 && !a.batch) || c->interactive)
		status = worst(status, cli_interactive(c, stdin, stdout));
	free(c);
	return status;
}
