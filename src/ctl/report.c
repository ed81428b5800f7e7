/* report.c: see report.h. Every report walks the same counters in the same
 * order; only the spelling differs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/report.h"
#include "tern/rr.h"

typedef unsigned long long ull;

static uint64_t sum(const uint64_t *v, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += v[i];
	return t;
}

static const char *type_name(unsigned idx, char *buf, size_t cap)
{
	if (!idx)
		return "other";
	tern_type_to_text(stats_qtype_at(idx), buf, cap);
	return buf;
}

static const char *zone_name(const stats_names *n, unsigned slot, char *buf, size_t cap)
{
	if (!slot)
		return "other";
	tern_name_to_text(n->zone[slot], buf, cap);
	return buf;
}

/* For "zone.NAME.queries": the name without its last dot ("." stays). */
static const char *key_name(char *text)
{
	size_t n = strlen(text);
	if (n > 1 && text[n - 1] == '.')
		text[n - 1] = 0;
	return text;
}

static const char *up_name(const stats_names *n, unsigned slot)
{
	return slot ? n->up[slot] : "other";
}

static const char *const zone_rcodes[STATS_ZONE_RCODES] = {"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "other"};

static unsigned nzones(const stats_names *n)
{
	unsigned k = atomic_load_explicit(&n->nzones, memory_order_acquire);
	return k > STATS_ZONES ? STATS_ZONES : k;
}

static unsigned nups(const stats_names *n)
{
	unsigned k = atomic_load_explicit(&n->nups, memory_order_acquire);
	return k > STATS_UPSTREAMS ? STATS_UPSTREAMS : k;
}

/* ---- ternctl stats ---- */

void report_stats_text(sbuf *b, const stats_snap *s, const stats_names *n)
{
	const worker_stats *w = &s->w;
	char buf[TERN_NAME_TEXT_MAX], rb[16];
	sb_printf(b, "uptime %.3f\nworkers %u\nzones %zu\n", s->uptime_s, s->workers, s->zones);
	uint64_t total = 0;
	for (unsigned t = 0; t < STATS_TRANSPORTS; t++)
		total += sum(w->queries[t], STATS_QTYPES);
	sb_printf(b, "queries %llu\n", (ull)total);
	for (unsigned t = 0; t < STATS_TRANSPORTS; t++)
		sb_printf(b, "queries.%s %llu\n", stats_transport_name(t), (ull)sum(w->queries[t], STATS_QTYPES));
	for (unsigned q = 0; q < STATS_QTYPES; q++) {
		uint64_t v = 0;
		for (unsigned t = 0; t < STATS_TRANSPORTS; t++)
			v += w->queries[t][q];
		if (v)
			sb_printf(b, "queries.type.%s %llu\n", type_name(q, buf, sizeof buf), (ull)v);
	}
	for (unsigned o = 0; o < 16; o++)
		if (w->opcodes[o] || o == 0)
			sb_printf(b, "queries.opcode.%s %llu\n", stats_opcode_name(o, rb, sizeof rb), (ull)w->opcodes[o]);
	sb_printf(b, "responses %llu\n", (ull)w->responses);
	for (unsigned r = 0; r < STATS_RCODES; r++)
		if (w->rcodes[r] || r == 0 || r == 2 || r == 3 || r == 5)
			sb_printf(b, "responses.rcode.%s %llu\n", stats_rcode_name(r, rb, sizeof rb), (ull)w->rcodes[r]);
	for (unsigned k = 0; k < STATS_SOURCES; k++)
		sb_printf(b, "responses.source.%s %llu\n", stats_source_name(k), (ull)w->sources[k]);
	sb_printf(b, "dropped %llu\nforwarded %llu\nrrl.dropped %llu\nrrl.slipped %llu\n", (ull)w->dropped,
	          (ull)w->forwarded, (ull)w->rrl_dropped, (ull)w->rrl_slipped);
	sb_printf(b, "tcp.accepted %llu\ntcp.closed %llu\ntcp.closed_idle %llu\ntcp.evicted %llu\n",
	          (ull)w->tcp_accepted, (ull)w->tcp_closed, (ull)w->tcp_closed_idle, (ull)w->tcp_evicted);
	if (s->have_cache)
		sb_printf(b,
		          "cache.entries %llu\ncache.bytes %llu\ncache.hits %llu\ncache.misses %llu\n"
		          "cache.inserts %llu\ncache.evictions %llu\nupstream.waiting %u\n",
		          (ull)s->cache_entries, (ull)s->cache_bytes, (ull)s->cache_hits, (ull)s->cache_misses,
		          (ull)s->cache_inserts, (ull)s->cache_evictions, s->waiting);
	for (unsigned u = 0; u < nups(n); u++) {
		if (!u && !w->up_queries[0])
			continue;
		const char *a = up_name(n, u);
		sb_printf(b, "upstream.%s.queries %llu\nupstream.%s.answers %llu\nupstream.%s.failures %llu\n"
		          "upstream.%s.timeouts %llu\n", a, (ull)w->up_queries[u], a, (ull)w->up_answers[u], a,
		          (ull)w->up_failures[u], a, (ull)w->up_timeouts[u]);
		if (w->up_answers[u])
			sb_printf(b, "upstream.%s.latency_ms %.3f\n", a,
			          (double)w->up_latency_us[u] / 1000.0 / (double)w->up_answers[u]);
	}
	for (unsigned z = 0; z < nzones(n); z++) {
		if (!z && !w->zone_queries[0])
			continue;
		const char *name = key_name((char *)zone_name(n, z, buf, sizeof buf));
		sb_printf(b, "zone.%s.queries %llu\n", name, (ull)w->zone_queries[z]);
		for (unsigned r = 0; r < STATS_ZONE_RCODES; r++)
			if (w->zone_rcodes[z][r])
				sb_printf(b, "zone.%s.rcode.%s %llu\n", name, zone_rcodes[r], (ull)w->zone_rcodes[z][r]);
	}
	sb_printf(b, "reloads.ok %llu\nreloads.failed %llu\nzone_changes %llu\n", (ull)s->reloads_ok,
	          (ull)s->reloads_failed, (ull)s->zone_changes);
	if (s->have_qlog)
		sb_printf(b, "query_log.written %llu\nquery_log.dropped_full %llu\nquery_log.dropped_write %llu\n",
		          (ull)s->qlog_written, (ull)s->qlog_dropped_full, (ull)s->qlog_dropped_write);
	if (s->have_dnstap)
		sb_printf(b, "dnstap.written %llu\ndnstap.dropped %llu\n", (ull)s->dnstap_written, (ull)s->dnstap_dropped);
}

void report_stats_json(sbuf *b, const stats_snap *s, const stats_names *n)
{
	const worker_stats *w = &s->w;
	char buf[TERN_NAME_TEXT_MAX], rb[16];
	sb_printf(b, "{\"uptime\":%.3f,\"workers\":%u,\"zones\":%zu,\"queries\":{", s->uptime_s, s->workers,
	          s->zones);
	uint64_t total = 0;
	for (unsigned t = 0; t < STATS_TRANSPORTS; t++) {
		uint64_t v = sum(w->queries[t], STATS_QTYPES);
		total += v;
		sb_printf(b, "\"%s\":%llu,", stats_transport_name(t), (ull)v);
	}
	sb_printf(b, "\"total\":%llu,\"type\":{", (ull)total);
	const char *sep = "";
	for (unsigned q = 0; q < STATS_QTYPES; q++) {
		uint64_t v = 0;
		for (unsigned t = 0; t < STATS_TRANSPORTS; t++)
			v += w->queries[t][q];
		if (v) {
			sb_printf(b, "%s\"%s\":%llu", sep, type_name(q, buf, sizeof buf), (ull)v);
			sep = ",";
		}
	}
	sb_printf(b, "},\"opcode\":{");
	sep = "";
	for (unsigned o = 0; o < 16; o++)
		if (w->opcodes[o]) {
			sb_printf(b, "%s\"%s\":%llu", sep, stats_opcode_name(o, rb, sizeof rb), (ull)w->opcodes[o]);
			sep = ",";
		}
	sb_printf(b, "}},\"responses\":{\"total\":%llu,\"rcode\":{", (ull)w->responses);
	sep = "";
	for (unsigned r = 0; r < STATS_RCODES; r++)
		if (w->rcodes[r]) {
			sb_printf(b, "%s\"%s\":%llu", sep, stats_rcode_name(r, rb, sizeof rb), (ull)w->rcodes[r]);
			sep = ",";
		}
	sb_printf(b, "},\"source\":{");
	for (unsigned k = 0; k < STATS_SOURCES; k++)
		sb_printf(b, "%s\"%s\":%llu", k ? "," : "", stats_source_name(k), (ull)w->sources[k]);
	sb_printf(b, "}},\"dropped\":%llu,\"forwarded\":%llu,\"rrl\":{\"dropped\":%llu,\"slipped\":%llu},",
	          (ull)w->dropped, (ull)w->forwarded, (ull)w->rrl_dropped, (ull)w->rrl_slipped);
	sb_printf(b, "\"tcp\":{\"accepted\":%llu,\"closed\":%llu,\"closed_idle\":%llu,\"evicted\":%llu},",
	          (ull)w->tcp_accepted, (ull)w->tcp_closed, (ull)w->tcp_closed_idle, (ull)w->tcp_evicted);
	if (s->have_cache)
		sb_printf(b,
		          "\"cache\":{\"entries\":%llu,\"bytes\":%llu,\"hits\":%llu,\"misses\":%llu,\"inserts\":%llu,"
		          "\"evictions\":%llu},\"waiting\":%u,",
		          (ull)s->cache_entries, (ull)s->cache_bytes, (ull)s->cache_hits, (ull)s->cache_misses,
		          (ull)s->cache_inserts, (ull)s->cache_evictions, s->waiting);
	sb_printf(b, "\"upstreams\":{");
	sep = "";
	for (unsigned u = 0; u < nups(n); u++) {
		if (!u && !w->up_queries[0])
			continue;
		sb_printf(b, "%s", sep);
		sb_json_str(b, up_name(n, u));
		sb_printf(b, ":{\"queries\":%llu,\"answers\":%llu,\"failures\":%llu,\"timeouts\":%llu,\"latency_us_sum\":%llu}",
		          (ull)w->up_queries[u], (ull)w->up_answers[u], (ull)w->up_failures[u], (ull)w->up_timeouts[u],
		          (ull)w->up_latency_us[u]);
		sep = ",";
	}
	sb_printf(b, "},\"by_zone\":{");
	sep = "";
	for (unsigned z = 0; z < nzones(n); z++) {
		if (!z && !w->zone_queries[0])
			continue;
		sb_printf(b, "%s", sep);
		sb_json_str(b, zone_name(n, z, buf, sizeof buf));
		sb_printf(b, ":{\"queries\":%llu", (ull)w->zone_queries[z]);
		for (unsigned r = 0; r < STATS_ZONE_RCODES; r++)
			sb_printf(b, ",\"%s\":%llu", zone_rcodes[r], (ull)w->zone_rcodes[z][r]);
		sb_printf(b, "}");
		sep = ",";
	}
	sb_printf(b, "},\"reloads\":{\"ok\":%llu,\"failed\":%llu},\"zone_changes\":%llu", (ull)s->reloads_ok,
	          (ull)s->reloads_failed, (ull)s->zone_changes);
	if (s->have_qlog)
		sb_printf(b, ",\"query_log\":{\"written\":%llu,\"dropped_full\":%llu,\"dropped_write\":%llu}",
		          (ull)s->qlog_written, (ull)s->qlog_dropped_full, (ull)s->qlog_dropped_write);
	if (s->have_dnstap)
		sb_printf(b, ",\"dnstap\":{\"written\":%llu,\"dropped\":%llu}", (ull)s->dnstap_written,
		          (ull)s->dnstap_dropped);
	sb_printf(b, "}\n");
}

/* ---- /metrics: https://prometheus.io/docs/instrumenting/exposition_formats/ ----
 * Label values are escaped (\\, \", \n); names and types are fixed here. */

static void label(sbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sb_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sb_put(b, "\\n", 2);
		else
			sb_put(b, v, 1);
	}
}

