/* fuzz_ctl.c: the control socket's request parser (src/ctl/proto.c).
 *
 * The input is one request line as ternd would read it (without the
 * newline; the parser writes one byte past it, so the copy has room). What
 * must hold: on success the command is known, the argument count is within
 * CTL_ARGS_MAX, every argument is a non-empty word of printable ASCII
 * inside the buffer, --reset only with stats; on failure a message. */
#include <string.h>

#include "ctl/proto.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CTL_LINE_MAX + 16)
		return 0; /* ternd never hands it more (read_request stops) */
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ctl_req r;
	const char *err = NULL;
	int rc = ctl_parse(buf, size, &r, &err);
	if (rc == 0) {
		FUZZ_CHECK(r.cmd < CTL_NCMDS);
		FUZZ_CHECK(r.argc <= CTL_ARGS_MAX);
		FUZZ_CHECK(!r.reset || r.cmd == CTL_STATS);
		FUZZ_CHECK(strcmp(ctl_cmd_name(r.cmd), "?") != 0);
		for (unsigned i = 0; i < r.argc; i++) {
			const char *a = r.argv[i];
			FUZZ_CHECK(a >= buf && a < buf + size);
			size_t n = strlen(a);
			FUZZ_CHECK(n > 0 && a + n <= buf + size);
			for (size_t k = 0; k < n; k++)
				FUZZ_CHECK((unsigned char)a[k] > 0x20 && (unsigned char)a[k] < 0x7f);
		}
	} else {
		FUZZ_CHECK(rc == -1 && err && *err);
	}
	free(buf);
	return 0;
}
