/* options.c: dig's +options (BIND 9.18), each with the abbreviations dig
 * accepts, and the usage and help texts.
 *
 * dig picks an option by its first letters and then requires what was typed
 * to be a prefix of the option's full name; so every entry of the table
 * below has the shortest prefix dig takes for it (measured against dig
 * 9.18: +ans, +noadd, +noauth, +nocom, +noques, +nost, +tim=...). The first
 * entry whose name starts with the typed word, at least that long, wins.
 * "no" before the name turns a switch off. Errors are dig's, word for word
 * (with "tern" for "dig"): an unknown option is a usage error (exit 1), a
 * value dig "couldn't parse" exits 10. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client.h"
#include "tls/tls.h"

enum opt_id {
	O_AAFLAG, O_ADDITIONAL, O_ADFLAG, O_ALL, O_ANSWER, O_AUTHORITY, O_BADCOOKIE, O_BESTEFFORT,
	O_BUFSIZE, O_CDFLAG, O_CLASS, O_CMD, O_COFLAG, O_COMMENTS, O_COOKIE, O_CRYPTO, O_SEARCH,
	O_DNS64PREFIX, O_DNSSEC, O_DOMAIN, O_DSCP, O_EDNS, O_EDNSFLAGS, O_EDNSNEG, O_EDNSOPT,
	O_EXPANDAAAA, O_EXPIRE, O_FAIL, O_HEADER_ONLY, O_HTTPS, O_IDENTIFY, O_IDNIN, O_IDNOUT,
	O_IGNORE, O_JSON, O_KEEPALIVE, O_KEEPOPEN, O_MULTILINE, O_NDOTS, O_NSID, O_NSSEARCH,
	O_ONESOA, O_OPCODE, O_PADDING, O_QID, O_QR, O_QUESTION, O_RAFLAG, O_RCODE_STATUS, O_RECURSE,
	O_RETRY, O_RRCOMMENTS, O_SHORT, O_SHOWBADCOOKIE, O_SHOWSEARCH, O_SPLIT, O_STATS, O_SUBNET,
	O_TCFLAG, O_TCP, O_TIMEOUT, O_TLS, O_TRACE, O_TRIES, O_TTLID, O_TTLUNITS, O_UNKNOWNFORMAT,
	O_YAML, O_ZFLAG, O_DEPRECATED, O_OBSOLETE,
};

/* What an option takes: nothing, an optional or a required value. NONO:
 * the "no" form is an error (dig: Invalid option). */
enum { V_NONE = 0, V_OPT = 1, V_REQ = 2, NONO = 4 };

