/* journal.c: see journal.h.
 *
 * The journal file (all numbers big-endian):
 *     "TERNJNL1"                                   8 bytes
 *     per difference, oldest first:
 *         from, to, ndel, nadd, del_len, add_len   6 x u32
 *         del_len bytes of removed RRs, then add_len bytes of added RRs
 *           (uncompressed wire RRs, each run starting with its SOA)
 * It is rewritten whole (a temporary file renamed over it) each time the
 * journal changes, so a crash leaves the old file or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/apply.h"
#include "db/journal.h"
#include "tern/error.h"
#include "tern/msg.h"
#include "tern/rr.h"
#include "tern/wire.h"

static const char MAGIC[8] = "TERNJNL1";

db_journal *db_journal_add(const db_journal *old, db_diff *d, size_t max_bytes)
{
	if (old && old->n && old->d[old->n - 1]->to != d->from)
		old = NULL; /* not a continuation: start again */
	size_t n = old ? old->n : 0, first = 0, bytes = (old ? old->bytes : 0) + db_diff_size(d);
	while (first < n && bytes > max_bytes)
		bytes -= db_diff_size(old->d[first++]);
	bool keep_d = bytes <= max_bytes;
	size_t count = n - first + (keep_d ? 1 : 0);
	db_journal *j = malloc(sizeof *j + count * sizeof j->d[0]);
	if (!j) {
		db_diff_unref(d);
		return NULL;
	}
	atomic_init(&j->refs, 1);
	j->n = 0;
	j->bytes = 0;
	for (size_t i = first; keep_d && i < n; i++) {
		atomic_fetch_add_explicit(&old->d[i]->refs, 1, memory_order_relaxed);
		j->d[j->n++] = old->d[i];
		j->bytes += db_diff_size(old->d[i]);
	}
	if (keep_d) {
		j->d[j->n++] = d;
		j->bytes += db_diff_size(d);
	} else {
		db_diff_unref(d);
	}
	return j;
}

void db_journal_unref(db_journal *j)
{
	if (!j || atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < j->n; i++)
		db_diff_unref(j->d[i]);
	free(j);
}

int db_journal_find(const db_journal *j, uint32_t serial)
{
	for (size_t i = 0; j && i < j->n; i++)
		if (j->d[i]->from == serial)
			return (int)i;
	return -1;
}

