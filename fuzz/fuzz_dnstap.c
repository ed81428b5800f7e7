/* fuzz_dnstap.c: dnstap's two pieces that meet outside bytes
 * (src/ctl/dnstap.c).
 *
 * 1. A hostile collector: the input, after its first byte, is what the
 *    collector sends back on the unix socket (ACCEPT, FINISH, or garbage),
 *    then it closes its end. One Frame Streams session (libfstrm's writer
 *    over dnstap's non-blocking reader/writer) must end, success or not,
 *    without a crash or a hang.
 * 2. dnstap_encode (libprotobuf-c) with the input as the DNS message (its
 *    first byte choosing the message type, transport and peer): the
 *    payload unpacks again with libprotobuf-c, Dnstap.type is MESSAGE, the
 *    DNS message comes back verbatim in query_message or response_message,
 *    and one byte less of room gives 0. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/dnstap.h"
#include "dnstap.pb-c.h"
#include "fuzz.h"

static uint8_t out[70000];

static void collector(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size > 4096 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	/* all the collector will ever say, then end of stream (the socket
	 * buffer holds 4 KiB; what ternd writes is small) */
	FUZZ_CHECK(write(sv[1], data, size) == (ssize_t)size);
	shutdown(sv[1], SHUT_WR);
	static const uint8_t payload[] = "\x0a\x03ns1\x78\x01";
	int rc = dnstap_session_fd(sv[0], payload, sizeof payload - 1);
	FUZZ_CHECK(rc == 0 || rc == -1);
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel = size ? data[0] : 0;
	if (sel & 128) {
		collector(data + 1, size - 1);
		return 0;
	}
	if (size > 65535)
		return 0;
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(5353)};
	dnstap_msg m = {
		.type = (enum dnstap_type)(DNSTAP_CLIENT_QUERY + sel % 4),
		.proto = (enum dnstap_proto)((sel >> 2 & 3) + 1),
		.peer = sel & 16 ? (const struct sockaddr *)&v6 : sel & 32 ? (const struct sockaddr *)&v4 : NULL,
		.query_us = sel & 32 ? 1733480000123456ull : 0,
		.response_us = 1733480000223456ull,
		.msg = data,
		.len = size,
		.identity = sel & 64 ? "ns1" : NULL,
	};
	size_t n = dnstap_encode(out, sizeof out, &m);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(dnstap_encode(out, n - 1, &m) == 0);
	Dnstap__Dnstap *tap = dnstap__dnstap__unpack(NULL, n, out);
	FUZZ_CHECK(tap && tap->type == DNSTAP__DNSTAP__TYPE__MESSAGE && tap->message);
	const Dnstap__Message *msg = tap->message;
	bool response = m.type == DNSTAP_CLIENT_RESPONSE || m.type == DNSTAP_FORWARDER_RESPONSE;
	const ProtobufCBinaryData *dns = response ? &msg->response_message : &msg->query_message;
	FUZZ_CHECK((int)msg->type == (int)m.type);
	FUZZ_CHECK((response ? msg->has_response_message : msg->has_query_message) && dns->len == size);
	FUZZ_CHECK(size == 0 || !memcmp(dns->data, data, size));
	FUZZ_CHECK(!m.peer || msg->has_socket_protocol);
	dnstap__dnstap__free_unpacked(tap, NULL);
	return 0;
}
