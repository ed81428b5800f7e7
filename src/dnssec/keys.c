/* keys.c: a zone's signing key as files (sign.h): found in the key
 * directory, or made with libcrypto and written there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dnssec/keyimpl.h"
#include "lib/encoding.h"
#include "tern/rr.h"

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

/* The DNSKEY RDATA of pkey (flags 257: a key that signs everything,
 * RFC 4034 2.1.1), and its tag. */
static int fill_dnskey(dnssec_key *k)
{
	uint8_t pub[65];
	size_t len = 0;
	k->dnskey[0] = 1;
	k->dnskey[1] = 1; /* 257: zone key, SEP */
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

static dnssec_key *generate(const char *dir, const char *zname, uint8_t alg, db_diag *diag, const char *where)
{
	dnssec_key *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->alg = alg;
	k->pkey = alg == 13 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!k->pkey || fill_dnskey(k)) {
		db_diag_report(diag, true, where, 0, "cannot make a signing key for %s", zname);
		dnssec_key_free(k);
		return NULL;
	}
	if (diag->flags & DB_DIAG_NO_WRITE)
		return k; /* a check: the key is made, not kept */
	char path[4096 + TERN_NAME_TEXT_MAX + 32];
	snprintf(path, sizeof path, "%sK%s+%03u+%05u.pem", dir, zname, alg, k->tag);
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
		dnssec_key_free(k);
		return NULL;
	}
	/* the public half as a DNSKEY record, for dnssec-dsfromkey */
	char b64[128], line[TERN_NAME_TEXT_MAX + 160], kpath[4096 + TERN_NAME_TEXT_MAX + 32];
	b64[tern_b64_encode(k->dnskey + 4, k->dnskey_len - 4, b64)] = 0;
	snprintf(line, sizeof line, "%s. IN DNSKEY 257 3 %u %s\n", zname, alg, b64);
	snprintf(kpath, sizeof kpath, "%sK%s+%03u+%05u.key", dir, zname, alg, k->tag);
	if (write_file(kpath, line, 0644))
		db_diag_report(diag, false, kpath, 0, "cannot write the public key: %s", strerror(errno));
	return k;
}

static dnssec_key *read_key(const char *path, uint8_t alg, db_diag *diag)
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
	if (!k || !k->pkey || !alg_matches(k) || fill_dnskey(k)) {
		db_diag_report(diag, true, path, 0, "not a usable %s private key (PKCS#8 PEM)",
		               alg == 13 ? "ECDSA P-256" : "Ed25519");
		dnssec_key_free(k);
		return NULL;
	}
	return k;
}

dnssec_key *dnssec_key_get(const uint8_t *origin, const dnssec_policy *p, const char *zone_file, db_diag *diag)
{
	char zname[TERN_NAME_TEXT_MAX], dir[4096];
	tern_name_to_text(origin, zname, sizeof zname);
	size_t zl = strlen(zname);
	if (zl > 1 && zname[zl - 1] == '.')
		zname[--zl] = 0;
	if (p->keydir)
		snprintf(dir, sizeof dir, "%s/", p->keydir);
	else
		dir_of(zone_file, dir, sizeof dir);
	char prefix[TERN_NAME_TEXT_MAX + 16];
	snprintf(prefix, sizeof prefix, "K%s+%03u+", zname, p->alg);
	DIR *d = opendir(*dir ? dir : ".");
	if (!d) {
		db_diag_report(diag, true, *dir ? dir : ".", 0, "cannot open the key directory: %s", strerror(errno));
		return NULL;
	}
	/* the first key file in name order, so the choice does not depend on
	 * the directory's order */
	char best[1024] = "";
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (!strncasecmp(e->d_name, prefix, strlen(prefix)) && n > 4 && !strcmp(e->d_name + n - 4, ".pem") &&
		    (!*best || strcmp(e->d_name, best) < 0) && n < sizeof best)
			memcpy(best, e->d_name, n + 1);
	}
	closedir(d);
	if (!*best)
		return generate(dir, zname, p->alg, diag, zone_file);
	char path[4096 + 1024];
	snprintf(path, sizeof path, "%s%s", dir, best);
	return read_key(path, p->alg, diag);
}

void dnssec_key_free(dnssec_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
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
	char path[4096 + TERN_NAME_TEXT_MAX + 16], tmp[sizeof path + 8];
	serial_path(origin, p, zone_file, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", serial) < 0 || fclose(f) || rename(tmp, path)) {
		if (f)
			unlink(tmp);
		db_diag_report(diag, false, path, 0, "cannot keep the serial: %s (a restart may serve an older one)",
		               strerror(errno));
	}
}
