/* client.h: what the parts of the client `tern` share: per-query options,
 * the queries of one run, the server address, one exchange's reply, and the
 * run's context that owns every buffer (allocated once in main). */
#ifndef TERN_CLIENT_H
#define TERN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "tern/msg.h"
#include "tern/name.h"
#include "tern/tsig.h"

#ifndef TERN_VERSION
#define TERN_VERSION "0.1.0"
#endif

/* Exit codes, as dig's (BIND 9.18): 0 whenever a reply arrived, whatever
 * its rcode. With several queries the most severe one wins. +rcode-status
 * adds the distinct statuses 2 (NXDOMAIN) and 3 (another error rcode or a
 * malformed reply), tern's own. */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* a reply arrived (NOERROR with +rcode-status) */
	CLI_EXIT_USAGE = 1,    /* bad command line */
	CLI_EXIT_NXDOMAIN = 2, /* +rcode-status: NXDOMAIN */
	CLI_EXIT_RCODE = 3,    /* +rcode-status: SERVFAIL, REFUSED, ... or a malformed reply */
	CLI_EXIT_BATCH = 8,    /* cannot open the batch file */
	CLI_EXIT_NOREPLY = 9,  /* no valid reply from the server */
	CLI_EXIT_INTERNAL = 10, /* a value dig "couldn't parse", or an internal error */
};

/* Parts of the dig-style output of one query, switched by +[no]comments,
 * +[no]question, +[no]answer, +[no]authority, +[no]additional, +[no]stats
 * and +[no]all. The greeting (+[no]cmd) is global in dig: c->printcmd. */
enum {
	CLI_SHOW_CMD = 1u << 0,      /* kept for the bit layout; see c->printcmd */
	CLI_SHOW_COMMENTS = 1u << 1, /* header, flags, OPT, section titles, blank lines */
	CLI_SHOW_QUESTION = 1u << 2, /* the sections' records: 1u << (2 + section) */
	CLI_SHOW_ANSWER = 1u << 3,
	CLI_SHOW_AUTHORITY = 1u << 4,
	CLI_SHOW_ADDITIONAL = 1u << 5,
	CLI_SHOW_STATS = 1u << 6,    /* query time, server, when, size */
	CLI_SHOW_ALL = (1u << 7) - 1,
};

