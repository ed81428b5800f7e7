/* http.c: see http.h. What is checked (RFC 9112):
 *   request-line = method SP request-target SP HTTP-version CRLF   (3)
 *   a bare LF ends a line as well (2.2); a bare CR elsewhere is a 400;
 *   method: a token (RFC 9110 5.6.2); GET and HEAD only, others 405;
 *   request-target: origin-form "/metrics" with an optional query, else 404;
 *   HTTP-version: HTTP/1.0 or HTTP/1.1 (2.3), else 400;
 *   field-line = field-name ":" OWS field-value OWS, no whitespace before
 *   the colon (5.1), no obs-fold (5.2), and an HTTP/1.1 request carries
 *   exactly one Host field (3.2). A body is never read: the answer closes
 *   the connection. */
#include <string.h>

#include "ctl/http.h"

static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the header section: the offset just after the empty line, or
 * 0 when it has not arrived. */
static size_t header_end(const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < len && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int bad(http_req *r, const char *why)
{
	r->status = 400;
	r->why = why;
	return 1;
}

/* One line [p, end): its end without the CR; NULL if a CR is bare. */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return NULL;
	const char *e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	if (memchr(p, '\r', (size_t)(e - p)))
		return NULL;
	return e;
}

int http_parse(const char *buf, size_t len, http_req *r)
{
	memset(r, 0, sizeof *r);
	size_t lim = len > HTTP_REQUEST_MAX ? HTTP_REQUEST_MAX : len;
	/* RFC 9112 2.2: empty lines before the request-line may be ignored
	 * (a few bytes of them) */
	size_t start = 0;
	while (start < lim && start < 4 && (buf[start] == '\r' || buf[start] == '\n'))
		start++;
	size_t hend = header_end(buf + start, lim - start);
	if (hend)
		hend += start;
	if (!hend) {
		if (len >= HTTP_REQUEST_MAX)
			return bad(r, "request too large");
		return 0;
	}
	const char *p = buf + start, *end = buf + hend;
	const char *le = line_end(p, end);
	if (!le)
		return bad(r, "bare CR");
	/* method */
	const char *m = p;
	while (p < le && tchar((unsigned char)*p))
		p++;
	size_t mlen = (size_t)(p - m);
	if (!mlen || p >= le || *p != ' ')
		return bad(r, "bad request line");
	p++;
	/* request-target: up to the next SP, visible ASCII only */
	const char *t = p;
	while (p < le && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
		p++;
	size_t tlen = (size_t)(p - t);
	if (!tlen || p >= le || *p != ' ')
		return bad(r, "bad request line");
	p++;
	size_t vlen = (size_t)(le - p);
	if (vlen != 8 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1'))
		return bad(r, "HTTP/1.0 or HTTP/1.1 only");
	bool v11 = p[7] == '1';
	/* header fields */
	unsigned hosts = 0;
	const char *q = le;
	q += *q == '\r' ? 2 : 1;
	while (q < end) {
		const char *e = line_end(q, end);
		if (!e)
			return bad(r, "bare CR");
		if (e == q)
			break; /* the empty line */
		if (*q == ' ' || *q == '\t')
			return bad(r, "obsolete line folding");
		const char *n = q;
		while (n < e && tchar((unsigned char)*n))
			n++;
		if (n == q || n >= e || *n != ':')
			return bad(r, "bad header field");
		if (n - q == 4 && !strncasecmp(q, "host", 4))
			hosts++;
		for (const char *c = n + 1; c < e; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				return bad(r, "control character in a header field");
		q = e;
		q += *q == '\r' ? 2 : 1;
	}
	if (v11 && hosts != 1)
		return bad(r, "HTTP/1.1 needs one Host header field");
	if (!((mlen == 3 && !memcmp(m, "GET", 3)) || (mlen == 4 && !memcmp(m, "HEAD", 4)))) {
		r->status = 405;
		return 1;
	}
	r->head = mlen == 4;
	size_t path = 0;
	while (path < tlen && t[path] != '?')
		path++;
	r->status = path == 8 && !memcmp(t, "/metrics", 8) ? 200 : 404;
	return 1;
}
