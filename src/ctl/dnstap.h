/* dnstap.h: dnstap output (issue 13 item 4; https://dnstap.info): the DNS
 * messages ternd receives and sends, as dnstap protobuf payloads in Frame
 * Streams, to a file or to a unix socket (a collector such as
 * fstrm_capture, or dnstap-read of the file).
 *
 * Written without libfstrm and libprotobuf-c: the protobuf is a handful of
 * fields (encoded by dnstap_encode, pure and unit-tested) and the Frame
 * Streams protocol is a few control frames. Logged: CLIENT_QUERY and
 * CLIENT_RESPONSE for every answered client query, FORWARDER_QUERY and
 * FORWARDER_RESPONSE for every question sent upstream and every answer.
 *
 * As the query log (qlog.h): each worker encodes into a byte ring of its
 * own and never waits; a full ring drops the message and counts it; a
 * writer thread drains the rings into frames. A unix socket is connected
 * (and the READY/ACCEPT/START handshake done) by the writer, again every
 * second while it fails; messages are dropped and counted meanwhile. */
#ifndef TERN_CTL_DNSTAP_H
#define TERN_CTL_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSTAP_RING (1u << 20) /* bytes per worker */
#define DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"

enum dnstap_type {
	DNSTAP_CLIENT_QUERY = 5,
	DNSTAP_CLIENT_RESPONSE = 6,
	DNSTAP_FORWARDER_QUERY = 7,
	DNSTAP_FORWARDER_RESPONSE = 8,
};

/* One message, as dnstap_encode takes it. */
typedef struct dnstap_msg {
	enum dnstap_type type;
	bool tcp;
	const struct sockaddr *peer; /* the client (query_address) or the upstream (response_address) */
	uint64_t query_us;           /* wall time of the query, microseconds (0: absent) */
	uint64_t response_us;        /* of the response (responses only) */
	const uint8_t *msg;          /* the DNS message, verbatim */
	size_t len;
	const char *identity, *version; /* may be NULL */
} dnstap_msg;

/* Encodes one Dnstap protobuf payload into out. Returns its length, or 0
 * when cap is too small. Pure. */
size_t dnstap_encode(uint8_t *out, size_t cap, const dnstap_msg *m);

/* Looks at what a collector sent on the socket (Frame Streams control
 * frames, at most 512 bytes are read): 0 while one control frame is not
 * complete, 1 when it is (*type: its control type; *ct_ok: it has no
 * CONTENT_TYPE field or one equal to DNSTAP_CONTENT_TYPE), -1 when the
 * bytes are not a control frame. Pure; fuzzed (fuzz/fuzz_dnstap.c). */
int dnstap_control_parse(const uint8_t *buf, size_t len, uint32_t *type, bool *ct_ok);

typedef struct dnstap dnstap;

/* spec: "unix:PATH" or a file name (appended to). Opened before the
 * privilege drop (a file) or connected by the writer (a socket). NULL
 * after logging. */
dnstap *dnstap_open(const char *spec, unsigned nworkers, const char *identity);
int dnstap_start(dnstap *d);
/* A last drain, STOP (and FINISH from a socket's reader), close, free. */
void dnstap_stop(dnstap *d);

/* Records one message from worker w (its own thread). Never waits. */
void dnstap_log(dnstap *d, unsigned w, dnstap_msg *m);

typedef struct dnstap_stats {
	uint64_t written, dropped;
} dnstap_stats;
void dnstap_get_stats(dnstap *d, dnstap_stats *out);

#endif
