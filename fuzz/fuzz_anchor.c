/* fuzz_anchor.c: a trust-anchor file (`trust-anchor-file:`, and the
 * default root key file's format) to val_conf_option (src/validate/valconf.c),
 * written to a memfd and read back through /proc/self/fd/N as ternd reads
 * the file; then val_conf_finish.
 *
 * Checks: 0 (taken) or -1 (an error, logged), never anything else; when
 * taken there is at least one anchor; every anchor is a DS or a DNSKEY of
 * at least 5 bytes of RDATA under a lower-case owner, and
 * val_anchor_for finds each anchor's own zone. $INCLUDE is left out (it
 * would read the machine's files). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tern/rr.h"
#include "validate/valconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "$INCLUDE", 8) || memmem(data, size, "$include", 8))
		return 0;
	char path[64];
	int fd = fuzz_memfd(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	val_conf *vc = NULL;
	fuzz_quiet();
	int r = val_conf_option(&vc, "trust-anchor-file", path, "fuzz.conf:1", NULL);
	fuzz_loud();
	close(fd);
	FUZZ_CHECK(r == 0 || r == -1);
	FUZZ_CHECK(vc != NULL);
	if (r == 0)
		FUZZ_CHECK(vc->nanchors > 0);
	for (size_t i = 0; i < vc->nanchors; i++) {
		const val_anchor *a = &vc->anchors[i];
		FUZZ_CHECK(a->type == TERN_T_DS || a->type == TERN_T_DNSKEY);
		FUZZ_CHECK(a->rdlen >= 5 && a->rdata);
		for (size_t k = 0; a->zone[k]; k += a->zone[k] + 1u)
			for (size_t j = 1; j <= a->zone[k]; j++)
				FUZZ_CHECK(!(a->zone[k + j] >= 'A' && a->zone[k + j] <= 'Z'));
		const uint8_t *z = val_anchor_for(vc, a->zone);
		FUZZ_CHECK(z && tern_name_eq(z, a->zone));
	}
	fuzz_quiet();
	int e = val_conf_finish(&vc);
	fuzz_loud();
	FUZZ_CHECK(e >= 0);
	val_conf_free(vc);
	return 0;
}
