/* rrtext.c: the display options that change how a record reads, as dig
 * applies them: +unknownformat (RFC 3597 3: "\# LENGTH HEX", with CLASSn
 * and TYPEn for the mnemonics), +expandaaaa (every group of an IPv6
 * address in four digits), and for the types that end in a key, a digest
 * or a signature (DNSKEY, DS, RRSIG, TLSA, SSHFP ...): +split (the width
 * of its chunks), +nocrypto (the key's tag or "[omitted]" for it),
 * +multiline (the chunks one per line in parentheses) and +rrcomments (a
 * DNSKEY's role, algorithm and tag). The rest of the line is libtern's
 * tern_rr_to_text. */
#include <stdio.h>
#include <string.h>

#include "client/client.h"

/* What ends in a blob: how many fields come before it, and what +nocrypto
 * puts instead (NULL: shown anyway; "" : the key's tag). */
struct blob_type {
	uint16_t type;
	unsigned fixed;
	const char *nocrypto;
};

static const struct blob_type blob_types[] = {
	{TERN_T_DNSKEY, 3, ""}, {TERN_T_CDNSKEY, 3, ""}, {TERN_T_DS, 3, "[omitted]"}, {TERN_T_CDS, 3, "[omitted]"},
	{TERN_T_RRSIG, 8, "[omitted]"}, {TERN_T_TLSA, 3, NULL}, {TERN_T_SMIMEA, 3, NULL}, {TERN_T_SSHFP, 2, NULL},
};

/* RFC 4034 Appendix B: the key tag of DNSKEY RDATA (algorithm 1: the
 * key's last bytes but one). */
static unsigned key_tag(const uint8_t *rd, size_t len)
{
	if (len < 4)
		return 0;
	if (rd[3] == 1)
		return len >= 7 ? (unsigned)rd[len - 3] << 8 | rd[len - 2] : 0;
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return ac & 0xffff;
}

static const char *alg_name(unsigned alg, char *buf, size_t cap)
{
	static const char *const names[] = {
	        [1] = "RSAMD5",         [3] = "DSA",           [5] = "RSASHA1",        [6] = "NSEC3DSA",
	        [7] = "NSEC3RSASHA1",   [8] = "RSASHA256",     [10] = "RSASHA512",     [12] = "ECCGOST",
	        [13] = "ECDSAP256SHA256", [14] = "ECDSAP384SHA384", [15] = "ED25519",  [16] = "ED448"};
	if (alg < sizeof names / sizeof names[0] && names[alg])
		return names[alg];
	snprintf(buf, cap, "%u", alg);
	return buf;
}

/* Rewrites the RDATA text in c->text (from cli_rdata_text, c->rdata holding
 * the wire form) for a type of blob_types. Returns the new length. */
