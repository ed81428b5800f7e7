/* tsig.c: transaction signatures (TSIG, RFC 8945) in the client, as
 * BIND 9.18's dig does them.
 *
 * The key comes from -y [ALG:]NAME:SECRET (dig's default algorithm when
 * none is named is hmac-md5) or from -k FILE, a key clause as tsig-keygen
 * writes it (`key "NAME" { algorithm ALG; secret "B64"; };`). It is set up
 * once, after the command line is read (-k also takes the K*.key/K*.private
 * pair of older BIND versions, as dig does): a key that cannot be made is said
 * on stdout (";; Couldn't create key NAME: WHY") and the queries go
 * unsigned, the statistics then ending with ";; WARNING -- TSIG key was not
 * used." (dig's behaviour, kept for scripts that read it).
 *
 * Every query (and AXFR/IXFR request) is signed when a key is in use
 * (cli_query_build calls cli_tsig_sign), and every reply or transfer
 * message is verified (cli_tsig_check); a failure is said in dig's words
 * (";; Couldn't verify signature: tsig verify failure") and the output goes
 * on, with ";; WARNING -- Some TSIG could not be validated" in the
 * statistics. As in dig, the exit status does not change.
 *
 * libtern (src/lib/tsig.c) does the MACs; what is here is the key's text
 * forms, the key file parser (cli_keyfile_parse: untrusted input, fuzzed
 * by fuzz/fuzz_client.c), dig's messages and the TSIG record's text. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "lib/encoding.h"

/* dig's parse_hmac: the algorithm names it takes (any case). A
 * truncated form (hmac-sha256-128, RFC 8945 5.2.2.1) is refused here:
 * libtern signs with full-length MACs only. Returns 0, 1 for a truncated
 * form, -1 for an unknown name. */
static int parse_hmac(const char *s, enum tern_tsig_alg *alg)
{
	static const char *const names[] = {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
	                                    "hmac-sha512"};
	static const enum tern_tsig_alg algs[] = {TERN_TSIG_HMAC_MD5, TERN_TSIG_HMAC_SHA1, TERN_TSIG_HMAC_SHA224,
	                                          TERN_TSIG_HMAC_SHA256, TERN_TSIG_HMAC_SHA384, TERN_TSIG_HMAC_SHA512};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		size_t n = strlen(names[k]);
		if (strncasecmp(s, names[k], n) != 0)
			continue;
		if (s[n] == 0) {
			*alg = algs[k];
			return 0;
		}
		if (s[n] == '-')
			return 1;
	}
	return -1;
}

int cli_tsig_option(struct cli *c, char opt, const char *val)
{
	if (opt == 'k') {
		snprintf(c->keyfile, sizeof c->keyfile, "%s", val);
		return 0;
	}
	/* -y: as dig's strtok: empty fields do not count; two fields are
	 * NAME:SECRET, three ALG:NAME:SECRET (the secret may hold colons) */
	char buf[sizeof c->key_secret + sizeof c->key_name + 64];
	if (strlen(val) >= sizeof buf)
		return -1;
	snprintf(buf, sizeof buf, "%s", val);
	char *save = NULL;
	char *f1 = strtok_r(buf, ":", &save);
	char *f2 = f1 ? strtok_r(NULL, ":", &save) : NULL;
	char *f3 = f2 ? strtok_r(NULL, "", &save) : NULL;
	if (!f2)
		return -1;
	if (f3) {
		if (strlen(f1) >= 20) { /* dig's parse_hmac: no algorithm name is that long */
			fprintf(stderr, "tern: unknown key type '%s'\n", f1);
			return -2;
		}
		snprintf(c->key_alg, sizeof c->key_alg, "%s", f1);
		f1 = f2;
		f2 = f3;
	} else
		snprintf(c->key_alg, sizeof c->key_alg, "hmac-md5");
	snprintf(c->key_name, sizeof c->key_name, "%s", f1);
	snprintf(c->key_secret, sizeof c->key_secret, "%s", f2);
	return 0;
}