static const struct plus_opt {
	const char *name;
	unsigned char min; /* shortest prefix dig accepts */
	unsigned char kind;
	unsigned char id;
} opts[] = {
	{"aaflag", 2, V_NONE, O_AAFLAG}, {"aaonly", 2, V_NONE, O_AAFLAG},
	{"additional", 3, V_NONE, O_ADDITIONAL}, {"adflag", 2, V_NONE, O_ADFLAG},
	{"all", 2, V_NONE, O_ALL}, {"answer", 2, V_NONE, O_ANSWER}, {"authority", 2, V_NONE, O_AUTHORITY},
	{"badcookie", 2, V_NONE, O_BADCOOKIE}, {"besteffort", 2, V_NONE, O_BESTEFFORT},
	{"bufsize", 2, V_OPT | NONO, O_BUFSIZE}, {"cdflag", 2, V_NONE, O_CDFLAG},
	{"class", 2, V_NONE, O_CLASS}, {"cmd", 2, V_NONE, O_CMD}, {"coflag", 2, V_NONE, O_COFLAG},
	{"comments", 3, V_NONE, O_COMMENTS}, {"cookie", 3, V_OPT, O_COOKIE}, {"crypto", 2, V_NONE, O_CRYPTO},
	{"defname", 2, V_NONE, O_SEARCH}, {"dns64prefix", 4, V_NONE, O_DNS64PREFIX},
	{"dnssec", 4, V_NONE, O_DNSSEC}, {"do", 2, V_NONE, O_DNSSEC},
	{"domain", 3, V_REQ | NONO, O_DOMAIN}, {"dscp", 2, V_OPT, O_OBSOLETE},
	{"edns", 4, V_OPT, O_EDNS}, {"ednsflags", 5, V_OPT, O_EDNSFLAGS},
	{"ednsnegotiation", 5, V_NONE, O_EDNSNEG}, {"ednsopt", 5, V_OPT, O_EDNSOPT},
	{"expandaaaa", 4, V_NONE, O_EXPANDAAAA}, {"expire", 4, V_NONE, O_EXPIRE},
	{"fail", 2, V_NONE, O_FAIL}, {"header-only", 2, V_NONE, O_HEADER_ONLY},
	{"https", 5, V_OPT, O_HTTPS}, {"https-get", 6, V_NONE, O_HTTPS}, {"https-post", 6, V_NONE, O_HTTPS},
	{"http-plain", 6, V_OPT, O_HTTPS}, {"http-plain-get", 11, V_NONE, O_HTTPS},
	{"http-plain-post", 11, V_NONE, O_HTTPS},
	{"identify", 3, V_NONE, O_IDENTIFY}, {"idnin", 4, V_NONE, O_IDNIN}, {"idnout", 4, V_NONE, O_IDNOUT},
	{"ignore", 1, V_NONE, O_IGNORE}, {"json", 4, V_NONE, O_JSON},
	{"keepalive", 5, V_NONE, O_KEEPALIVE}, {"keepopen", 5, V_NONE, O_KEEPOPEN},
	{"mapped", 2, V_NONE, O_DEPRECATED}, {"multiline", 2, V_NONE, O_MULTILINE},
	{"ndots", 2, V_REQ | NONO, O_NDOTS}, {"nsid", 3, V_NONE, O_NSID}, {"nssearch", 3, V_NONE, O_NSSEARCH},
	{"onesoa", 2, V_NONE, O_ONESOA}, {"opcode", 2, V_REQ, O_OPCODE}, {"padding", 1, V_REQ | NONO, O_PADDING},
	{"qid", 2, V_REQ, O_QID}, {"qr", 2, V_NONE, O_QR}, {"question", 2, V_NONE, O_QUESTION},
	{"raflag", 2, V_NONE, O_RAFLAG}, {"rcode-status", 12, V_NONE, O_RCODE_STATUS},
	{"rdflag", 2, V_NONE, O_RECURSE}, {"recurse", 3, V_NONE, O_RECURSE},
	{"retry", 3, V_REQ | NONO, O_RETRY}, {"retries", 3, V_REQ | NONO, O_RETRY},
	{"rrcomments", 2, V_NONE, O_RRCOMMENTS}, {"search", 2, V_NONE, O_SEARCH},
	{"short", 4, V_NONE, O_SHORT}, {"showbadcookie", 5, V_NONE, O_SHOWBADCOOKIE},
	{"showsearch", 5, V_NONE, O_SHOWSEARCH}, {"sigchase", 2, V_NONE, O_DEPRECATED},
	{"split", 2, V_OPT, O_SPLIT}, {"stats", 2, V_NONE, O_STATS}, {"subnet", 2, V_OPT, O_SUBNET},
	{"tcflag", 3, V_NONE, O_TCFLAG}, {"tcp", 3, V_NONE, O_TCP}, {"timeout", 2, V_REQ | NONO, O_TIMEOUT},
	{"topdown", 2, V_NONE, O_DEPRECATED}, {"tls", 3, V_NONE, O_TLS}, {"tls-ca", 6, V_OPT, O_TLS},
	{"tls-certfile", 6, V_REQ, O_TLS}, {"tls-hostname", 5, V_REQ, O_TLS}, {"tls-keyfile", 5, V_REQ, O_TLS},
	{"tls-pin", 7, V_REQ, O_TLS}, /* kdig's */
	{"trace", 3, V_NONE, O_TRACE}, {"tries", 3, V_REQ | NONO, O_TRIES},
	{"trusted-key", 3, V_NONE, O_DEPRECATED}, {"ttlid", 3, V_NONE, O_TTLID},
	{"ttlunits", 4, V_NONE, O_TTLUNITS}, {"unexpected", 3, V_NONE, O_DEPRECATED},
	{"unknownformat", 3, V_NONE, O_UNKNOWNFORMAT}, {"vc", 1, V_NONE, O_TCP}, {"yaml", 1, V_NONE, O_YAML},
	{"zflag", 1, V_NONE, O_ZFLAG},
};

