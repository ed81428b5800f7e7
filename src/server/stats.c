/* stats.c: see stats.h. */
#include <stdio.h>
#include <string.h>

#include "server/stats.h"
#include "tern/msg.h"
#include "tern/rr.h"

_Static_assert(sizeof(worker_stats) % 64 == 0, "worker_stats fills whole cache lines");
_Static_assert(sizeof(worker_stats) % sizeof(uint64_t) == 0, "worker_stats is 64-bit words only");

const uint32_t stats_lat_bounds_us[STATS_LAT_BUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
};

/* The types counted one by one (index = position + 1). */
static const uint16_t qtypes[STATS_QTYPES - 1] = {
	TERN_T_A,     TERN_T_NS,     TERN_T_CNAME,  TERN_T_SOA,   TERN_T_PTR,   TERN_T_MX,
	TERN_T_TXT,   TERN_T_AAAA,   TERN_T_SRV,    TERN_T_NAPTR, TERN_T_DS,    TERN_T_RRSIG,
	TERN_T_NSEC,  TERN_T_DNSKEY, TERN_T_NSEC3,  TERN_T_TLSA,  TERN_T_SVCB,  TERN_T_HTTPS,
	TERN_T_CAA,   TERN_T_ANY,    TERN_T_AXFR,   TERN_T_IXFR,  TERN_T_SSHFP,
};

unsigned stats_qtype_index(uint16_t qtype)
{
	/* most queries are A, AAAA, HTTPS: a short scan of one cache line */
	for (unsigned i = 0; i < STATS_QTYPES - 1; i++)
		if (qtypes[i] == qtype)
			return i + 1;
	return 0;
}

uint16_t stats_qtype_at(unsigned index)
{
	return index && index < STATS_QTYPES ? qtypes[index - 1] : 0;
}

unsigned stats_zone_rcode_index(unsigned rcode)
{
	switch (rcode) {
	case TERN_R_NOERROR: return 0;
	case TERN_R_NXDOMAIN: return 1;
	case TERN_R_SERVFAIL: return 2;
	case TERN_R_REFUSED: return 3;
	default: return 4;
	}
}

unsigned stats_lat_bucket(uint64_t us)
{
	unsigned i = 0;
	while (i < STATS_LAT_BUCKETS - 1 && us > stats_lat_bounds_us[i])
		i++;
	return i;
}

const char *stats_source_name(unsigned source)
{
	static const char *names[STATS_SOURCES] = {"none", "zone", "local", "cache", "upstream", "stale", "blocked"};
	return source < STATS_SOURCES ? names[source] : "none";
}

const char *stats_transport_name(unsigned transport)
{
	static const char *names[STATS_TRANSPORTS] = {"udp", "tcp", "dot", "doh"};
	return transport < STATS_TRANSPORTS ? names[transport] : "udp";
}

const char *stats_rcode_name(unsigned rcode, char *buf, size_t cap)
{
	static const char *names[] = {"NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	                              "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI"};
	if (rcode < sizeof names / sizeof names[0])
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	snprintf(buf, cap, "RCODE%u", rcode);
	return buf;
}

const char *stats_opcode_name(unsigned opcode, char *buf, size_t cap)
{
	static const char *names[] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO"};
	if (opcode < sizeof names / sizeof names[0] && names[opcode])
		return names[opcode];
	snprintf(buf, cap, "OPCODE%u", opcode);
	return buf;
}

unsigned stats_zone_slot(stats_names *n, const uint8_t *origin)
{
	unsigned count = atomic_load_explicit(&n->nzones, memory_order_relaxed);
	for (unsigned i = 1; i < count; i++)
		if (tern_name_eq(n->zone[i], origin))
			return i;
	if (count == 0)
		count = 1; /* slot 0: "other" */
	if (count >= STATS_ZONES)
		return 0;
	memcpy(n->zone[count], origin, tern_name_len(origin));
	atomic_store_explicit(&n->nzones, count + 1, memory_order_release);
	return count;
}

unsigned stats_upstream_slot(stats_names *n, const char *text)
{
	unsigned count = atomic_load_explicit(&n->nups, memory_order_relaxed);
	for (unsigned i = 1; i < count; i++)
		if (!strcmp(n->up[i], text))
			return i;
	if (count == 0)
		count = 1;
	if (count >= STATS_UPSTREAMS)
		return 0;
	snprintf(n->up[count], sizeof n->up[count], "%s", text);
	atomic_store_explicit(&n->nups, count + 1, memory_order_release);
	return count;
}

void stats_add(worker_stats *dst, const worker_stats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;
	for (size_t i = 0; i < STATS_WORDS; i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void stats_sub(worker_stats *dst, const worker_stats *base)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *b = (const uint64_t *)base;
	for (size_t i = 0; i < STATS_WORDS; i++)
		d[i] = d[i] >= b[i] ? d[i] - b[i] : 0;
}