static void head(sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void report_metrics(sbuf *b, const stats_snap *s, const stats_names *n)
{
	const worker_stats *w = &s->w;
	char buf[TERN_NAME_TEXT_MAX], rb[16];
	head(b, "ternd_uptime_seconds", "gauge", "Seconds since ternd started.");
	sb_printf(b, "ternd_uptime_seconds %.3f\n", s->uptime_s);
	head(b, "ternd_workers", "gauge", "Worker threads.");
	sb_printf(b, "ternd_workers %u\n", s->workers);
	head(b, "ternd_zones", "gauge", "Zones served.");
	sb_printf(b, "ternd_zones %zu\n", s->zones);

	head(b, "ternd_queries_total", "counter", "Queries received, by transport and query type.");
	for (unsigned t = 0; t < STATS_TRANSPORTS; t++)
		for (unsigned q = 0; q < STATS_QTYPES; q++)
			if (w->queries[t][q] || (q == 1 && t < 2)) /* A over UDP and TCP always: a series from the start */
				sb_printf(b, "ternd_queries_total{transport=\"%s\",type=\"%s\"} %llu\n",
				          stats_transport_name(t), type_name(q, buf, sizeof buf), (ull)w->queries[t][q]);
	head(b, "ternd_queries_by_opcode_total", "counter", "Queries received, by opcode.");
	for (unsigned o = 0; o < 16; o++)
		if (w->opcodes[o] || o == 0)
			sb_printf(b, "ternd_queries_by_opcode_total{opcode=\"%s\"} %llu\n",
			          stats_opcode_name(o, rb, sizeof rb), (ull)w->opcodes[o]);
	head(b, "ternd_responses_total", "counter", "Responses made (before rate limiting), by rcode.");
	for (unsigned r = 0; r < STATS_RCODES; r++)
		if (w->rcodes[r] || r == 0 || r == 2 || r == 3 || r == 5)
			sb_printf(b, "ternd_responses_total{rcode=\"%s\"} %llu\n", stats_rcode_name(r, rb, sizeof rb),
			          (ull)w->rcodes[r]);
	head(b, "ternd_answers_total", "counter", "Responses by where the answer came from.");
	for (unsigned k = 0; k < STATS_SOURCES; k++)
		sb_printf(b, "ternd_answers_total{source=\"%s\"} %llu\n", stats_source_name(k), (ull)w->sources[k]);
	head(b, "ternd_dropped_total", "counter", "Packets that were not queries (no response).");
	sb_printf(b, "ternd_dropped_total %llu\n", (ull)w->dropped);
	head(b, "ternd_forwarded_total", "counter", "Queries that waited for an upstream answer.");
	sb_printf(b, "ternd_forwarded_total %llu\n", (ull)w->forwarded);
	head(b, "ternd_rrl_actions_total", "counter", "Responses limited by response rate limiting.");
	sb_printf(b, "ternd_rrl_actions_total{action=\"drop\"} %llu\n", (ull)w->rrl_dropped);
	sb_printf(b, "ternd_rrl_actions_total{action=\"slip\"} %llu\n", (ull)w->rrl_slipped);
	head(b, "ternd_tcp_connections_total", "counter", "TCP connections accepted, and closed by reason.");
	sb_printf(b, "ternd_tcp_connections_total{event=\"accepted\"} %llu\n", (ull)w->tcp_accepted);
	sb_printf(b, "ternd_tcp_connections_total{event=\"closed\"} %llu\n", (ull)w->tcp_closed);
	sb_printf(b, "ternd_tcp_connections_total{event=\"closed_idle\"} %llu\n", (ull)w->tcp_closed_idle);
	sb_printf(b, "ternd_tcp_connections_total{event=\"evicted\"} %llu\n", (ull)w->tcp_evicted);
	head(b, "ternd_tcp_connections_open", "gauge", "TCP connections open now.");
	sb_printf(b, "ternd_tcp_connections_open %llu\n",
	          (ull)(w->tcp_accepted > w->tcp_closed ? w->tcp_accepted - w->tcp_closed : 0));
	if (s->have_cache) {
		head(b, "ternd_cache_entries", "gauge", "Entries in the cache.");
		sb_printf(b, "ternd_cache_entries %llu\n", (ull)s->cache_entries);
		head(b, "ternd_cache_bytes", "gauge", "Bytes the cache holds (entry overhead included).");
		sb_printf(b, "ternd_cache_bytes %llu\n", (ull)s->cache_bytes);
		head(b, "ternd_cache_lookups_total", "counter", "Cache lookups, by result.");
		sb_printf(b, "ternd_cache_lookups_total{result=\"hit\"} %llu\n", (ull)s->cache_hits);
		sb_printf(b, "ternd_cache_lookups_total{result=\"miss\"} %llu\n", (ull)s->cache_misses);
		head(b, "ternd_cache_inserts_total", "counter", "Entries put in the cache.");
		sb_printf(b, "ternd_cache_inserts_total %llu\n", (ull)s->cache_inserts);
		head(b, "ternd_cache_evictions_total", "counter", "Entries evicted to make room.");
		sb_printf(b, "ternd_cache_evictions_total %llu\n", (ull)s->cache_evictions);
		head(b, "ternd_upstream_waiting", "gauge", "Client queries waiting for upstream answers now.");
		sb_printf(b, "ternd_upstream_waiting %u\n", s->waiting);
	}
	static const struct {
		const char *name, *help;
		size_t off;
	} ups[] = {
		{"ternd_upstream_queries_total", "Questions sent to each upstream.", offsetof(worker_stats, up_queries)},
		{"ternd_upstream_answers_total", "Usable answers from each upstream.", offsetof(worker_stats, up_answers)},
		{"ternd_upstream_failures_total", "Error rcodes, unusable answers, unreachable upstreams.",
		 offsetof(worker_stats, up_failures)},
		{"ternd_upstream_timeouts_total", "Tries an upstream left unanswered.", offsetof(worker_stats, up_timeouts)},
	};
	for (size_t k = 0; k < sizeof ups / sizeof ups[0]; k++) {
		head(b, ups[k].name, "counter", ups[k].help);
		const uint64_t *v = (const uint64_t *)((const char *)w + ups[k].off);
		for (unsigned u = 1; u < nups(n); u++) {
			sb_printf(b, "%s{upstream=\"", ups[k].name);
			label(b, up_name(n, u));
			sb_printf(b, "\"} %llu\n", (ull)v[u]);
		}
	}
	head(b, "ternd_upstream_latency_seconds", "histogram", "Time from a question to its usable answer, per upstream.");
	for (unsigned u = 1; u < nups(n); u++) {
		uint64_t cum = 0;
		for (unsigned k = 0; k < STATS_LAT_BUCKETS; k++) {
			cum += w->up_latency[u][k];
			sb_printf(b, "ternd_upstream_latency_seconds_bucket{upstream=\"");
			label(b, up_name(n, u));
			if (k < STATS_LAT_BUCKETS - 1)
				sb_printf(b, "\",le=\"%g\"} %llu\n", stats_lat_bounds_us[k] / 1e6, (ull)cum);
			else
				sb_printf(b, "\",le=\"+Inf\"} %llu\n", (ull)cum);
		}
		sb_printf(b, "ternd_upstream_latency_seconds_sum{upstream=\"");
		label(b, up_name(n, u));
		sb_printf(b, "\"} %.6f\n", (double)w->up_latency_us[u] / 1e6);
		sb_printf(b, "ternd_upstream_latency_seconds_count{upstream=\"");
		label(b, up_name(n, u));
		sb_printf(b, "\"} %llu\n", (ull)cum);
	}
	head(b, "ternd_zone_responses_total", "counter", "Responses from each zone, by rcode.");
	for (unsigned z = 0; z < nzones(n); z++) {
		if (!z && !w->zone_queries[0])
			continue;
		const char *name = zone_name(n, z, buf, sizeof buf);
		for (unsigned r = 0; r < STATS_ZONE_RCODES; r++) {
			sb_printf(b, "ternd_zone_responses_total{zone=\"");
			label(b, name);
			sb_printf(b, "\",rcode=\"%s\"} %llu\n", zone_rcodes[r], (ull)w->zone_rcodes[z][r]);
		}
	}
	head(b, "ternd_reloads_total", "counter", "Reloads (SIGHUP or ternctl reload), by result.");
	sb_printf(b, "ternd_reloads_total{result=\"ok\"} %llu\n", (ull)s->reloads_ok);
	sb_printf(b, "ternd_reloads_total{result=\"failed\"} %llu\n", (ull)s->reloads_failed);
	head(b, "ternd_zone_changes_total", "counter", "Single-zone changes published (ternctl zone-add/remove/reload ZONE).");
	sb_printf(b, "ternd_zone_changes_total %llu\n", (ull)s->zone_changes);
	if (s->have_qlog) {
		head(b, "ternd_query_log_lines_total", "counter", "Query log lines written.");
		sb_printf(b, "ternd_query_log_lines_total %llu\n", (ull)s->qlog_written);
		head(b, "ternd_query_log_dropped_total", "counter",
		     "Query log entries dropped: the writer fell behind (full) or a write failed (write).");
		sb_printf(b, "ternd_query_log_dropped_total{reason=\"full\"} %llu\n", (ull)s->qlog_dropped_full);
		sb_printf(b, "ternd_query_log_dropped_total{reason=\"write\"} %llu\n", (ull)s->qlog_dropped_write);
	}
	if (s->have_dnstap) {
		head(b, "ternd_dnstap_messages_total", "counter", "dnstap messages written.");
		sb_printf(b, "ternd_dnstap_messages_total %llu\n", (ull)s->dnstap_written);
		head(b, "ternd_dnstap_dropped_total", "counter", "dnstap messages dropped (ring full, write failed, no reader).");
		sb_printf(b, "ternd_dnstap_dropped_total %llu\n", (ull)s->dnstap_dropped);
	}
}