/* dns_name_fromtext's words for a key name libtern did not take. */
static const char *name_error(const char *s)
{
	size_t label = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			label++;
		} else if (*p == '.') {
			if (label == 0 && !(p == s && p[1] == 0))
				return "empty label";
			label = 0;
		} else if (++label > 63)
			return "label too long";
	}
	return "ran out of space";
}

/* A named.conf-style token: a word, a quoted string, or one of "{};".
 * Comments (#, //, C style) and blanks are skipped. */
struct lexer {
	const char *p, *end;
	char tok[1024];
	bool quoted;
};

enum { TOK_EOF = 0, TOK_WORD = 1, TOK_ERR = -1 };

static int next_token(struct lexer *lx)
{
	for (;;) {
		while (lx->p < lx->end && isspace((unsigned char)*lx->p))
			lx->p++;
		if (lx->p >= lx->end)
			return TOK_EOF;
		if (*lx->p == '#' || (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			const char *q = lx->p + 2;
			while (q + 1 < lx->end && !(q[0] == '*' && q[1] == '/'))
				q++;
			if (q + 1 >= lx->end)
				return TOK_ERR;
			lx->p = q + 2;
			continue;
		}
		break;
	}
	size_t n = 0;
	lx->quoted = false;
	if (strchr("{};", *lx->p)) {
		lx->tok[0] = *lx->p++;
		lx->tok[1] = 0;
		return TOK_WORD;
	}
	if (*lx->p == '"') {
		lx->quoted = true;
		for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			if (n + 1 >= sizeof lx->tok)
				return TOK_ERR;
			lx->tok[n++] = *lx->p;
		}
		if (lx->p >= lx->end)
			return TOK_ERR;
		lx->p++;
	} else {
		while (lx->p < lx->end && !isspace((unsigned char)*lx->p) && !strchr("{};\"", *lx->p)) {
			if (n + 1 >= sizeof lx->tok)
				return TOK_ERR;
			lx->tok[n++] = *lx->p++;
		}
	}
	lx->tok[n] = 0;
	return TOK_WORD;
}

static bool is(const struct lexer *lx, const char *s)
{
	return !lx->quoted && strcmp(lx->tok, s) == 0;
}

int cli_keyfile_parse(const char *text, size_t len, struct cli_keytext *k)
{
	struct lexer lx = {.p = text, .end = text + len};
	memset(k, 0, sizeof *k);
	/* key NAME { (algorithm ALG; | secret "B64";)... }; -- one clause, as
	 * in BIND's session key grammar */
	if (next_token(&lx) != TOK_WORD || strcasecmp(lx.tok, "key") != 0 || lx.quoted)
		return CLI_KEYFILE_SYNTAX;
	if (next_token(&lx) != TOK_WORD || (!lx.quoted && strchr("{};", lx.tok[0])) || !lx.tok[0])
		return CLI_KEYFILE_SYNTAX;
	snprintf(k->name, sizeof k->name, "%s", lx.tok);
	if (next_token(&lx) != TOK_WORD || !is(&lx, "{"))
		return CLI_KEYFILE_SYNTAX;
	for (;;) {
		int t = next_token(&lx);
		if (t != TOK_WORD)
			return CLI_KEYFILE_SYNTAX;
		if (is(&lx, "}"))
			break;
		char *dst;
		size_t cap;
		if (!lx.quoted && strcasecmp(lx.tok, "algorithm") == 0) {
			dst = k->alg;
			cap = sizeof k->alg;
		} else if (!lx.quoted && strcasecmp(lx.tok, "secret") == 0) {
			dst = k->secret;
			cap = sizeof k->secret;
		} else
			return CLI_KEYFILE_SYNTAX;
		if (next_token(&lx) != TOK_WORD || (!lx.quoted && strchr("{};", lx.tok[0])) || strlen(lx.tok) >= cap)
			return CLI_KEYFILE_SYNTAX;
		snprintf(dst, cap, "%s", lx.tok);
		if (next_token(&lx) != TOK_WORD || !is(&lx, ";"))
			return CLI_KEYFILE_SYNTAX;
	}
	if (next_token(&lx) != TOK_WORD || !is(&lx, ";"))
		return CLI_KEYFILE_SYNTAX;
	if (next_token(&lx) != TOK_EOF)
		return CLI_KEYFILE_SYNTAX;
	if (!k->alg[0] || !k->secret[0])
		return CLI_KEYFILE_INCOMPLETE;
	return 0;
}

