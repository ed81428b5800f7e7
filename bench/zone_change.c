/* zone_change.c: what a small change to a zone costs ("Replication", item
 * 8): loads a zone file, then applies ROUNDS changes of EDITS records each
 * (the SOA serial, changed addresses, new names) with zone_apply, as an
 * IXFR or UPDATE would, and reports per change the time taken and the
 * memory the new version adds while both versions live, against the
 * zone's own. Then the old version is let go, as the server does once no
 * worker can see it.
 *
 *   zone_change ZONEFILE ORIGIN [EDITS [ROUNDS]]
 *
 * Prints one line per round and a summary line starting with "summary". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/apply.h"
#include "db/zone.h"
#include "tern/rr.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void diag_print(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user;
	if (error)
		fprintf(stderr, "%s:%u: %s\n", file, line, msg);
}

/* A name of the zone picked by its place in the node table. */
static const db_node *some_node(const db_zone *z, unsigned long r)
{
	size_t slots = (size_t)1 << (32 - z->shift);
	for (size_t i = 0; i < slots; i++) {
		const db_node *n = z->table[(r + i) % slots];
		for (; n; n = n->hnext)
			if (n->nrrsets && n != z->apex && !(n->flags & (DB_CUT | DB_OCCLUDED)) &&
			    node_rrset(n, TERN_T_A))
				return n;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: zone_change ZONEFILE ORIGIN [EDITS [ROUNDS]]\n");
		return 2;
	}
	unsigned nedits = argc > 3 ? (unsigned)atoi(argv[3]) : 10;
	unsigned rounds = argc > 4 ? (unsigned)atoi(argv[4]) : 20;
	if (nedits < 2)
		nedits = 2;
	uint8_t origin[TERN_NAME_MAX];
	size_t olen;
	char otext[300];
	snprintf(otext, sizeof otext, "%s%s", argv[2], argv[2][strlen(argv[2]) - 1] == '.' ? "" : ".");
	if (tern_name_from_text(otext, strlen(otext), NULL, origin, &olen)) {
		fprintf(stderr, "bad origin\n");
		return 2;
	}
	long rss0 = rss_kib();
	double t0 = now_ms();
	db_diag d = {.fn = diag_print};
	db_zone *z = zone_load(origin, argv[1], &d);
	if (!z)
		return 1;
	double load_ms = now_ms() - t0;
	long zone_kib = rss_kib() - rss0;
	printf("zone %s: %zu names, %zu records, loaded in %.0f ms, %ld KiB\n", argv[1], z->nnodes, z->nrecords,
	       load_ms, zone_kib);

	db_edit *e = calloc(nedits, sizeof *e);
	uint8_t (*owners)[TERN_NAME_MAX] = calloc(nedits, TERN_NAME_MAX);
	uint8_t (*rdata)[512] = calloc(nedits, 512);
	double worst = 0, sum = 0;
	long worst_kib = 0;
	unsigned fast = 0;
	unsigned long seed = 7;
	for (unsigned r = 0; r < rounds; r++) {
		size_t k = 0;
		/* the serial: delete the SOA, add it back with serial + 1 */
		uint16_t slen;
		const uint8_t *soa = rrset_rdata(z->soa->rdata, &slen);
		e[k++] = (db_edit){.op = DB_DEL_RR, .owner = z->origin, .type = TERN_T_SOA, .rdlen = slen, .rdata = soa};
		memcpy(rdata[k], soa, slen);
		tern_put_u32(rdata[k] + slen - 20, z->serial + 1);
		e[k] = (db_edit){.op = DB_ADD_RR, .owner = z->origin, .type = TERN_T_SOA, .ttl = z->soa->ttl,
		                 .rdlen = slen, .rdata = rdata[k]};
		k++;
		/* then addresses changed at existing names and new names */
		while (k < nedits) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			const db_node *n = some_node(z, (unsigned long)(seed >> 33));
			if (k % 2 == 0 && n) {
				memcpy(owners[k], n->name, n->name_len);
				e[k] = (db_edit){.op = DB_DEL_RRSET, .owner = owners[k], .type = TERN_T_A};
				k++;
				if (k == nedits)
					break;
				memcpy(owners[k], n->name, n->name_len);
			} else {
				char text[64];
				snprintf(text, sizeof text, "new%u-%u", r, (unsigned)k);
				size_t l;
				if (tern_name_from_text(text, strlen(text), z->origin, owners[k], &l))
					return 1;
			}
			uint8_t *a = rdata[k];
			a[0] = 198, a[1] = 51, a[2] = (uint8_t)r, a[3] = (uint8_t)k;
			e[k] = (db_edit){.op = DB_ADD_RR, .owner = owners[k], .type = TERN_T_A, .ttl = 300, .rdlen = 4,
			                 .rdata = a};
			k++;
		}
		long before = rss_kib();
		double t1 = now_ms();
		db_apply_stats st;
		db_zone *nz = zone_apply(z, e, k, 0, "bench", &d, &st);
		double ms = now_ms() - t1;
		long added = rss_kib() - before;
		if (!nz)
			return 1;
		printf("round %u: %zu edits, %s, %.2f ms, +%ld KiB (%.1f %% of the zone), serial %u\n", r, k,
		       st.rebuilt ? "rebuilt" : "shared", ms, added, zone_kib ? 100.0 * added / zone_kib : 0.0,
		       nz->serial);
		fast += !st.rebuilt;
		sum += ms;
		if (ms > worst)
			worst = ms;
		if (added > worst_kib)
			worst_kib = added;
		zone_unref(z); /* the old version goes once no reader sees it */
		z = nz;
	}
	printf("summary: %zu names, %u edits per change, %u changes (%u shared, %u rebuilt): mean %.2f ms, "
	       "worst %.2f ms, worst extra memory %ld KiB = %.1f %% of %ld KiB\n",
	       z->nnodes, nedits, rounds, fast, rounds - fast, sum / rounds, worst, worst_kib,
	       zone_kib ? 100.0 * worst_kib / zone_kib : 0.0, zone_kib);
	zone_unref(z);
	free(e);
	free(owners);
	free(rdata);
	return 0;
}