/* Settings of one query, from +options (dig's names; options.c). */
struct cli_opts {
	bool tcp;       /* +tcp: TCP only */
	bool tcp_set;   /* +[no]tcp given (else ANY goes over TCP, as in dig) */
	bool ignore_tc; /* +ignore: do not retry over TCP on TC=1 */
	bool short_out; /* +short */
	bool json;      /* +json: RFC 8427 */
	bool rd;        /* +recurse (default on) */
	bool ad, cd;    /* +adflag (default on, as in dig), +cdflag */
	bool aa, ra, tc, z; /* +aaflag, +raflag, +tcflag, +zflag: header bits of the query */
	bool qr;        /* +qr: print the query too */
	bool dnssec;    /* +dnssec: EDNS DO bit */
	bool coflag;    /* +coflag: EDNS CO bit */
	bool edns;      /* +edns (default on) */
	bool nsid;      /* +nsid */
	bool expire;    /* +expire: EDNS EXPIRE (RFC 7314) */
	bool keepalive; /* +keepalive: EDNS TCP keepalive (RFC 7828) */
	bool header_only; /* +header-only: no question */
	bool cookie;    /* +cookie (default on): EDNS COOKIE (RFC 7873) */
	bool badcookie; /* +badcookie: retry once on BADCOOKIE */
	bool ednsneg;   /* +ednsnegotiation: on BADVERS, ask again with the server's version */
	bool showbadcookie; /* +showbadcookie: show the BADCOOKIE reply before that */
	bool fail;      /* +fail (dig's default): a SERVFAIL is the answer; +nofail asks the next server */
	bool nottl, noclass, ttlunits; /* +nottlid, +noclass, +ttlunits */
	bool multiline; /* +multiline */
	bool onesoa;    /* +onesoa: AXFR shows the first SOA only */
	bool identify;  /* +identify: the answering server in +short output */
	bool nocrypto;  /* +nocrypto: key and signature data as [omitted] */
	bool unknownformat; /* +unknownformat: RDATA in RFC 3597 form */
	bool expandaaaa; /* +expandaaaa: AAAA with every zero written */
	bool idnin, idnout; /* +idnin, +idnout (dig's default: on when stdout is a terminal) */
	bool rcode_status; /* +rcode-status: exit 2/3 for error rcodes */
	bool trace, nssearch; /* +trace, +nssearch */
	int rrcomments; /* +rrcomments: 1, +norrcomments: -1, default 0 */
	unsigned show;  /* what dig-style output shows: CLI_SHOW_* */
	uint8_t edns_version;
	uint16_t ednsflags; /* +ednsflags: the flag bits other than DO and CO */
	uint16_t bufsize;  /* EDNS UDP payload size */
	bool bufsize_set;  /* +bufsize=N (N > 0): EDNS even after +noedns, as in dig */
	unsigned timeout;  /* seconds per try */
	unsigned tries;    /* UDP (and TCP connect) attempts */
	unsigned opcode;   /* +opcode */
	int32_t qid;       /* +qid, or -1: random */
	uint16_t padding;  /* +padding: block size (RFC 7830, 8467), 0: none */
	unsigned split;    /* +split: width of hex/base64 chunks, 0: one piece, CLI_SPLIT_DEFAULT: dig's */
	uint8_t cookie_len; /* +cookie=HEX: the cookie sent as given (0: a fresh client cookie) */
	uint8_t cookie_val[40];
	bool subnet;        /* +subnet=ADDR[/LEN] (RFC 7871) */
	uint16_t subnet_family; /* 1 IPv4 (and +subnet=0), 2 IPv6 */
	uint8_t subnet_len;
	uint8_t subnet_addr[16];
	uint16_t ednsopt_len; /* +ednsopt=CODE[:HEX]...: the options, wire form */
	uint8_t ednsopt[512];
	/* encrypted transports (tlsx.c) */
	uint8_t transport;  /* CLI_TR_PLAIN (UDP, TCP), CLI_TR_TLS (+tls), CLI_TR_HTTPS (+https) */
	bool https_get;     /* +https-get: GET instead of POST */
	bool tls_ca_set;    /* +tls-ca[=FILE]: the peer's chain is checked (FILE, or the system's store) */
	char tls_ca[256];
	char tls_hostname[256]; /* +tls-hostname=NAME: the name checked, and sent in SNI */
	char tls_pin[64];   /* +tls-pin=B64 (kdig): the SHA-256 of the peer's SubjectPublicKeyInfo */
	char https_path[256]; /* +https=PATH ("" : /dns-query) */
};

enum { CLI_TR_PLAIN = 0, CLI_TR_TLS = 1, CLI_TR_HTTPS = 2 };

struct cli_query {
	uint8_t qname[TERN_NAME_MAX];
	uint16_t qtype, qclass;
	bool type_set, class_set; /* given for this query explicitly */
	bool ixfr_serial_set;     /* IXFR=SERIAL: an SOA with it in the authority section */
	uint32_t ixfr_serial;
	char text[TERN_NAME_TEXT_MAX]; /* the name as given (for +search), or "" */
	bool greeting; /* the first query of the command line or of a batch line */
	struct cli_opts o;
};

struct cli_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char addr[64];    /* numeric address text, "127.0.0.1" or "::1" */
	char given[256];  /* as the user named it (or resolv.conf) */
	uint16_t port;
};

/* One reply, validated (ID, source, question) by cli_exchange. */
struct cli_reply {
	uint8_t pkt[TERN_MSG_MAX];
	size_t len;
	bool tcp;           /* came over TCP (or TLS, HTTPS) */
	const char *proto;  /* what the SERVER line says: "UDP", "TCP", "TLS", "HTTPS", "HTTPS-GET" */
	unsigned msec;      /* query time */
	uint64_t usec;      /* query time in microseconds */
	struct timespec when;
};

#define CLI_MAX_QUERIES 256
#define CLI_SEARCH_MAX 6
#define CLI_SERVERS_MAX 8
#define CLI_SPLIT_DEFAULT 0xffffffffu
#define CLI_CMDLINE_MAX 4096
#define CLI_TEXT_MAX (4 * TERN_MSG_MAX + 1024)
#define CLI_RDATA_MAX (TERN_MSG_MAX + 1024)

/* Everything of one run. Allocated once; the buffers are reused for every
 * query and every record. */
