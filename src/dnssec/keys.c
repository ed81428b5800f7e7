/* keys.c: a zone's signing keys as files (sign.h): each key's private
 * half (PKCS#8 PEM), its DNSKEY record and its timing (keystate.h) in the
 * key directory; keys made with libcrypto when the rollover state machine
 * (roll.h) asks for one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "dnssec/keyimpl.h"
#include "dnssec/roll.h"
#include "lib/encoding.h"
#include "tern/rr.h"

/* a key file's path: the directory, "K", the zone, "+alg+tag.state" */
#define KEY_PATH_MAX (sizeof(((dnssec_keyset *)0)->dir) + TERN_NAME_TEXT_MAX + 40)

static void dnssec_key_free(dnssec_key *k);

uint8_t dnssec_alg_from_text(const char *s)
{
	if (!strcasecmp(s, "ecdsap256sha256") || !strcmp(s, "13"))
		return 13;
	if (!strcasecmp(s, "ed25519") || !strcmp(s, "15"))
		return 15;
	return 0;
}

/* RFC 4034 Appendix B */
static uint16_t key_tag(const uint8_t *rd, size_t len)
{
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

/* The DNSKEY RDATA of pkey, and its tag: RFC 4034 2.1.1, flags 257 (zone
 * key, SEP) for a KSK or CSK, 256 (zone key) for a ZSK. */
static int fill_dnskey(dnssec_key *k, uint8_t role)
{
	uint8_t pub[65];
	size_t len = 0;
	k->dnskey[0] = 1;
	k->dnskey[1] = role == DNSSEC_ZSK ? 0 : 1;
	k->dnskey[2] = 3;
	k->dnskey[3] = k->alg;
	if (k->alg == 13) {
		/* RFC 6605 4: X | Y, without the uncompressed-point prefix */
		if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len) != 1 ||
		    len != 65 || pub[0] != 4)
			return -1;
		memcpy(k->dnskey + 4, pub + 1, 64);
		k->dnskey_len = 68;
	} else {
		len = 32;
		if (EVP_PKEY_get_raw_public_key(k->pkey, k->dnskey + 4, &len) != 1 || len != 32)
			return -1;
		k->dnskey_len = 36;
	}
	k->tag = key_tag(k->dnskey, k->dnskey_len);
	return 0;
}

static bool alg_matches(const dnssec_key *k)
{
	return k->alg == 13 ? EVP_PKEY_is_a(k->pkey, "EC") && EVP_PKEY_get_bits(k->pkey) == 256
	                    : EVP_PKEY_is_a(k->pkey, "ED25519");
}

/* "dir/" or "" for the directory of path. */
static void dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	snprintf(out, cap, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* The key directory ("dir/" or "") and the zone's name without its final
 * dot, as the file names have them. */
static void zone_dir(const uint8_t *origin, const dnssec_policy *p, const char *zone_file, char *dir, size_t dcap,
                     char *zname, size_t zcap)
{
	tern_name_to_text(origin, zname, zcap);
	size_t zl = strlen(zname);
	if (zl > 1 && zname[zl - 1] == '.')
		zname[zl - 1] = 0;
	if (p->keydir)
		snprintf(dir, dcap, "%s/", p->keydir);
	else
		dir_of(zone_file, dir, dcap);
}

static void key_path(const dnssec_keyset *ks, uint16_t tag, const char *ext, char *out, size_t cap)
{
	snprintf(out, cap, "%sK%s+%03u+%05u.%s", ks->dir, ks->zname, ks->alg, tag, ext);
}

static int keyset_add(dnssec_keyset *ks, dnssec_key *k)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 4;
		dnssec_key **v = realloc(ks->k, cap * sizeof *v);
		if (!v)
			return -1;
		ks->k = v;
		ks->cap = cap;
	}
	ks->k[ks->n++] = k;
	return 0;
}

