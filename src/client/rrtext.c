/* rrtext.c: the display options that change how a record reads, as dig
 * applies them: +unknownformat (RFC 3597 3: "\# LENGTH HEX", with CLASSn
 * and TYPEn for the mnemonics) and +expandaaaa (every group of an IPv6
 * address in four digits). The rest of the line is libtern's
 * tern_rr_to_text. */
#include <stdio.h>
#include <string.h>

#include "client/client.h"

/* RDATA of the record cli_rdata_text last unpacked (c->rdata), restyled
 * into c->text. Returns the text length or an error. */
int cli_rdata_style(struct cli *c, const struct cli_opts *o, const tern_rr *rr)
{
	int n = (int)strlen(c->text);
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
	bool restyle = o->unknownformat || (o->expandaaaa && rr->type == TERN_T_AAAA);
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
	if ((n = cli_rdata_text(c, rr)) < 0 || (n = cli_rdata_style(c, o, rr)) < 0)
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