struct cli {
	struct cli_opts defaults; /* options given before the first name */
	uint16_t def_type, def_class;
	bool def_ixfr_set;  /* IXFR=SERIAL before the first name */
	uint32_t def_ixfr;
	struct cli_server srv;    /* the server being asked */
	struct cli_server srvs[CLI_SERVERS_MAX]; /* every @SERVER, in order */
	unsigned nsrv;
	bool srv_more;     /* servers are left after this one (dig's messages differ) */
	bool server_given;
	struct sockaddr_storage src; /* -b: source address (srclen 0: any) */
	socklen_t srclen;
	struct cli_query q[CLI_MAX_QUERIES];
	unsigned nq;
	bool interactive;
	bool usec;         /* -u: query times in microseconds */
	bool banner_done;  /* the "; <<>>" greeting is printed once per run */
	bool yaml;         /* +yaml (global, as in dig) */
	bool short_form;   /* +short anywhere: every lookup (global, as in dig) */
	bool printcmd;     /* +[no]cmd, +[no]all: the greeting (global, as in dig) */
	bool search;       /* +search: resolv.conf's search list for names without a final dot */
	unsigned ndots;    /* +ndots */
	char domain[TERN_NAME_TEXT_MAX]; /* +domain= */
	bool showsearch;   /* +showsearch: the answers along the search list too */
	unsigned nsearch;  /* the search list (cli_search_apply) */
	char search_list[CLI_SEARCH_MAX][256];
	bool search_quiet; /* this try's NXDOMAIN leads to the next name: print nothing */
	bool badcookie_retry; /* asking again after a BADCOOKIE (once) */
	bool keepopen;     /* +keepopen (global, as in dig): TCP connections kept for the next query */
	int keep_fd;       /* the connection kept open, or -1 */
	struct sockaddr_storage keep_sa; /* and the server at its other end */
	socklen_t keep_len;
	uint8_t client_cookie[8]; /* this run's client cookie (RFC 7873 4.1) */
	char cmdline[CLI_CMDLINE_MAX]; /* the arguments, for the "; <<>>" line */
	char batch_line[CLI_CMDLINE_MAX]; /* the batch line being run, or "" */
	/* the query, after two bytes kept for its TCP length (RFC 1035 4.2.2) */
	uint8_t qframe[2 + TERN_MSG_MAX];
	size_t qlen;
	struct cli_reply reply;
	char qtext[TERN_NAME_TEXT_MAX]; /* the query's name, for dig's messages */
	bool tcp_connect_failed; /* the last TCP try never connected (dig then prints no greeting) */
	bool tls_check_failed;   /* the TLS peer check failed: no more tries */
	uint8_t rdata[CLI_RDATA_MAX];
	size_t rdata_len; /* of the RDATA cli_rdata_text unpacked last */
	char text[CLI_TEXT_MAX];
	/* TSIG (-y, -k; tsig.c): the key as given, made once by cli_tsig_setup */
	char keyfile[4096];
	char key_name[1024], key_alg[32], key_secret[1024];
	bool tsig;         /* a key is in use: queries signed, replies verified */
	bool tsig_unused;  /* a key was given but could not be made */
	bool tsig_failed;  /* a reply did not verify (the statistics say so) */
	tern_tsig_key tsig_key;
	tern_tsig_ctx tsig_req; /* after signing the last query: replies are verified from a copy */
};

/* options.c: one +option into o (c for dig's global ones). Returns 0, or
 * the exit status after saying why on stderr, in dig's words: 1 for an
 * unknown option, 10 for a value dig "couldn't parse". */
TERN_WUR int cli_plus_option(struct cli *c, struct cli_opts *o, const char *arg);
/* dig's usage lines (on an error) and the -h text. */
void cli_print_usage(FILE *out);
void cli_print_help(FILE *out);

/* addr.c: the server address, resolv.conf and reverse names. */
TERN_WUR int cli_server_parse(struct cli_server *s, const char *text, uint16_t port, int family);
TERN_WUR int cli_server_default(struct cli_server *s, uint16_t port, int family);
TERN_WUR int cli_source_parse(struct cli *c, const char *text, int family);
TERN_WUR int cli_reverse_name(const char *addr, uint8_t out[TERN_NAME_MAX]);
TERN_WUR int cli_name_from_text(const char *s, uint8_t out[TERN_NAME_MAX]);

/* query.c: composing the query and the exchange over UDP/TCP. */
TERN_WUR int cli_query_build(struct cli *c, const struct cli_query *q, uint16_t id);
/* Sends the query (built by cli_query_new) to the server and waits for a reply that matches (ID,
 * source, question), retrying over UDP and falling back to TCP on TC=1.
 * Returns 0 with c->reply filled, or CLI_EXIT_NOREPLY after saying why on
 * msgs (stdout, or stderr in JSON mode). */
