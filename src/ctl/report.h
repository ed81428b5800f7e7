/* report.h: the counters (server/stats.h) as text: `ternctl stats` (human
 * "key value" lines or JSON) and /metrics (the Prometheus text exposition
 * format, version 0.0.4). */
#ifndef TERN_CTL_REPORT_H
#define TERN_CTL_REPORT_H

#include "ctl/out.h"
#include "server/stats.h"

void report_stats_text(sbuf *b, const stats_snap *s, const stats_names *n);
void report_stats_json(sbuf *b, const stats_snap *s, const stats_names *n);
void report_metrics(sbuf *b, const stats_snap *s, const stats_names *n);

#endif