int dnssec_file_replace(const char *path, const char *text, size_t len)
{
	char tmp[4096 + TERN_NAME_TEXT_MAX + 32];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	bool ok = f && fwrite(text, 1, len, f) == len;
	if (f && fclose(f))
		ok = false;
	if (!ok || rename(tmp, path)) {
		int e = errno;
		if (f)
			unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* A state file, replaced whole. */
static int state_write(const char *path, const dnssec_keystate *st)
{
	char text[DNSSEC_KEYSTATE_MAX];
	size_t len = dnssec_keystate_format(st, text, sizeof text);
	return len ? dnssec_file_replace(path, text, len) : -1;
}

static bool tag_used(const dnssec_keyset *ks, uint16_t tag)
{
	for (size_t i = 0; i < ks->n; i++)
		if (ks->k[i]->tag == tag)
			return true;
	return false;
}

/* A new key of role for the set, with its files (state first, so that a
 * key file never lacks its state). */
static dnssec_key *generate(dnssec_keyset *ks, uint8_t role, int64_t now, db_diag *diag, const char *where)
{
	dnssec_key *k = NULL;
	/* a tag the zone has already would make two keys one file */
	for (int tries = 0; tries < 8 && !k; tries++) {
		k = calloc(1, sizeof *k);
		if (!k)
			break;
		k->alg = ks->alg;
		k->pkey = k->alg == 13 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		                       : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		if (!k->pkey || fill_dnskey(k, role) || tag_used(ks, k->tag)) {
			dnssec_key_free(k);
			k = NULL;
		}
	}
	if (!k) {
		db_diag_report(diag, true, where, 0, "cannot make a signing key for %s", ks->zname);
		return NULL;
	}
	k->st = (dnssec_keystate){.role = role, .alg = k->alg, .tag = k->tag, .created = now};
	if (diag->flags & DB_DIAG_NO_WRITE)
		return k; /* a check: the key is made, not kept */
	char path[KEY_PATH_MAX], spath[KEY_PATH_MAX];
	key_path(ks, k->tag, "state", spath, sizeof spath);
	if (state_write(spath, &k->st)) {
		db_diag_report(diag, true, spath, 0, "cannot write the key's state: %s", strerror(errno));
		dnssec_key_free(k);
		return NULL;
	}
	key_path(ks, k->tag, "pem", path, sizeof path);
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long plen = mem && PEM_write_bio_PrivateKey(mem, k->pkey, NULL, NULL, 0, NULL, NULL) ? BIO_get_mem_data(mem, &pem)
	                                                                                     : 0;
	char *text = plen > 0 ? strndup(pem, (size_t)plen) : NULL;
	BIO_free(mem);
	int rc = text ? write_file(path, text, 0600) : -1;
	free(text);
	if (rc) {
		db_diag_report(diag, true, path, 0, "cannot write the signing key: %s", strerror(errno));
		unlink(spath);
		dnssec_key_free(k);
		return NULL;
	}
	/* the public half as a DNSKEY record, for dnssec-dsfromkey */
	char b64[128], line[TERN_NAME_TEXT_MAX + 160];
	b64[tern_b64_encode(k->dnskey + 4, k->dnskey_len - 4, b64)] = 0;
	snprintf(line, sizeof line, "%s. IN DNSKEY %u 3 %u %s\n", ks->zname, role == DNSSEC_ZSK ? 256u : 257u, k->alg,
	         b64);
	key_path(ks, k->tag, "key", path, sizeof path);
	if (write_file(path, line, 0644))
		db_diag_report(diag, false, path, 0, "cannot write the public key: %s", strerror(errno));
	return k;
}

static dnssec_key *read_key(const char *path, uint8_t alg, uint8_t role, db_diag *diag)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		db_diag_report(diag, true, path, 0, "cannot read the signing key: %s", strerror(errno));
		return NULL;
	}
	dnssec_key *k = calloc(1, sizeof *k);
	if (k) {
		k->alg = alg;
		k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	}
	fclose(f);
	if (!k || !k->pkey || !alg_matches(k) || fill_dnskey(k, role)) {
		db_diag_report(diag, true, path, 0, "not a usable %s private key (PKCS#8 PEM)",
		               alg == 13 ? "ECDSA P-256" : "Ed25519");
		dnssec_key_free(k);
		return NULL;
	}
	return k;
}