TERN_WUR int cli_exchange(struct cli *c, const struct cli_query *q, FILE *msgs);
/* dig's checks on a message from the server (ID, QR, opcode, question), in
 * its order and with its words on msgs: CLI_REPLY_TAKE it, SKIP it and wait
 * on, or GIVE_UP (over TCP, where dig stops at a stray message). */
enum { CLI_REPLY_TAKE, CLI_REPLY_SKIP, CLI_REPLY_GIVE_UP };
#define CLI_GAVE_UP (-4) /* cli_exchange: dig's stop at a stray TCP message; the status is 0 */
int cli_reply_check(const struct cli *c, const uint8_t *pkt, size_t len, bool tcp, FILE *msgs);
/* True if pkt is a reply to the query in c->qframe (same ID and question). */
bool cli_reply_matches(const struct cli *c, const uint8_t *pkt, size_t len);
/* Builds the query of q with a random ID. Returns 0 or CLI_EXIT_USAGE. */
TERN_WUR int cli_query_new(struct cli *c, const struct cli_query *q);
/* TCP: connects and sends the query; returns the socket or -1 (said why). */
TERN_WUR int cli_tcp_send(struct cli *c, FILE *msgs, uint64_t deadline);
/* TCP: reads one framed message into c->reply; 0, or -1 with *why set. */
TERN_WUR int cli_tcp_recv(struct cli *c, int fd, uint64_t deadline, const char **why);
void cli_comm_error(const struct cli *c, FILE *msgs, const char *what);
void cli_set_when(struct cli_reply *r, uint64_t sent_us);
uint64_t cli_now_ms(void); /* monotonic clock */
uint64_t cli_now_us(void);
const char *cli_errno_text(int e);

/* tlsx.c: one exchange over TLS (+tls) or HTTPS (+https) as dig's, with
 * +tries attempts. Returns 0 with c->reply filled, or CLI_EXIT_NOREPLY
 * after saying why (c->tcp_connect_failed when dig says no more). */
TERN_WUR int cli_exchange_tls(struct cli *c, const struct cli_query *q, FILE *msgs);

/* tlsx.c: a zone transfer over TLS (XoT, RFC 9103): connects, checks the
 * peer as for +tls and sends the query; NULL having said why (with
 * c->tcp_connect_failed when dig says no more). Then each framed message
 * into c->reply (0, or -1 with *why), and the close. */
struct cli_tls_conn;
struct cli_tls_conn *cli_tls_xfr_open(struct cli *c, const struct cli_query *q, FILE *msgs, uint64_t deadline);
TERN_WUR int cli_tls_recv(struct cli *c, struct cli_tls_conn *t, uint64_t deadline, const char **why);
void cli_tls_close(struct cli_tls_conn *t);

/* xfr.c: AXFR (RFC 5936) over TCP, every message until the closing SOA.
 * Returns the exit code. */
int cli_xfr(struct cli *c, const struct cli_query *q, const char *extra);

/* print.c: dig-style and +short output. */
/* The "; <<>> tern" greeting, once per run (unless +nocmd). */
void cli_print_cmd(struct cli *c, const struct cli_query *q, const char *extra, FILE *out);
void cli_print_noreply(const struct cli *c, FILE *out);
int cli_print_reply(struct cli *c, const struct cli_query *q, FILE *out);
/* +qr: the query about to be sent, as dig shows it (uses c->reply). */
void cli_print_query(struct cli *c, const struct cli_query *q, FILE *out);
/* The TSIG RR rr of the message in c->reply, as dig shows it (with its
 * ";; TSIG PSEUDOSECTION:" title when comments). */
void cli_print_tsig(struct cli *c, const struct cli_query *q, const tern_rr *rr, bool comments, FILE *out);
int cli_print_short(struct cli *c, const struct cli_query *q, FILE *out);
/* +yaml: the reply as dig's YAML. */
int cli_print_yaml(struct cli *c, const struct cli_query *q, FILE *out);
const char *cli_opcode_name(unsigned opcode, char *buf, size_t cap);
const char *cli_rcode_name(unsigned rcode, char *buf, size_t cap);
/* The 12-bit rcode of a reply (EDNS included) and the exit code for it. */
unsigned cli_rcode(const uint8_t *pkt, size_t len);
int cli_exit_for_rcode(unsigned rcode);
/* One EDNS option as dig shows it, after lead ("; "); sent_cookie: in a
 * reply, the client cookie sent (NULL when showing the query). */