/* dig's setup_text_key: the checks in its order (base64, algorithm, name),
 * its words on stdout when one fails. */
static void make_key(struct cli *c, const char *name, const char *alg_text, const char *secret)
{
	enum tern_tsig_alg alg = TERN_TSIG_HMAC_MD5;
	int h = parse_hmac(alg_text, &alg);
	if (h < 0)
		fprintf(stderr, ";; Warning, ignoring invalid TSIG algorithm %s\n", alg_text);
	tern_tsig_key *k = &c->tsig_key;
	const char *why = NULL;
	int rc = tern_tsig_key_from_text(k, "k.", NULL, secret);
	if (rc == TERN_ESYNTAX)
		why = "bad base64 encoding";
	else if (rc != 0)
		why = "out of range";
	else if (h != 0)
		why = "algorithm is unsupported";
	else if (tern_tsig_key_from_text(k, name, tern_tsig_alg_text(alg), secret) != 0)
		why = name_error(name);
	if (why) {
		printf(";; Couldn't create key %s: %s\n", name, why);
		c->tsig_unused = true;
		return;
	}
	c->tsig = true;
}

/* A line "Field: value" of a K*.private file into out, or false. */
static bool private_field(const char *line, const char *field, char *out, size_t cap)
{
	size_t n = strlen(field);
	if (strncmp(line, field, n) != 0 || line[n] != ':')
		return false;
	line += n + 1;
	line += strspn(line, " \t");
	snprintf(out, cap, "%.*s", (int)strcspn(line, " \t\r\n"), line);
	return true;
}

/* dig's older form of -k: a K<name>.+<alg>+<id>.key/.private pair (the
 * path with either suffix, or none): the name from the .key file's record,
 * the algorithm and secret from the .private file. True when both read. */
static bool read_kpair(struct cli *c)
{
	char base[sizeof c->keyfile], path[sizeof c->keyfile + 16], line[2048];
	size_t n = strlen(c->keyfile);
	snprintf(base, sizeof base, "%s", c->keyfile);
	if (n > 4 && strcmp(base + n - 4, ".key") == 0)
		base[n - 4] = 0;
	else if (n > 8 && strcmp(base + n - 8, ".private") == 0)
		base[n - 8] = 0;
	struct cli_keytext kt = {0};
	char algnum[16] = "";
	snprintf(path, sizeof path, "%s.private", base);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof line, f)) {
		(void)(private_field(line, "Algorithm", algnum, sizeof algnum) ||
		       private_field(line, "Key", kt.secret, sizeof kt.secret));
	}
	fclose(f);
	snprintf(path, sizeof path, "%s.key", base);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == ';' || line[strspn(line, " \t\r\n")] == 0)
			continue;
		snprintf(kt.name, sizeof kt.name, "%.*s", (int)strcspn(line, " \t\r\n"), line);
		break;
	}
	fclose(f);
	/* DNSSEC's numbers for the HMACs (BIND's dst: 157, 161..165) */
	static const struct {
		const char *num, *alg;
	} algs[] = {{"157", "hmac-md5"},    {"161", "hmac-sha1"},   {"162", "hmac-sha224"},
	            {"163", "hmac-sha256"}, {"164", "hmac-sha384"}, {"165", "hmac-sha512"}};
	for (size_t k = 0; k < sizeof algs / sizeof algs[0]; k++)
		if (strcmp(algnum, algs[k].num) == 0)
			snprintf(kt.alg, sizeof kt.alg, "%s", algs[k].alg);
	if (!kt.name[0] || !kt.alg[0] || !kt.secret[0])
		return false;
	fprintf(stderr, "%s.private: Use of K* file pairs for HMAC is deprecated\n\n", base);
	make_key(c, kt.name, kt.alg, kt.secret);
	return true;
}

