/* metrics.h: /metrics over HTTP/1.1 for Prometheus, on a thread of its
 * own (configured by `metrics: ADDR:PORT`; loopback unless told).
 *
 * At most METRICS_CLIENTS connections at once (a new one closes the
 * oldest); a request must arrive whole within METRICS_TIMEOUT_MS and fit
 * HTTP_REQUEST_MAX bytes (http.h); every answer closes the connection.
 * A scrape sums the workers' counters (stats.h): no lock on their side. */
#ifndef TERN_CTL_METRICS_H
#define TERN_CTL_METRICS_H

#include "server/config.h"
#include "server/server.h"

#define METRICS_CLIENTS 16
#define METRICS_TIMEOUT_MS 3000

typedef struct metrics metrics;

/* Binds addr (before privileges are dropped). NULL after logging why. */
metrics *metrics_open(const cfg_listen *addr);
int metrics_start(metrics *m, server *s);
/* Stops the thread, closes everything, frees m. NULL is fine. */
void metrics_stop(metrics *m);

#endif