void cli_print_usage(FILE *out)
{
	fputs("Usage:  tern [@global-server] [domain] [q-type] [q-class] {q-opt}\n"
	      "            {global-d-opt} host [@local-server] {local-d-opt}\n"
	      "            [ host [@local-server] {local-d-opt} [...]]\n",
	      out);
}

/* "invalid NAME 'VALUE': WHY" and "tern: Couldn't parse NAME", as dig. */
static int couldnt_parse(const char *what, const char *val, bool range)
{
	printf("invalid %s '%s': %s\n", what, val, range ? "out of range" : "not a valid number");
	fprintf(stderr, "tern: Couldn't parse %s\n", what);
	return CLI_EXIT_INTERNAL;
}

/* dig's parse_uint: decimal (or hex with hex), at most max. */
static int number(const char *what, const char *val, unsigned long max, bool hex, unsigned long *v)
{
	char *end;
	errno = 0;
	*v = strtoul(val, &end, hex ? 0 : 10);
	if (!*val || *end || *val == '-' || *val == '+' || *val == ' ')
		return couldnt_parse(what, val, false);
	if (errno == ERANGE || *v > max)
		return couldnt_parse(what, val, true);
	return 0;
}

/* Hex digits (even in number) into out; returns the length or -1. */
static int hex_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		char b[3] = {s[i], s[i + 1], 0};
		char *end;
		if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]))
			return -1;
		out[i / 2] = (uint8_t)strtoul(b, &end, 16);
	}
	return (int)(n / 2);
}

/* +subnet=ADDR[/LEN] or 0 (RFC 7871 7.1.2: "do not use my address").
 * A short IPv4 address is completed with zeros, as dig does. */
static int subnet_parse(struct cli_opts *o, const char *val)
{
	char addr[48];
	const char *slash = strchr(val, '/');
	size_t n = slash ? (size_t)(slash - val) : strlen(val);
	unsigned long len = 0;
	bool has_len = slash != NULL;
	memset(o->subnet_addr, 0, sizeof o->subnet_addr);
	if (n >= sizeof addr)
		goto bad;
	memcpy(addr, val, n);
	addr[n] = 0;
	if (has_len) {
		char *end;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno)
			goto badlen;
	}
	if (strcmp(addr, "0") == 0 && (!has_len || len == 0)) {
		/* RFC 7871 7.1.2 "0": dig sends it as IPv4 with a source prefix of 0 */
		o->subnet_family = 1;
		o->subnet_len = 0;
	} else if (inet_pton(AF_INET6, addr, o->subnet_addr) == 1) {
		if (len > 128)
			goto badlen;
		o->subnet_family = 2;
		o->subnet_len = (uint8_t)(has_len ? len : 128);
	} else {
		/* 1.2.3 and 10 are 1.2.3.0 and 10.0.0.0 */
		unsigned parts = 1;
		for (const char *p = addr; *p; p++)
			parts += *p == '.';
		char full[sizeof addr + 8];
		snprintf(full, sizeof full, "%s%s", addr, parts == 1 ? ".0.0.0" : parts == 2 ? ".0.0" : parts == 3 ? ".0" : "");
		if (parts > 4 || inet_pton(AF_INET, full, o->subnet_addr) != 1)
			goto bad;
		if (len > 32)
			goto badlen;
		o->subnet_family = 1;
		o->subnet_len = (uint8_t)(has_len ? len : parts * 8 < 32 && !has_len ? parts * 8 : 32);
	}
	o->subnet = true;
	o->edns = true;
	return 0;
bad:
	fprintf(stderr, "tern: invalid address '%s'\n", val);
	return CLI_EXIT_USAGE;
badlen:
	fprintf(stderr, "tern: invalid prefix length in '%s': out of range\n", val);
	return CLI_EXIT_USAGE;
}