/* ---- the file ---- */

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = write(fd, b, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int db_journal_write(const db_journal *j, const char *path)
{
	if (!j || !j->n)
		return unlink(path) && errno != ENOENT ? -errno : 0;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -errno : write_all(fd, MAGIC, sizeof MAGIC);
	for (size_t i = 0; !rc && i < j->n; i++) {
		const db_diff *d = j->d[i];
		uint8_t h[24];
		tern_put_u32(h, d->from);
		tern_put_u32(h + 4, d->to);
		tern_put_u32(h + 8, d->ndel);
		tern_put_u32(h + 12, d->nadd);
		tern_put_u32(h + 16, (uint32_t)d->del_len);
		tern_put_u32(h + 20, (uint32_t)d->add_len);
		rc = write_all(fd, h, sizeof h);
		if (!rc)
			rc = write_all(fd, d->data, d->del_len + d->add_len);
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (fd >= 0 && close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc && fd >= 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Walks one run of n uncompressed RRs filling exactly len bytes; the first
 * must be an SOA with this serial, and each RDATA must be its type's
 * format, uncompressed, as a message would carry it (a journal read back
 * is applied to a zone: xfr_zone_replay). scratch: 65535 bytes. Returns 0
 * or TERN_EMALFORMED. */
static int check_run(const uint8_t *p, size_t len, uint32_t n, uint32_t serial, uint8_t *scratch)
{
	tern_rd r;
	tern_rd_init(&r, p, len);
	if (!n)
		return TERN_EMALFORMED;
	for (uint32_t i = 0; i < n; i++) {
		size_t nlen = 0;
		for (;;) { /* an uncompressed name: labels <= 63, <= 255 bytes */
			uint8_t l = tern_rd_u8(&r);
			if (r.err || l > 63 || (nlen += 1u + l) > 255)
				return TERN_EMALFORMED;
			if (!l)
				break;
			tern_rd_skip(&r, l);
		}
		uint16_t type = tern_rd_u16(&r);
		tern_rd_skip(&r, 6); /* class, TTL */
		uint16_t rdlen = tern_rd_u16(&r);
		if (r.err || rdlen > tern_rd_left(&r))
			return TERN_EMALFORMED;
		tern_rd c = r; /* the RDATA checked as its type (names in it too) */
		size_t outlen = 0;
		if (tern_rdata_unpack(&c, type, rdlen, scratch, 65535, &outlen) || outlen != rdlen ||
		    memcmp(scratch, r.p + r.pos, rdlen))
			return TERN_EMALFORMED;
		const uint8_t *rd = tern_rd_take(&r, rdlen);
		if (r.err)
			return TERN_EMALFORMED;
		if (i == 0 && (type != TERN_T_SOA || rdlen < 22 || tern_get_u32(rd + rdlen - 20) != serial))
			return TERN_EMALFORMED;
	}
	return tern_rd_left(&r) ? TERN_EMALFORMED : 0;
}

static size_t run_edits(const uint8_t *p, size_t len, uint32_t n, bool add, struct db_edit *e)
{
	tern_rd r;
	tern_rd_init(&r, p, len);
	size_t k = 0;
	for (uint32_t i = 0; i < n && !r.err; i++) {
		const uint8_t *owner = r.p + r.pos;
		for (uint8_t l; (l = tern_rd_u8(&r)) && !r.err;)
			tern_rd_skip(&r, l);
		uint16_t type = tern_rd_u16(&r);
		tern_rd_skip(&r, 2); /* class */
		uint32_t ttl = tern_rd_u32(&r);
		uint16_t rdlen = tern_rd_u16(&r);
		const uint8_t *rd = tern_rd_take(&r, rdlen);
		if (r.err)
			break;
		db_edit_op op = add ? DB_ADD_RR : i == 0 ? DB_DEL_RRSET : DB_DEL_RR;
		e[k++] = (db_edit){.op = op, .owner = owner, .type = type, .rdlen = rdlen, .ttl = ttl, .rdata = rd};
	}
	return k;
}

size_t db_diff_edits(const db_diff *d, struct db_edit *e)
{
	size_t k = run_edits(d->del, d->del_len, d->ndel, false, e);
	return k + run_edits(d->add, d->add_len, d->nadd, true, e + k);
}

int db_journal_parse(const uint8_t *buf, size_t len, db_journal **out)
{
	*out = NULL;
	if (len < sizeof MAGIC || memcmp(buf, MAGIC, sizeof MAGIC))
		return TERN_EMALFORMED;
	tern_rd r;
	tern_rd_init(&r, buf + sizeof MAGIC, len - sizeof MAGIC);
	db_journal *j = NULL;
	uint8_t *scratch = malloc(65535);
	if (!scratch)
		return -ENOMEM;
	while (tern_rd_left(&r)) {
		uint32_t from = tern_rd_u32(&r), to = tern_rd_u32(&r), ndel = tern_rd_u32(&r), nadd = tern_rd_u32(&r);
		uint32_t dl = tern_rd_u32(&r), al = tern_rd_u32(&r);
		if (r.err || dl > tern_rd_left(&r) || al > tern_rd_left(&r) - dl)
			goto bad;
		const uint8_t *del = tern_rd_take(&r, dl), *add = tern_rd_take(&r, al);
		if (check_run(del, dl, ndel, from, scratch) || check_run(add, al, nadd, to, scratch) ||
		    !db_serial_lt(from, to))
			goto bad;
		if (j && j->d[j->n - 1]->to != from)
			goto bad;
		db_diff *d = db_diff_from_runs(from, to, del, dl, ndel, add, al, nadd);
		db_journal *nj = d ? db_journal_add(j, d, (size_t)-1) : NULL;
		db_journal_unref(j);
		j = nj;
		if (!j) {
			free(scratch);
			return -ENOMEM;
		}
	}
	free(scratch);
	*out = j;
	return 0;
bad:
	free(scratch);
	db_journal_unref(j);
	return TERN_EMALFORMED;
}

int db_journal_read(const char *path, db_journal **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(fd, &st) || st.st_size < 0 || (uint64_t)st.st_size > (1ull << 34)) {
		close(fd);
		return TERN_EMALFORMED;
	}
	size_t len = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	int rc = got == len ? db_journal_parse(buf, len, out) : TERN_EMALFORMED;
	free(buf);
	return rc;
}
