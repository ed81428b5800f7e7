/* doh.h: DNS over HTTPS requests (RFC 8484) as data. The HTTP/2 layer
 * (h2.c) collects a request's method, :path, content-type and body; this
 * turns them into the DNS query, or the HTTP status that refuses them. No
 * I/O, no allocation: fuzzed alone (fuzz/fuzz_doh.c). */
#ifndef TERN_TLS_DOH_H
#define TERN_TLS_DOH_H

#include <stddef.h>
#include <stdint.h>

#define DOH_PATH "/dns-query"
#define DOH_MAX_MSG 65535      /* a DNS message (RFC 8484 6: as over TCP) */
#define DOH_MIN_MSG 12         /* a header */

/* The request's parts, as received (not NUL-terminated). ctype NULL: no
 * content-type header. */
typedef struct doh_request {
	const char *method;
	size_t method_len;
	const char *path; /* the :path pseudo-header, query string included */
	size_t path_len;
	const char *ctype;
	size_t ctype_len;
	const uint8_t *body;
	size_t body_len;
} doh_request;

/* The DNS query of req into out (cap bytes: body_len + path_len is enough), its
 * length in *len. Returns the HTTP status: 200 (out holds the query), 400
 * (no or bad dns= parameter, bad base64url, a body shorter than a DNS
 * header), 404 (another path), 405 (a method other than GET and POST), 413
 * (a message longer than 65535 bytes), 415 (POST without content-type
 * application/dns-message). RFC 8484 4.1: GET carries the message as
 * base64url without padding in the "dns" variable; POST in the body. */
int doh_parse(const doh_request *req, uint8_t *out, size_t cap, size_t *len);

/* base64url (RFC 4648 5) without padding (a trailing '=' is accepted and
 * ignored) into out. Returns the length, or -1 for a character outside the
 * alphabet, a length that cannot be base64, or more than cap bytes. */
long doh_base64url_decode(const char *in, size_t inlen, uint8_t *out, size_t cap);

/* The freshness of an answer (RFC 8484 5.1): the smallest TTL of its
 * records (OPT left out), or -1 when it has none or cannot be read. */
long doh_min_ttl(const uint8_t *msg, size_t len);

#endif