/* +ednsopt=CODE[:HEX]: CODE a number or a name dig knows. */
static int ednsopt_parse(struct cli_opts *o, const char *val)
{
	static const struct {
		const char *name;
		uint16_t code;
	} names[] = {{"LLQ", 1},     {"UL", 2},      {"NSID", 3},       {"DAU", 5},      {"DHU", 6},
	             {"N3U", 7},     {"ECS", 8},     {"EXPIRE", 9},     {"COOKIE", 10},  {"KEEPALIVE", 11},
	             {"PADDING", 12}, {"CHAIN", 13}, {"KEY-TAG", 14},   {"EDE", 15},     {"CLIENT-TAG", 16},
	             {"SERVER-TAG", 17}};
	char code[32];
	const char *colon = val ? strchr(val, ':') : NULL;
	size_t n = colon ? (size_t)(colon - val) : val ? strlen(val) : 0;
	unsigned long c = 0;
	if (n == 0) {
		fprintf(stderr, "tern: ednsopt no code point specified\n");
		return CLI_EXIT_INTERNAL;
	}
	if (n >= sizeof code)
		n = sizeof code - 1;
	memcpy(code, val, n);
	code[n] = 0;
	size_t k = 0;
	while (k < sizeof names / sizeof names[0] && strcasecmp(names[k].name, code) != 0)
		k++;
	if (k < sizeof names / sizeof names[0]) {
		c = names[k].code;
	} else {
		char *end;
		errno = 0;
		c = strtoul(code, &end, 10);
		if (!*code || *end || errno || c > 65535) {
			printf("invalid ednsopt '%s': %s\n", code, *end || !*code ? "not a valid number" : "out of range");
			fprintf(stderr, "tern: bad edns code point: %s\n", code);
			return CLI_EXIT_USAGE;
		}
	}
	uint8_t data[256];
	int dlen = 0;
	if (colon && colon[1] && (dlen = hex_decode(colon + 1, data, sizeof data)) < 0) {
		fprintf(stderr, "tern: isc_hex_decodestring: bad hex encoding\n");
		return CLI_EXIT_USAGE;
	}
	if (o->ednsopt_len + 4u + (unsigned)dlen > sizeof o->ednsopt) {
		fprintf(stderr, "tern: too many ednsopt options\n");
		return CLI_EXIT_USAGE;
	}
	uint8_t *p = o->ednsopt + o->ednsopt_len;
	tern_put_u16(p, (uint16_t)c);
	tern_put_u16(p + 2, (uint16_t)dlen);
	memcpy(p + 4, data, (size_t)dlen);
	o->ednsopt_len = (uint16_t)(o->ednsopt_len + 4 + dlen);
	o->edns = true;
	return 0;
}

static int opcode_parse(struct cli_opts *o, const char *val)
{
	static const char *const names[16] = {"QUERY",      "IQUERY",     "STATUS",     "RESERVED3",
	                                      "NOTIFY",     "UPDATE",     "RESERVED6",  "RESERVED7",
	                                      "RESERVED8",  "RESERVED9",  "RESERVED10", "RESERVED11",
	                                      "RESERVED12", "RESERVED13", "RESERVED14", "RESERVED15"};
	unsigned long v;
	for (unsigned k = 0; k < 16; k++) {
		if (strcasecmp(names[k], val) == 0) {
			o->opcode = k;
			return 0;
		}
	}
	int rc = number("opcode", val, 15, false, &v);
	if (rc == 0)
		o->opcode = (unsigned)v;
	return rc;
}

static const struct plus_opt *lookup(const char *key, size_t klen)
{
	for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
		size_t full = strlen(opts[k].name);
		if (klen >= opts[k].min && klen <= full && strncasecmp(key, opts[k].name, klen) == 0)
			return &opts[k];
	}
	return NULL;
}

/* The encrypted transports (dig 9.18's names, kdig's +tls-pin): +tls
 * (DNS over TLS, RFC 7858), +https[=PATH] / +https-get / +https-post (DNS
 * over HTTPS, RFC 8484), +tls-ca[=FILE], +tls-hostname=NAME, +tls-pin=B64.
 * Client certificates and unencrypted HTTP/2 are not supported:
 * CLI_EXIT_INTERNAL. */