static int read_state(const char *path, dnssec_keystate *st, db_diag *diag)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		db_diag_report(diag, true, path, 0, "cannot read the key's state: %s", strerror(errno));
		return -1;
	}
	char text[DNSSEC_KEYSTATE_MAX + 1], err[160];
	size_t len = fread(text, 1, sizeof text, f);
	bool bad = ferror(f);
	fclose(f);
	unsigned line = 0;
	if (bad) {
		db_diag_report(diag, true, path, 0, "cannot read the key's state: %s", strerror(errno));
		return -1;
	}
	if (dnssec_keystate_parse(text, len, st, &line, err, sizeof err)) {
		db_diag_report(diag, true, path, line, "%s", err);
		return -1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stems ("K<zone>+<alg>+<tag>") of the directory's files with ext. */
typedef struct names {
	char **v;
	size_t n, cap;
} names;

static int names_add(names *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strndup(s, len)))
		return -1;
	l->n++;
	return 0;
}

static void names_free(names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static bool names_has(const names *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* The tag a stem names, -1 when it names none. */
static long stem_tag(const char *stem, size_t prefix)
{
	const char *t = stem + prefix;
	size_t n = strlen(t);
	if (n < 1 || n > 5 || strspn(t, "0123456789") != n)
		return -1;
	long v = strtol(t, NULL, 10);
	return v <= 65535 ? v : -1;
}

dnssec_keyset *dnssec_keys_load(const uint8_t *origin, const dnssec_policy *p, const char *zone_file, db_diag *diag)
{
	dnssec_keyset *ks = calloc(1, sizeof *ks);
	if (!ks) {
		db_diag_report(diag, true, zone_file, 0, "out of memory");
		return NULL;
	}
	ks->alg = p->alg;
	ks->cds = -1;
	zone_dir(origin, p, zone_file, ks->dir, sizeof ks->dir, ks->zname, sizeof ks->zname);
	char prefix[TERN_NAME_TEXT_MAX + 16];
	int pl = snprintf(prefix, sizeof prefix, "K%s+%03u+", ks->zname, p->alg);
	const char *dname = *ks->dir ? ks->dir : ".";
	DIR *d = opendir(dname);
	if (!d) {
		db_diag_report(diag, true, dname, 0, "cannot open the key directory: %s", strerror(errno));
		free(ks);
		return NULL;
	}
	names pems = {0}, states = {0};
	bool oom = false;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (strncasecmp(e->d_name, prefix, (size_t)pl) || n > 255)
			continue;
		if (n > 4 && !strcmp(e->d_name + n - 4, ".pem"))
			oom |= names_add(&pems, e->d_name, n - 4) != 0;
		else if (n > 6 && !strcmp(e->d_name + n - 6, ".state"))
			oom |= names_add(&states, e->d_name, n - 6) != 0;
	}
	closedir(d);
	if (pems.n)
		qsort(pems.v, pems.n, sizeof *pems.v, cmp_str);
	if (states.n)
		qsort(states.v, states.n, sizeof *states.v, cmp_str);
	char path[KEY_PATH_MAX];
	int rc = oom ? -1 : 0;
	if (oom)
		db_diag_report(diag, true, dname, 0, "out of memory");
	if (!rc && !states.n && pems.n) {
		/* a key directory from before key states: its first key (in name
		 * order, as ternd always took it) is the zone's CSK, in use and
		 * (it had to be, for the zone to validate) at the parent */
		snprintf(path, sizeof path, "%s%s.pem", ks->dir, pems.v[0]);
		dnssec_key *k = read_key(path, p->alg, DNSSEC_CSK, diag);
		struct stat sb;
		int64_t t = !stat(path, &sb) && sb.st_mtime > 0 ? (int64_t)sb.st_mtime : (int64_t)time(NULL);
		if (k) {
			k->st = (dnssec_keystate){.role = DNSSEC_CSK, .alg = k->alg, .tag = k->tag, .created = t,
			                          .publish = t, .ready = t, .active = t, .submitted = t};
			k->dirty = true;
			/* its files named by its tag, as every key's (ternd named them
			 * so; a file put there by hand may not be) */
			char want[sizeof path];
			key_path(ks, k->tag, "pem", want, sizeof want);
			if (strcmp(want, path) && !(diag->flags & DB_DIAG_NO_WRITE) && rename(path, want)) {
				db_diag_report(diag, true, path, 0, "cannot rename it to %s (its key tag): %s", want,
				               strerror(errno));
				dnssec_key_free(k);
				k = NULL;
			}
		}
		rc = !k || keyset_add(ks, k) ? -1 : 0;
		if (rc && k)
			dnssec_key_free(k);
	}
	for (size_t i = 0; !rc && states.n && i < pems.n; i++)
		if (!names_has(&states, pems.v[i])) {
			snprintf(path, sizeof path, "%s%s.state", ks->dir, pems.v[i]);
			db_diag_report(diag, true, path, 0, "missing: every key needs its state file");
			rc = -1;
		}
	for (size_t i = 0; !rc && i < states.n; i++) {
		long tag = stem_tag(states.v[i], (size_t)pl);
		snprintf(path, sizeof path, "%s%s.state", ks->dir, states.v[i]);
		dnssec_keystate st;
		if (read_state(path, &st, diag)) {
			rc = -1;
			break;
		}
		if (tag < 0 || st.tag != tag || st.alg != p->alg) {
			db_diag_report(diag, true, path, 0, "the state is of key %u (algorithm %u), not the one its name says",
			               st.tag, st.alg);
			rc = -1;
			break;
		}
		snprintf(path, sizeof path, "%s%s.pem", ks->dir, states.v[i]);
		if (!names_has(&pems, states.v[i])) {
			db_diag_report(diag, true, path, 0, "missing: the key of %s%s.state", ks->dir, states.v[i]);
			rc = -1;
			break;
		}
		dnssec_key *k = read_key(path, p->alg, st.role, diag);
		if (k && k->tag != st.tag) {
			db_diag_report(diag, true, path, 0, "a key of tag %u as a %s, not the %u its name says", k->tag,
			               dnssec_role_name(st.role), st.tag);
			dnssec_key_free(k);
			k = NULL;
		}
		if (!k || keyset_add(ks, k)) {
			dnssec_key_free(k);
			rc = -1;
			break;
		}
		k->st = st;
	}
	names_free(&pems);
	names_free(&states);
	if (rc) {
		dnssec_keys_free(ks);
		return NULL;
	}
	return ks;
}

static void dnssec_key_free(dnssec_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

void dnssec_keys_free(dnssec_keyset *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		dnssec_key_free(ks->k[i]);
	free(ks->k);
	free(ks);
}

/* The zone's TTLs the timing needs: its DNSKEY RRset's (the SOA's when it
 * has none yet: what the signing gives it) and the largest of all, the
 * negative TTL of its NSEC/NSEC3 included. That one costs a walk over the
 * zone: only while a ZSK is pre-published or retired (the one time it
 * counts), or for a description (ks NULL). */
static roll_policy policy_of(const dnssec_policy *p, const db_zone *z, const dnssec_keyset *ks)
{
	roll_policy rp = {.single_type = p->single_type, .zsk_lifetime = p->zsk_lifetime,
	                  .ksk_lifetime = p->ksk_lifetime, .propagation_delay = p->propagation_delay,
	                  .parent_ds_ttl = p->parent_ds_ttl};
	if (!z || !zone_has_data(z))
		return rp;
	const db_rrset *dk = node_rrset(z->apex, TERN_T_DNSKEY);
	rp.dnskey_ttl = dk ? dk->ttl : z->soa ? z->soa->ttl : 0;
	bool need = !ks;
	for (size_t i = 0; ks && i < ks->n; i++) {
		const dnssec_keystate *st = &ks->k[i]->st;
		need |= st->role == DNSSEC_ZSK && !st->remove && st->publish && (!st->active || st->retire);
	}
	uint32_t max = z->neg_ttl;
	if (!need) {
		rp.max_ttl = max;
		return rp;
	}
	size_t slots = (size_t)1 << (32 - z->shift);
	for (size_t b = 0; b < slots; b++)
		for (const db_node *x = z->table[b]; x; x = x->hnext)
			for (unsigned i = 0; i < x->nrrsets; i++)
				if (x->rrsets[i].ttl > max)
					max = x->rrsets[i].ttl;
	rp.max_ttl = max;
	return rp;
}

static dnssec_keystate **states_of(dnssec_keyset *ks)
{
	dnssec_keystate **v = malloc((ks->n ? ks->n : 1) * sizeof *v);
	for (size_t i = 0; v && i < ks->n; i++)
		v[i] = &ks->k[i]->st;
	return v;
}

int dnssec_keys_roll(dnssec_keyset *ks, const dnssec_policy *p, const db_zone *z, int64_t now, bool *changed,
                     db_diag *diag)
{
	roll_policy rp = policy_of(p, z, ks);
	const char *where = z && z->file ? z->file : ks->zname;
	for (int round = 0; round < 8; round++) {
		dnssec_keystate **v = states_of(ks), *before = malloc((ks->n ? ks->n : 1) * sizeof *before);
		if (!v || !before) {
			free(v);
			free(before);
			db_diag_report(diag, true, where, 0, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < ks->n; i++)
			before[i] = ks->k[i]->st;
		int role = roll_advance(v, ks->n, &rp, now, changed);
		for (size_t i = 0; i < ks->n; i++)
			if (memcmp(&before[i], &ks->k[i]->st, sizeof before[i]))
				ks->k[i]->dirty = true;
		free(v);
		free(before);
		if (!role)
			break;
		dnssec_key *k = generate(ks, (uint8_t)role, now, diag, where);
		if (!k || keyset_add(ks, k)) {
			dnssec_key_free(k);
			return -1;
		}
		*changed = true;
	}
	bool keys = false, data = false;
	for (size_t i = 0; i < ks->n; i++) {
		dnssec_key *k = ks->k[i];
		k->publish = roll_published(&k->st);
		k->sign_keys = roll_signs_keys(&k->st);
		k->sign_data = roll_signs_data(&k->st);
		keys |= k->sign_keys;
		data |= k->sign_data;
	}
	if (!keys || !data) {
		db_diag_report(diag, true, where, 0, "no key signs the %s (the key states in %s say so)",
		               keys ? "zone's data" : "DNSKEY RRset", *ks->dir ? ks->dir : ".");
		return -1;
	}
	dnssec_keystate **v = states_of(ks);
	ks->cds = !v || p->cds == DNSSEC_CDS_OFF ? -1 : roll_cds_key(v, ks->n, p->cds == DNSSEC_CDS_ROLLOVER);
	free(v);
	return 0;
}

void dnssec_keys_save(dnssec_keyset *ks, db_diag *diag)
{
	if (diag->flags & DB_DIAG_NO_WRITE)
		return;
	for (size_t i = 0; i < ks->n; i++) {
		dnssec_key *k = ks->k[i];
		if (!k->dirty)
			continue;
		char path[KEY_PATH_MAX];
		key_path(ks, k->tag, "state", path, sizeof path);
		if (state_write(path, &k->st))
			db_diag_report(diag, false, path, 0,
			               "cannot keep the key's state: %s (after a restart the roll goes on from the old one)",
			               strerror(errno));
		else
			k->dirty = false;
	}
}

int64_t dnssec_keys_next(dnssec_keyset *ks, const dnssec_policy *p, const db_zone *z, int64_t now)
{
	roll_policy rp = policy_of(p, z, ks);
	dnssec_keystate **v = states_of(ks);
	int64_t t = v ? roll_next(v, ks->n, &rp, now) : now + 60;
	free(v);
	return t;
}

size_t dnssec_keys_submitted(dnssec_keyset *ks, int64_t now)
{
	dnssec_keystate **v = states_of(ks);
	size_t c = 0;
	for (size_t i = 0; v && i < ks->n; i++) {
		int64_t was = ks->k[i]->st.submitted;
		c += roll_submitted(v + i, 1, now);
		ks->k[i]->dirty |= ks->k[i]->st.submitted != was;
	}
	free(v);
	return c;
}

bool dnssec_keys_awaiting_ds(const dnssec_keyset *ks, const uint8_t **dnskey, size_t *len, uint16_t *tag)
{
	dnssec_keystate **v = states_of((dnssec_keyset *)ks);
	int i = v ? roll_cds_key(v, ks->n, true) : -1;
	free(v);
	if (i < 0)
		return false;
	*dnskey = ks->k[i]->dnskey;
	*len = ks->k[i]->dnskey_len;
	*tag = ks->k[i]->tag;
	return true;
}

size_t dnssec_keys_count(const dnssec_keyset *ks)
{
	return ks->n;
}

void dnssec_keys_info(dnssec_keyset *ks, size_t i, const dnssec_policy *p, const db_zone *z, int64_t now,
                      dnssec_key_info *out)
{
	roll_policy rp = policy_of(p, z, NULL);
	dnssec_keystate **v = states_of(ks);
	out->role = dnssec_role_name(ks->k[i]->st.role);
	out->tag = ks->k[i]->tag;
	if (v)
		roll_describe(v, ks->n, i, &rp, now, out->state, sizeof out->state, out->next, sizeof out->next);
	else
		snprintf(out->state, sizeof out->state, "?");
	free(v);
}
/* "<dir>/<zone>.serial" */
static void serial_path(const uint8_t *origin, const dnssec_policy *p, const char *zone_file, char *out, size_t cap)
{
	char zname[TERN_NAME_TEXT_MAX], dir[4096];
	tern_name_to_text(origin, zname, sizeof zname);
	size_t zl = strlen(zname);
	if (zl > 1 && zname[zl - 1] == '.')
		zname[zl - 1] = 0;
	if (p->keydir)
		snprintf(dir, sizeof dir, "%s/", p->keydir);
	else
		dir_of(zone_file, dir, sizeof dir);
	snprintf(out, cap, "%s%s.serial", dir, zname);
}

/* RFC 1982: a comes after b */
static bool serial_after(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) > 0;
}

uint32_t dnssec_serial_next(const uint8_t *origin, const dnssec_policy *p, const char *zone_file,
                            uint32_t file_serial, uint32_t served)
{
	char path[4096 + TERN_NAME_TEXT_MAX + 16];
	serial_path(origin, p, zone_file, path, sizeof path);
	uint32_t serial = file_serial;
	unsigned long last = 0;
	FILE *f = fopen(path, "r");
	bool have = f && fscanf(f, "%lu", &last) == 1 && last <= 0xffffffffUL;
	if (f)
		fclose(f);
	if (have && !serial_after(serial, (uint32_t)last))
		serial = (uint32_t)last + 1;
	if (served && !serial_after(serial, served))
		serial = served + 1;
	return serial;
}

void dnssec_serial_save(const uint8_t *origin, const dnssec_policy *p, const char *zone_file, uint32_t serial,
                        db_diag *diag)
{
	if (diag->flags & DB_DIAG_NO_WRITE)
		return;
	char path[4096 + TERN_NAME_TEXT_MAX + 16], text[16];
	serial_path(origin, p, zone_file, path, sizeof path);
	int n = snprintf(text, sizeof text, "%u\n", serial);
	if (dnssec_file_replace(path, text, (size_t)n))
		db_diag_report(diag, false, path, 0, "cannot keep the serial: %s (a restart may serve an older one)",
		               strerror(errno));
}
