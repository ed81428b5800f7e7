/* out.h: a growing text buffer for the answers of the control socket and
 * the metrics endpoint (built off the query path; malloc is fine here). */
#ifndef TERN_CTL_OUT_H
#define TERN_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sbuf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the text is incomplete */
} sbuf;

void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_put(sbuf *b, const char *s, size_t n);
/* s as a JSON string, quotes included (RFC 8259 7). */
void sb_json_str(sbuf *b, const char *s);
void sb_free(sbuf *b);

/* Writes all of p to fd; gives up when the reader takes nothing for
 * timeout_ms. Returns 0, or -1 (error, or stalled). */
int out_write_all(int fd, const char *p, size_t n, int timeout_ms);

#endif