static int tls_option(struct cli_opts *o, const char *name, bool on, const char *val)
{
#define COPY(dst, v)                                                      \
	do {                                                              \
		if (strlen(v) >= sizeof(dst)) {                           \
			fprintf(stderr, "tern: +%s: value too long\n", name); \
			return CLI_EXIT_USAGE;                            \
		}                                                         \
		snprintf(dst, sizeof(dst), "%s", v);                      \
	} while (0)
	if (strcmp(name, "tls") == 0)
		o->transport = on ? CLI_TR_TLS : o->transport == CLI_TR_TLS ? CLI_TR_PLAIN : o->transport;
	else if (strncmp(name, "https", 5) == 0) {
		o->transport = on ? CLI_TR_HTTPS : o->transport == CLI_TR_HTTPS ? CLI_TR_PLAIN : o->transport;
		o->https_get = on && strcmp(name, "https-get") == 0;
		if (on && val && *val)
			COPY(o->https_path, val);
	} else if (strcmp(name, "tls-ca") == 0) {
		o->tls_ca_set = on;
		o->tls_ca[0] = 0;
		if (on && val)
			COPY(o->tls_ca, val);
	} else if (strcmp(name, "tls-hostname") == 0) {
		o->tls_hostname[0] = 0;
		if (on && val)
			COPY(o->tls_hostname, val);
	} else if (strcmp(name, "tls-pin") == 0) {
		tls_pin pin;
		o->tls_pin[0] = 0;
		if (on && val && tls_pin_parse(val, &pin) != 0) {
			fprintf(stderr, "tern: invalid +tls-pin '%s' (the base64 of a SHA-256 digest)\n", val);
			return CLI_EXIT_USAGE;
		}
		if (on && val)
			COPY(o->tls_pin, val);
	} else if (on)
		return CLI_EXIT_INTERNAL; /* +tls-certfile, +tls-keyfile, +http-plain... */
#undef COPY
	return 0;
}

