/* fuzz_http.c: the metrics endpoint's HTTP/1.1 request parser
 * (src/ctl/http.c).
 *
 * The input is what a client sent, fed whole and also in two pieces (as
 * recv may deliver it): the parser is pure, so once a prefix is complete
 * the whole input gives the same answer. What must hold: the status is
 * 200, 400, 404 or 405; a 400 has a reason; an input of HTTP_REQUEST_MAX
 * bytes or more is always decided. */
#include <string.h>

#include "ctl/http.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	http_req r, p;
	int done = http_parse(buf, size, &r);
	FUZZ_CHECK(done == 0 || done == 1);
	if (size >= HTTP_REQUEST_MAX)
		FUZZ_CHECK(done == 1);
	if (done) {
		FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 404 || r.status == 405);
		FUZZ_CHECK(r.status != 400 || (r.why && *r.why));
		FUZZ_CHECK(!r.head || r.status == 200 || r.status == 404);
	}
	/* a prefix that is already complete decides as the whole does (the
	 * end of the headers is the first empty line in both) */
	size_t cut = size ? data[0] % (size + 1) : 0;
	if (http_parse(buf, cut, &p) && done && cut < HTTP_REQUEST_MAX)
		FUZZ_CHECK(p.status == r.status);
	return 0;
}