int cli_tsig_setup(struct cli *c)
{
	if (c->keyfile[0] && read_kpair(c))
		return 0;
	if (c->keyfile[0]) {
		FILE *f = fopen(c->keyfile, "r");
		if (!f) {
			fprintf(stderr, "Couldn't read key from %s: %s\n", c->keyfile,
			        errno == ENOENT ? "file not found" : cli_errno_text(errno));
			return 0;
		}
		static char text[65536];
		size_t n = fread(text, 1, sizeof text, f);
		bool big = n == sizeof text;
		fclose(f);
		struct cli_keytext kt;
		int rc = big ? CLI_KEYFILE_SYNTAX : cli_keyfile_parse(text, n, &kt);
		if (rc == CLI_KEYFILE_INCOMPLETE) {
			fprintf(stderr, "tern: key must have algorithm and secret\n");
			return CLI_EXIT_USAGE;
		}
		if (rc != 0) {
			fprintf(stderr, "Couldn't read key from %s: unexpected token\n", c->keyfile);
			return 0;
		}
		make_key(c, kt.name, kt.alg, kt.secret);
		return 0;
	}
	if (c->key_name[0])
		make_key(c, c->key_name, c->key_alg, c->key_secret);
	return 0;
}

int cli_tsig_sign(struct cli *c, uint8_t *pkt, size_t len, size_t cap, size_t *outlen)
{
	*outlen = len;
	if (!c->tsig)
		return 0;
	tern_tsig_ctx_free(&c->tsig_req);
	tern_tsig_ctx_init(&c->tsig_req, &c->tsig_key);
	return tern_tsig_sign(&c->tsig_req, pkt, len, cap, (uint64_t)time(NULL), outlen);
}

void cli_tsig_start(struct cli *c, tern_tsig_ctx *ctx)
{
	*ctx = c->tsig_req;
	ctx->run = NULL; /* a signed request leaves no running digest */
}

void cli_tsig_check(struct cli *c, tern_tsig_ctx *ctx, FILE *out)
{
	if (!c->tsig)
		return;
	const uint8_t *pkt = c->reply.pkt;
	size_t len = c->reply.len;
	tern_tsig_rr rr;
	const char *why = NULL;
	int f = tern_tsig_find(pkt, len, &rr);
	if (f < 0)
		why = "FORMERR";
	else if (f == 0 && ctx->nverified == 0)
		why = "expected a TSIG or SIG(0)";
	else if (f == 1) {
		/* BIND's order: the key and algorithm, the MAC, the time, then
		 * the error the server reported */
		uint8_t alg[TERN_NAME_MAX];
		tern_name_lower(alg, rr.alg);
		if (!tern_name_eq(rr.name, c->tsig_key.name) ||
		    !tern_name_eq(alg, tern_tsig_alg_wire(c->tsig_key.alg)))
			why = "tsig verify failure";
	}
	if (!why) {
		int rc = tern_tsig_verify(ctx, pkt, len, (uint64_t)time(NULL));
		if (rc == TERN_TSIG_BADTIME)
			why = "clocks are unsynchronized"; /* DNS_R_CLOCKSKEW in dig's words */
		else if (rc > 0 && ctx->peer_error == rc)
			why = "tsig indicates error";
		else if (rc == TERN_TSIG_BADKEY || rc == TERN_TSIG_BADSIG)
			why = "tsig verify failure";
		else if (rc != 0)
			why = "FORMERR";
	}
	if (why) {
		fflush(stdout);
		if (out)
			fprintf(out, ";; Couldn't verify signature: %s\n", why);
		c->tsig_failed = true;
	}
}

