/* fuzz_msg.c: a packet as the server and the client read it.
 *
 * The server's strict parse (tern_query_parse), then the client's walk over
 * every record (tern_msg_iter) with each record printed as dig would
 * (tern_rr_to_text, which also decompresses RDATA). Checks: the parse stays
 * inside the packet, and whatever printed is a NUL-terminated line of the
 * length returned. */
#include <string.h>

#include "fuzz.h"
#include "tern/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tern_query q;
	enum tern_qparse pr = tern_query_parse(data, size, &q);
	FUZZ_CHECK(pr <= TERN_Q_BADVERS);
	FUZZ_CHECK(q.question_end <= size);
	if (q.question_end) {
		FUZZ_CHECK(q.qname_len >= 1 && q.qname_len <= TERN_NAME_MAX);
		FUZZ_CHECK(tern_name_len(q.qname) == q.qname_len);
	}
	FUZZ_CHECK(q.cookie_len <= sizeof q.cookie);
	if (pr == TERN_Q_OK)
		FUZZ_CHECK(q.question_end > 0);

	tern_msg_iter it;
	if (tern_msg_iter_init(&it, data, size))
		return 0;
	static char line[1 << 19]; /* 64 KiB of RDATA as \DDD text fits; scratch, not state */
	tern_rr rr;
	int r;
	unsigned n = 0;
	while ((r = tern_msg_next(&it, &rr)) == 1) {
		FUZZ_CHECK(rr.owner_len == tern_name_len(rr.owner));
		FUZZ_CHECK(rr.rdata_off + rr.rdlen <= size);
		int len = tern_rr_to_text(data, size, &rr, line, sizeof line);
		if (len >= 0)
			FUZZ_CHECK((size_t)len == strlen(line));
		n++;
	}
	FUZZ_CHECK(r <= 0);
	FUZZ_CHECK(n == 0 || TERN_HDR_LEN + 5 * (size_t)n <= size); /* a record takes >= 5 bytes */
	return 0;
}