void cli_print_option(FILE *out, const char *lead, uint16_t code, const uint8_t *d, uint16_t len,
                      const uint8_t *sent_cookie, size_t sent_len);
void cli_print_duration(FILE *out, uint32_t secs); /* "2 weeks", "1 day 2 hours" */
void cli_print_when(FILE *out, const struct timespec *ts); /* ";; WHEN: ..." */
/* One line of tern_rr_to_text laid out as dig does. */
void cli_print_rr_line(FILE *out, const char *line, bool question, const struct cli_opts *o);
/* RDATA of rr in presentation form into c->text; returns its length or an error. */
int cli_rdata_text(struct cli *c, const tern_rr *rr);

/* rrtext.c: one RR as dig shows it with the display options of o
 * (+unknownformat, +expandaaaa): the whole line into c->text (question
 * entries too), or, after cli_rdata_text, just its RDATA. Return the text
 * length or an error. */
int cli_rr_text(struct cli *c, const struct cli_opts *o, const tern_rr *rr);
int cli_rdata_style(struct cli *c, const struct cli_opts *o, const tern_rr *rr, bool multiline);

/* idn.c: internationalized names (Punycode, RFC 3492). A name as typed with
 * non-ASCII labels to its ASCII form ("xn--..."): returns the length or -1.
 * A name's text (len bytes) with its "xn--" labels in UTF-8 where they
 * decode (others as they are) into out: returns the length. */
int cli_idn_to_ascii(const char *in, char *out, size_t cap);
size_t cli_idn_to_unicode(const char *in, size_t len, char *out, size_t cap);
/* The same for the names in the RDATA text of a record of type. */
size_t cli_idn_rdata(uint16_t type, const char *in, char *out, size_t cap);

/* json.c: RFC 8427 output. */
int cli_print_json(struct cli *c, FILE *out);

/* trace.c: +trace (iterative from the root) and +nssearch. */
int cli_trace(struct cli *c, const struct cli_query *q);

/* addr.c: +search: names without a final dot get resolv.conf's search
 * list (or +domain=), as dig does with +search. */
void cli_search_apply(struct cli *c);

/* tsig.c: TSIG (RFC 8945) as dig does it. -k FILE or -y [ALG:]NAME:SECRET
 * (opt 'k' or 'y'): kept as given; -1 if dig would print its usage, -2
 * after saying why (an algorithm name too long to be one). */
TERN_WUR int cli_tsig_option(struct cli *c, char opt, const char *val);
/* Makes the key, once, after the command line: dig's words when it cannot
 * (then queries go unsigned). Returns 0 or an exit status. */
TERN_WUR int cli_tsig_setup(struct cli *c);
/* Appends the TSIG RR to the query pkt[0..len) when a key is in use and
 * keeps the request's context in c->tsig_req. Returns 0 or an error. */
TERN_WUR int cli_tsig_sign(struct cli *c, uint8_t *pkt, size_t len, size_t cap, size_t *outlen);
/* A context for the replies to the query signed last. */
void cli_tsig_start(struct cli *c, tern_tsig_ctx *ctx);
/* Verifies the message in c->reply (the next of ctx's exchange); a failure
 * is said on out (";; Couldn't verify signature: ...") and remembered. */
void cli_tsig_check(struct cli *c, tern_tsig_ctx *ctx, FILE *out);
/* The statistics' TSIG warnings, as dig's. */
void cli_tsig_warnings(const struct cli *c, FILE *out);
/* The RDATA of a TSIG RR in c->rdata as dig shows it, into c->text. */
int cli_tsig_rdata_text(struct cli *c, const struct cli_opts *o, bool multiline);
/* A key file's one key clause: key "NAME" { algorithm A; secret "S"; };
 * Returns 0, CLI_KEYFILE_SYNTAX, or CLI_KEYFILE_INCOMPLETE (no algorithm
 * or no secret). */
struct cli_keytext {
	char name[1024], alg[64], secret[1024];
};
enum { CLI_KEYFILE_SYNTAX = 1, CLI_KEYFILE_INCOMPLETE = 2 };
TERN_WUR int cli_keyfile_parse(const char *text, size_t len, struct cli_keytext *k);

/* main.c: one query from start to output; returns its exit code. */
int cli_run_query(struct cli *c, const struct cli_query *q, const char *extra);

/* interactive.c: the prompt loop. Returns the worst exit code. */
int cli_interactive(struct cli *c, FILE *in, FILE *out);

#endif