int cli_plus_option(struct cli *c, struct cli_opts *o, const char *arg)
{
	const char *s = arg + 1;
	bool on = true;
	if (strncasecmp(s, "no", 2) == 0) {
		on = false;
		s += 2;
	}
	const char *eq = strchr(s, '=');
	size_t klen = eq ? (size_t)(eq - s) : strlen(s);
	const char *val = eq ? eq + 1 : NULL;
	if (val && !*val)
		val = NULL; /* dig's strtok: "+opt=" is "+opt" */
	const struct plus_opt *e = lookup(s, klen);
	unsigned long v;
	int rc = 0;
	/* a value after a switch is ignored, as dig ignores it */
	if (!e || ((e->kind & NONO) && !on) || (!val && on && (e->kind & V_REQ)))
		goto invalid;
	switch (e->id) {
	case O_AAFLAG: o->aa = on; break;
	case O_ADDITIONAL: o->show = on ? o->show | CLI_SHOW_ADDITIONAL : o->show & ~CLI_SHOW_ADDITIONAL; break;
	case O_ADFLAG: o->ad = on; break;
	case O_ALL:
		o->show = on ? CLI_SHOW_ALL : 0;
		c->printcmd = on;
		break;
	case O_ANSWER: o->show = on ? o->show | CLI_SHOW_ANSWER : o->show & ~CLI_SHOW_ANSWER; break;
	case O_AUTHORITY: o->show = on ? o->show | CLI_SHOW_AUTHORITY : o->show & ~CLI_SHOW_AUTHORITY; break;
	case O_BADCOOKIE: o->badcookie = on; break;
	case O_BESTEFFORT: break; /* tern shows what parses and says where a message breaks */
	case O_BUFSIZE:
		if (!val) {
			o->bufsize = TERN_EDNS_SIZE;
			o->bufsize_set = false;
			break;
		}
		if ((rc = number("buffer size", val, 65535, false, &v)) != 0)
			return rc;
		o->bufsize = (uint16_t)v;
		o->bufsize_set = v > 0; /* dig: a payload size given means EDNS */
		break;
	case O_CDFLAG: o->cd = on; break;
	case O_CLASS: o->noclass = !on; break;
	case O_CMD: c->printcmd = on; break;
	case O_COFLAG:
		o->coflag = on;
		if (on)
			o->edns = true;
		break;
	case O_COMMENTS: o->show = on ? o->show | CLI_SHOW_COMMENTS : o->show & ~CLI_SHOW_COMMENTS; break;
	case O_COOKIE:
		o->cookie = on;
		o->cookie_len = 0;
		if (on)
			o->edns = true;
		if (val) {
			if (strlen(val) > 80) {
				fprintf(stderr, "tern: COOKIE data too large\n");
				return CLI_EXIT_INTERNAL;
			}
			int n = hex_decode(val, o->cookie_val, sizeof o->cookie_val);
			if (n < 0) {
				fprintf(stderr, "tern: isc_hex_decodestring: bad hex encoding\n");
				return CLI_EXIT_USAGE;
			}
			o->cookie_len = (uint8_t)n;
		}
		break;
	case O_CRYPTO: o->nocrypto = !on; break;
	case O_SEARCH: c->search = on; break;
	case O_DNS64PREFIX: break; /* accepted; tern does not query ipv4only.arpa */
	case O_DNSSEC:
		o->dnssec = on;
		if (on)
			o->edns = true;
		break;
	case O_DOMAIN: snprintf(c->domain, sizeof c->domain, "%s", val); break;
	case O_EDNS:
		if (!on) {
			o->edns = false;
			break;
		}
		o->edns = true;
		if (val) {
			if ((rc = number("edns", val, 255, false, &v)) != 0)
				return rc;
			o->edns_version = (uint8_t)v;
		} else
			o->edns_version = 0;
		break;
	case O_EDNSFLAGS:
		o->ednsflags = 0;
		if (on && val) {
			if ((rc = number("ednsflags", val, 0xffff, true, &v)) != 0)
				return rc;
			o->ednsflags = (uint16_t)v;
			o->edns = true;
		}
		break;
	case O_EDNSNEG: o->ednsneg = on; break;
	case O_EDNSOPT:
		if (!on) {
			o->ednsopt_len = 0;
			break;
		}
		return ednsopt_parse(o, val);
	case O_EXPANDAAAA: o->expandaaaa = on; break;
	case O_EXPIRE:
		o->expire = on;
		if (on)
			o->edns = true;
		break;
	case O_FAIL: o->fail = on; break;
	case O_HEADER_ONLY: o->header_only = on; break;
	case O_HTTPS:
	case O_TLS:
		if ((rc = tls_option(o, e->name, on, val)) != 0) {
			if (rc == CLI_EXIT_INTERNAL)
				fprintf(stderr, "tern: %s is not supported\n", arg);
			return rc;
		}
		break;
	case O_IDENTIFY: o->identify = on; break;
	case O_IDNIN: o->idnin = on; break;
	case O_IDNOUT: o->idnout = on; break;
	case O_IGNORE: o->ignore_tc = on; break;
	case O_JSON: o->json = on; break;
	case O_KEEPALIVE:
		o->keepalive = on;
		if (on)
			o->edns = true;
		break;
	case O_KEEPOPEN: c->keepopen = on; break;
	case O_MULTILINE: o->multiline = on; break;
	case O_NDOTS:
		if ((rc = number("ndots", val, 0xffff, false, &v)) != 0)
			return rc;
		c->ndots = (unsigned)v;
		break;
	case O_NSID:
		o->nsid = on;
		if (on)
			o->edns = true;
		break;
	case O_NSSEARCH:
		o->nssearch = on;
		if (on) {
			o->short_out = true;
			o->identify = true;
		}
		break;
	case O_ONESOA: o->onesoa = on; break;
	case O_OPCODE:
		if (!on) {
			o->opcode = 0;
			break;
		}
		return opcode_parse(o, val);
	case O_PADDING:
		if ((rc = number("padding", val, 512, false, &v)) != 0)
			return rc;
		o->padding = (uint16_t)v;
		o->edns = true;
		break;
	case O_QID:
		if (!on) {
			o->qid = -1;
			break;
		}
		if ((rc = number("qid", val, 0xffff, false, &v)) != 0)
			return rc;
		o->qid = (int32_t)v;
		break;
	case O_QR: o->qr = on; break;
	case O_QUESTION: o->show = on ? o->show | CLI_SHOW_QUESTION : o->show & ~CLI_SHOW_QUESTION; break;
	case O_RAFLAG: o->ra = on; break;
	case O_RCODE_STATUS: o->rcode_status = on; break;
	case O_RECURSE: o->rd = on; break;
	case O_RETRY:
		if ((rc = number("retries", val, 254, false, &v)) != 0)
			return rc;
		o->tries = (unsigned)v + 1;
		break;
	case O_RRCOMMENTS: o->rrcomments = on ? 1 : -1; break;
	case O_SHORT: /* global in dig */
		o->short_out = on;
		c->short_form = on;
		if (on) {
			o->show = (o->show & ~(CLI_SHOW_ALL)) | CLI_SHOW_ANSWER;
			c->printcmd = false;
		}
		break;
	case O_SHOWBADCOOKIE: o->showbadcookie = on; break;
	case O_SHOWSEARCH:
		c->search = on;
		c->showsearch = on;
		break;
	case O_SPLIT:
		if (!on) {
			o->split = 0;
			break;
		}
		if (val) {
			char *end;
			v = strtoul(val, &end, 10);
			if (*end || !*val)
				v = 0;
			if (v % 4) /* dig warns before it checks the number */
				v = (v + 3) / 4 * 4;
			if (v != strtoul(val, NULL, 10) || *end || !*val)
				fprintf(stderr, ";; Warning, split must be a multiple of 4; adjusting to %lu\n", v);
			if ((rc = number("split", val, 1023, false, &v)) != 0)
				return rc;
			o->split = (unsigned)((v + 3) / 4 * 4);
		}
		break;
	case O_STATS: o->show = on ? o->show | CLI_SHOW_STATS : o->show & ~CLI_SHOW_STATS; break;
	case O_SUBNET:
		if (!on) {
			o->subnet = false;
			break;
		}
		if (!val)
			goto invalid;
		return subnet_parse(o, val);
	case O_TCFLAG: o->tc = on; break;
	case O_TCP:
		o->tcp = on;
		o->tcp_set = true;
		break;
	case O_TIMEOUT:
		if ((rc = number("timeout", val, 0xffffffffUL, false, &v)) != 0)
			return rc;
		o->timeout = v ? (unsigned)v : 1;
		break;
	case O_TRACE:
		o->trace = on;
		if (on) {
			o->identify = true;
			o->dnssec = true;
			o->edns = true;
			o->show = (o->show & ~(CLI_SHOW_COMMENTS | CLI_SHOW_STATS | CLI_SHOW_ADDITIONAL | CLI_SHOW_QUESTION)) |
			          CLI_SHOW_AUTHORITY;
		}
		break;
	case O_TRIES:
		if ((rc = number("tries", val, 255, false, &v)) != 0)
			return rc;
		o->tries = v ? (unsigned)v : 1;
		break;
	case O_TTLID: o->nottl = !on; break;
	case O_TTLUNITS:
		o->nottl = false;
		o->ttlunits = on;
		break;
	case O_UNKNOWNFORMAT: o->unknownformat = on; break;
	case O_YAML:
		c->yaml = on;
		if (on) {
			c->printcmd = false;
			o->show &= ~CLI_SHOW_STATS;
		}
		break;
	case O_ZFLAG: o->z = on; break;
	/* dig ends these two warnings without a newline */
	case O_DEPRECATED: fprintf(stderr, ";; +%s option is deprecated", e->name); break;
	case O_OBSOLETE: fprintf(stderr, ";; +%s option is obsolete and has no effect", e->name); break;
	}
	return 0;
invalid:
	fprintf(stderr, "Invalid option: %.*s\n", (int)strcspn(arg, "="), arg);
	cli_print_usage(stderr);
	fputs("\nUse \"tern -h\" (or \"tern -h | more\") for complete list of options\n", stderr);
	return CLI_EXIT_USAGE;
}