static int blob_style(struct cli *c, const struct cli_opts *o, const struct blob_type *bt, bool multiline)
{
	bool is_key = bt->type == TERN_T_DNSKEY || bt->type == TERN_T_CDNSKEY;
	unsigned tag = is_key ? key_tag(c->rdata, c->rdata_len) : 0;
	bool comment = is_key && c->rdata_len >= 4 && (o->rrcomments > 0 || (multiline && o->rrcomments == 0));
	size_t width = o->split != CLI_SPLIT_DEFAULT ? o->split : multiline ? 44 : 56;
	/* the fixed fields, then the blob without the blanks libtern put in it */
	char *p = c->text;
	for (unsigned k = 0; k < bt->fixed && p; k++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return (int)strlen(c->text);
	size_t head = (size_t)(p - c->text), blen = 0;
	for (char *q = p; *q; q++)
		if (*q != ' ')
			p[blen++] = *q;
	p[blen] = 0;
	/* keys and signatures are at most a few kB of text; a longer blob (no
	 * such key exists) stays as it is */
	char out[16384];
	size_t cap = sizeof out, n = 0;
	char sep = c->rdata_len >= 2 ? (char)(c->rdata[1] & 1) : 0; /* SEP (RFC 4034 2.1.1) */
	char b[16];
	const char *alg = c->rdata_len >= 4 ? alg_name(c->rdata[3], b, sizeof b) : "";
#define PUT(...)                                                                       \
	do {                                                                           \
		int w_ = snprintf(out + n, cap - n, __VA_ARGS__);                     \
		if (w_ < 0 || (size_t)w_ >= cap - n)                                   \
			return (int)strlen(c->text);                                   \
		n += (size_t)w_;                                                       \
	} while (0)
	if (bt->type == TERN_T_RRSIG && multiline) {
		/* type covered, algorithm, labels, TTL; then the times, tag, signer */
		char *f = c->text;
		for (int k = 0; k < 4; k++)
			f = strchr(f, ' ') + 1;
		PUT("%.*s(\n\t\t\t\t%.*s", (int)(f - c->text), c->text, (int)(p - f - 1), f);
	} else {
		PUT("%.*s", (int)head, c->text);
		if (multiline)
			PUT("(");
	}
	if (o->nocrypto && bt->nocrypto) {
		if (*bt->nocrypto)
			PUT("%s%s", multiline ? "\n\t\t\t\t" : "", bt->nocrypto);
		else
			PUT("%s[key id = %u]", multiline ? "\n\t\t\t\t" : "", tag);
	} else {
		for (size_t i = 0; i < blen; i += width ? width : blen) {
			size_t take = width && blen - i > width ? width : blen - i;
			PUT("%s%.*s", multiline ? "\n\t\t\t\t" : i ? " " : "", (int)take, p + i);
		}
	}
	if (comment)
		PUT("%s; %s; alg = %s ; key id = %u", multiline ? "\n\t\t\t\t) " : "  ", sep ? "KSK" : "ZSK", alg, tag);
	else if (multiline)
		PUT(" )");
#undef PUT
	memmove(c->text, out, n + 1);
	return (int)n;
}

/* RDATA of the record cli_rdata_text last unpacked (c->rdata), restyled
 * into c->text. Returns the text length or an error. */
int cli_rdata_style(struct cli *c, const struct cli_opts *o, const tern_rr *rr, bool multiline)
{
	int n = (int)strlen(c->text);
	if (!o->unknownformat && rr->type == TERN_T_TSIG)
		return cli_tsig_rdata_text(c, o, multiline);
	if (!o->unknownformat) {
		for (size_t k = 0; k < sizeof blob_types / sizeof blob_types[0]; k++)
			if (blob_types[k].type == rr->type)
				return blob_style(c, o, &blob_types[k], multiline);
	}
	if (o->unknownformat) {
		n = snprintf(c->text, sizeof c->text, "\\# %zu", c->rdata_len);
		if (c->rdata_len)
			c->text[n++] = ' ';
		/* in chunks of 28 bytes, as dig splits hex on one line */
		for (size_t i = 0; i < c->rdata_len && (size_t)n + 4 < sizeof c->text; i++)
			n += snprintf(c->text + n, sizeof c->text - (size_t)n, "%s%02X", i && i % 28 == 0 ? " " : "",
			              c->rdata[i]);
	} else if (o->expandaaaa && rr->type == TERN_T_AAAA && c->rdata_len == 16) {
		n = 0;
		for (int i = 0; i < 16; i += 2)
			n += snprintf(c->text + n, sizeof c->text - (size_t)n, "%s%02x%02x", i ? ":" : "", c->rdata[i],
			              c->rdata[i + 1]);
	}
	return n;
}

int cli_rr_text(struct cli *c, const struct cli_opts *o, const tern_rr *rr)
{
	const struct cli_reply *r = &c->reply;
	bool question = rr->section == TERN_S_QUESTION;
	bool restyle = o->unknownformat || (o->expandaaaa && rr->type == TERN_T_AAAA) || rr->type == TERN_T_TSIG;
	for (size_t k = 0; k < sizeof blob_types / sizeof blob_types[0] && !question; k++)
		if (blob_types[k].type == rr->type)
			restyle = restyle || o->multiline || o->nocrypto || o->rrcomments > 0 || o->split != CLI_SPLIT_DEFAULT;
	int n = tern_rr_to_text(r->pkt, r->len, rr, c->text, sizeof c->text);
	if (n < 0 || !restyle)
		return n;
	/* the owner (and the TTL) as libtern wrote them, then the rest ours */
	char head[TERN_NAME_TEXT_MAX + 32];
	const char *tab = strchr(c->text, '\t');
	const char *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
	if (!tab2)
		return n;
	size_t hlen = (size_t)(tab2 - c->text) + 1;
	if (hlen >= sizeof head)
		return TERN_ESPACE;
	memcpy(head, c->text, hlen);
	head[hlen] = 0;
	char cls[24], type[24];
	if (o->unknownformat) {
		snprintf(cls, sizeof cls, "CLASS%u", (unsigned)rr->cls);
		snprintf(type, sizeof type, "TYPE%u", (unsigned)rr->type);
	} else {
		tern_class_to_text(rr->cls, cls, sizeof cls);
		tern_type_to_text(rr->type, type, sizeof type);
	}
	if (question)
		return snprintf(c->text, sizeof c->text, "%s%s\t%s", head, cls, type);
	if ((n = cli_rdata_text(c, rr)) < 0 || (n = cli_rdata_style(c, o, rr, o->multiline)) < 0)
		return n;
	/* the RDATA moves right to make room for the fields before it */
	char pre[sizeof head + 64];
	int plen = snprintf(pre, sizeof pre, "%s%s\t%s\t", head, cls, type);
	if (plen < 0 || (size_t)plen + (size_t)n + 1 > sizeof c->text)
		return TERN_ESPACE;
	memmove(c->text + plen, c->text, (size_t)n + 1);
	memcpy(c->text, pre, (size_t)plen);
	return plen + n;
}
