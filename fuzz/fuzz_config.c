/* fuzz_config.c: ternd's configuration-file parser.
 *
 * config_load takes a path, so the input is written to a file in a directory
 * of its own (fuzz_private_file): a file the configuration names by a
 * relative path (trust-anchor-file: 0) is looked for there. It used to be a
 * memfd read through /proc/self/fd/N, where "0" was the harness's stdin:
 * with stdin an open pipe (as under CI) the read never ended. Inputs naming
 * /dev, /proc, /sys, /run or ".." are skipped for the same reason. Whatever
 * loads must be usable: listen addresses and zones are well-formed, the
 * ACL answers for a few addresses, and config_free releases it all (the
 * leak checker sees the rest). The parser logs every error to stderr; that
 * is quietened (sanitizer reports still get through). Inputs with
 * "include" are skipped: they would read the machine's files. */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "server/config.h"

static void check_acl(const config *c)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	static const char *const v4[] = {"127.0.0.1", "10.1.2.3", "192.0.2.1", "0.0.0.0", "255.255.255.255"};
	static const char *const v6[] = {"::1", "2001:db8::1", "::ffff:10.0.0.1", "fe80::1", "::"};
	for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
		FUZZ_CHECK(inet_pton(AF_INET, v4[i], &a4.sin_addr) == 1);
		(void)config_allowed(c, (const struct sockaddr *)&a4);
	}
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
		FUZZ_CHECK(inet_pton(AF_INET6, v6[i], &a6.sin6_addr) == 1);
		(void)config_allowed(c, (const struct sockaddr *)&a6);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* include: would read the machine's files (tests/system/test_config_include.py covers it) */
	if (memmem(data, size, "include", 7))
		return 0;
	if (fuzz_names_special_path(data, size))
		return 0;
	char path[PATH_MAX + 16];
	if (fuzz_private_file(data, size, path, sizeof path) < 0)
		return 0;

	config c;
	config_init(&c);
	fuzz_quiet();
	int errors = config_load(&c, path);
	fuzz_loud();
	FUZZ_CHECK(errors >= 0);

	for (size_t i = 0; i < c.nlisten; i++) {
		int fam = c.listen[i].addr.ss_family;
		FUZZ_CHECK(fam == AF_INET || fam == AF_INET6);
		FUZZ_CHECK(memchr(c.listen[i].text, '\0', sizeof c.listen[i].text) != NULL);
	}
	for (size_t i = 0; i < c.nzones; i++) {
		FUZZ_CHECK(tern_name_len(c.zones[i].origin) <= TERN_NAME_MAX);
		FUZZ_CHECK(c.zones[i].file != NULL && c.zones[i].where != NULL);
	}
	for (size_t i = 0; i < c.nforward; i++)
		FUZZ_CHECK(tern_name_len(c.forward[i].zone) <= TERN_NAME_MAX);
	for (size_t i = 0; i < c.nacl; i++) {
		const tern_prefix *p = &c.acl[i].pfx;
		FUZZ_CHECK(p->bits <= (p->v6 ? 128 : 32));
	}
	FUZZ_CHECK(c.udp_max >= 512 && c.udp_max <= 4096);
	check_acl(&c);
	config_free(&c);
	return 0;
}
