/* http.h: the one HTTP/1.1 request ternd understands (GET /metrics), read
 * by a small parser with no allocation (RFC 9112). Fuzzed: fuzz/fuzz_http.c. */
#ifndef TERN_CTL_HTTP_H
#define TERN_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_REQUEST_MAX 8192 /* request line and headers, in all */

typedef struct http_req {
	int status;   /* what to answer: 200, 400, 404 or 405 */
	bool head;    /* HEAD: the headers only */
	const char *why; /* for 400: a short reason */
} http_req;

/* Looks at the bytes received so far. Returns 0 when the request (line and
 * headers, up to the empty line) is not complete yet, or 1 with r filled.
 * More than HTTP_REQUEST_MAX bytes without the end is a 400. */
int http_parse(const char *buf, size_t len, http_req *r);

#endif