void cli_tsig_warnings(const struct cli *c, FILE *out)
{
	if (c->tsig && c->tsig_failed)
		fputs(";; WARNING -- Some TSIG could not be validated\n", out);
	if (c->tsig_unused)
		fputs(";; WARNING -- TSIG key was not used.\n", out);
}

/* The TSIG error field as dig names it (dns_tsigrcode_totext). */
static const char *tsig_error_text(unsigned e, char *buf, size_t cap)
{
	static const char *const names[] = {[16] = "BADSIG",  [17] = "BADKEY",  [18] = "BADTIME", [19] = "BADMODE",
	                                    [20] = "BADNAME", [21] = "BADALG",  [22] = "BADTRUNC"};
	if (e < sizeof names / sizeof names[0] && names[e])
		return names[e];
	return cli_rcode_name(e, buf, cap);
}

int cli_tsig_rdata_text(struct cli *c, const struct cli_opts *o, bool multiline)
{
	const uint8_t *d = c->rdata;
	size_t len = c->rdata_len, al = tern_name_len(d);
	if (al == 0 || al + 16 > len)
		return TERN_EMALFORMED;
	char alg[TERN_NAME_TEXT_MAX];
	if (tern_name_to_text(d, alg, sizeof alg) < 0)
		return TERN_EMALFORMED;
	const uint8_t *p = d + al;
	uint64_t when = (uint64_t)tern_get_u16(p) << 32 | tern_get_u32(p + 2);
	unsigned fudge = tern_get_u16(p + 6), maclen = tern_get_u16(p + 8);
	if (al + 10 + maclen + 6 > len)
		return TERN_EMALFORMED;
	const uint8_t *mac = p + 10;
	p = mac + maclen;
	unsigned id = tern_get_u16(p), err = tern_get_u16(p + 2), olen = tern_get_u16(p + 4);
	if (al + 16 + maclen + olen != len)
		return TERN_EMALFORMED;
	static char b64[4 * (65535 / 3 + 1) + 1];
	char eb[24];
	size_t n = (size_t)snprintf(c->text, sizeof c->text, "%s %llu %u %u", alg, (unsigned long long)when, fudge, maclen);
	/* the MAC in words of +split characters, as dig's other blobs */
	size_t width = o->split != CLI_SPLIT_DEFAULT ? o->split : multiline ? 44 : 56;
	const char *brk = multiline ? "\n\t\t\t\t" : " ";
	if (maclen) {
		size_t bl = tern_b64_encode(mac, maclen, b64);
		if (multiline)
			n += (size_t)snprintf(c->text + n, sizeof c->text - n, " (");
		for (size_t i = 0; i < bl && n < sizeof c->text; i += width ? width : bl) {
			size_t take = width && bl - i > width ? width : bl - i;
			n += (size_t)snprintf(c->text + n, sizeof c->text - n, "%s%.*s", brk, (int)take, b64 + i);
		}
		if (n < sizeof c->text)
			n += (size_t)snprintf(c->text + n, sizeof c->text - n, multiline ? " ) " : " ");
	} else if (n < sizeof c->text)
		n += (size_t)snprintf(c->text + n, sizeof c->text - n, " ");
	if (n < sizeof c->text)
		n += (size_t)snprintf(c->text + n, sizeof c->text - n, "%u %s %u ", id, tsig_error_text(err, eb, sizeof eb),
		                      olen);
	/* Other Data: words of 60 characters (dig) */
	size_t bl = tern_b64_encode(p + 6, olen, b64);
	for (size_t i = 0; i < bl && n < sizeof c->text; i += 60) {
		size_t take = bl - i > 60 ? 60 : bl - i;
		n += (size_t)snprintf(c->text + n, sizeof c->text - n, "%s%.*s", i ? " " : "", (int)take, b64 + i);
	}
	if (n >= sizeof c->text)
		return TERN_ESPACE;
	return (int)n;
}
