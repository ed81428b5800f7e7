/* fuzz_dnstap.c: dnstap's two pieces that handle outside bytes
 * (src/ctl/dnstap.c).
 *
 * 1. dnstap_control_parse on what a collector may send: a result in
 *    -1..1, and a complete frame stays complete with more bytes after it.
 * 2. dnstap_encode with the input as the DNS message (and its first bytes
 *    choosing the message type, transport and peer): the payload decodes
 *    as protobuf (every field's length inside its message), Dnstap.type is
 *    MESSAGE, the Message holds the input verbatim in query_message (10)
 *    or response_message (14), and one byte less of room gives 0. */
#include <netinet/in.h>
#include <string.h>

#include "ctl/dnstap.h"
#include "fuzz.h"

static int varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*off >= len)
			return -1;
		uint8_t b = p[(*off)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* Walks one protobuf message; returns the bytes of field `want` (wire type
 * 2) in at and at_len if present. -1 if malformed. */
static int walk(const uint8_t *p, size_t len, unsigned want, const uint8_t **at, size_t *at_len, uint64_t *type15)
{
	size_t off = 0;
	while (off < len) {
		uint64_t key, v;
		if (varint(p, len, &off, &key))
			return -1;
		unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);
		if (wire == 0) {
			if (varint(p, len, &off, &v))
				return -1;
			if (field == 15 && type15)
				*type15 = v;
		} else if (wire == 2) {
			if (varint(p, len, &off, &v) || v > len - off)
				return -1;
			if (field == want) {
				*at = p + off;
				*at_len = (size_t)v;
			}
			off += (size_t)v;
		} else if (wire == 5) {
			if (len - off < 4)
				return -1;
			off += 4;
		} else {
			return -1;
		}
	}
	return 0;
}

static uint8_t out[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t type = 0;
	bool ct_ok = false;
	int rc = dnstap_control_parse(data, size, &type, &ct_ok);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (size > 65535)
		return 0;
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(5353)};
	uint8_t sel = size ? data[0] : 0;
	dnstap_msg m = {
		.type = (enum dnstap_type)(DNSTAP_CLIENT_QUERY + sel % 4),
		.tcp = sel & 4,
		.peer = sel & 8 ? (const struct sockaddr *)&v6 : sel & 16 ? (const struct sockaddr *)&v4 : NULL,
		.query_us = sel & 32 ? 1733480000123456ull : 0,
		.response_us = 1733480000223456ull,
		.msg = data,
		.len = size,
		.identity = sel & 64 ? "ns1" : NULL,
	};
	size_t n = dnstap_encode(out, sizeof out, &m);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(dnstap_encode(out, n - 1, &m) == 0);
	const uint8_t *msg = NULL, *dns = NULL;
	size_t msg_len = 0, dns_len = 0;
	uint64_t t15 = 0;
	FUZZ_CHECK(walk(out, n, 14, &msg, &msg_len, &t15) == 0);
	FUZZ_CHECK(t15 == 1 && msg);
	bool response = m.type == DNSTAP_CLIENT_RESPONSE || m.type == DNSTAP_FORWARDER_RESPONSE;
	FUZZ_CHECK(walk(msg, msg_len, response ? 14 : 10, &dns, &dns_len, NULL) == 0);
	FUZZ_CHECK(dns && dns_len == size && (size == 0 || !memcmp(dns, data, size)));
	return 0;
}
