/* dnstap.h: dnstap output (issue 13 item 4; https://dnstap.info): the DNS
 * messages ternd receives and sends, as dnstap protobuf payloads in Frame
 * Streams, to a file or to a unix socket (a collector such as
 * fstrm_capture, or dnstap-read of the file).
 *
 * The payload is packed by libprotobuf-c from src/ctl/dnstap.proto (C made
 * by protoc-c at build time); the Frame Streams framing, control frames and
 * the socket handshake are libfstrm's (an fstrm_writer over a reader/writer
 * of ours that never blocks for long: dnstap.c). Logged: CLIENT_QUERY and
 * CLIENT_RESPONSE for every answered client query, FORWARDER_QUERY and
 * FORWARDER_RESPONSE for every question sent upstream and every answer.
 *
 * As the query log (qlog.h): each worker copies a raw record and the
 * message into a byte ring of its own and never waits (the protobuf is
 * packed by the writer, off the query path); a full ring drops the message and counts it; a
 * writer thread drains the rings into frames. A unix socket is connected
 * (and the READY/ACCEPT/START handshake done) by the writer, again every
 * second while it fails; messages are dropped and counted meanwhile. A
 * reader that stops reading (a full pipe, a full disk) fills a bounded
 * output buffer, after which whole frames are dropped and counted: a frame
 * is never cut. */
#ifndef TERN_CTL_DNSTAP_H
#define TERN_CTL_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSTAP_RING (1u << 20) /* bytes per worker */
#define DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"

/* Message.socket_protocol (dnstap.proto's SocketProtocol) */
enum dnstap_proto {
	DNSTAP_UDP = 1,
	DNSTAP_TCP = 2,
	DNSTAP_DOT = 3,
	DNSTAP_DOH = 4,
};

enum dnstap_type {
	DNSTAP_CLIENT_QUERY = 5,
	DNSTAP_CLIENT_RESPONSE = 6,
	DNSTAP_FORWARDER_QUERY = 7,
	DNSTAP_FORWARDER_RESPONSE = 8,
};

/* One message, as dnstap_encode takes it. */
typedef struct dnstap_msg {
	enum dnstap_type type;
	enum dnstap_proto proto;     /* 0: UDP */
	const struct sockaddr *peer; /* the client (query_address) or the upstream (response_address) */
	uint64_t query_us;           /* wall time of the query, microseconds (0: absent) */
	uint64_t response_us;        /* of the response (responses only) */
	const uint8_t *msg;          /* the DNS message, verbatim */
	size_t len;
	const char *identity, *version; /* may be NULL */
} dnstap_msg;

/* Packs one Dnstap protobuf payload into out (libprotobuf-c). Returns its
 * length, or 0 when cap is too small. Pure; fuzzed (fuzz/fuzz_dnstap.c). */
size_t dnstap_encode(uint8_t *out, size_t cap, const dnstap_msg *m);

/* One whole Frame Streams session on a connected stream socket fd, as
 * the writer thread holds it with a collector (READY -> ACCEPT <-, START,
 * one data frame with payload, STOP, <- FINISH; each read waits at most
 * a second): 0 when every step succeeded. fd stays open. For
 * fuzz/fuzz_dnstap.c, which plays a hostile collector. */
int dnstap_session_fd(int fd, const uint8_t *payload, size_t len);

typedef struct dnstap dnstap;

/* spec: "unix:PATH" or a file name (replaced). Opened before the
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
