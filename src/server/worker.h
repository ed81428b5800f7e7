/* worker.h: one worker thread: its own sockets, epoll loop, buffers and
 * TCP connections. Nothing here is shared with other workers. */
#ifndef TERN_SERVER_WORKER_H
#define TERN_SERVER_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolve/attempt.h"
#include "server/server.h"
#include "server/stats.h"

#define UDP_BATCH 64
#define UDP_BUF 4096 /* datagrams are read into and answered from this much */

typedef struct tcp_conn {
	int fd;
	uint8_t *rbuf; /* the frame being read: 2-byte length, then message */
	size_t rlen, rcap;
	uint8_t *wbuf; /* responses not yet written */
	size_t wlen, woff, wcap;
	uint64_t last_ms; /* last complete query or accept */
	uint32_t gen;     /* changes each time the slot is reused */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct xfr_out *xfr; /* a zone transfer out in progress (xfr/xfr.h), or NULL */
	struct tls_conn *tls; /* DoT or DoH (tlsconn.h); NULL: plain TCP */
} tcp_conn;

/* One question this worker asked upstream (it created the pending entry and
 * completes it). */
enum { UPQ_UDP, UPQ_TCP_CONNECT, UPQ_TCP_READ, UPQ_TLS };
typedef struct upq {
	fwd_pending *p;       /* NULL: the slot is free */
	int fd;
	int state;
	upstreams *ups;       /* the version's upstreams when it started (held) */
	resolver *res;        /* whose cache and in-flight table (a client group's
	                         or the default one: they live as long as ternd) */
	unsigned set;         /* index in ups->sets */
	fwd_attempt a;        /* which upstream, and until when (the policy) */
	uint16_t id;
	uint16_t qtype;
	uint64_t sent_us;     /* when the current try left (latency) */
	bool cd;              /* asked with CD=1 (fwd_pending_cd) */
	uint8_t name[TERN_NAME_MAX];
	uint16_t qlen;
	uint8_t q[300];       /* the query: name <= 255 + header, question, OPT */
	uint8_t *tbuf;        /* TCP: the answer being read */
	size_t tlen;
	uint64_t stale_ms;    /* RFC 8767 client-response timer: from then on its
	                         waiters get the stale data (0: none) */
	char ede_text[48];    /* the EXTRA-TEXT of an upstream's error (u->a.ede) */
	int tlsup;            /* UPQ_TLS: the worker's TLS upstream connection (tlsup.h) */
} upq;

/* Where an answer made outside the worker that read the query goes: a
 * TCP connection of that worker (its slot and generation), or a UDP
 * client of one of its listeners. */
typedef struct worker_reply_to {
	unsigned worker;
	int tcp_slot;      /* -1: UDP */
	uint32_t tcp_gen;
	unsigned listener; /* UDP */
	struct sockaddr_storage addr;
	socklen_t addrlen;
} worker_reply_to;

/* An answer for a client of another worker (TCP, or UDP when slot is
 * MAIL_UDP: sent from the worker's socket for listener). */
typedef struct mail {
	struct mail *next;
	unsigned slot;
	uint32_t gen;
	unsigned listener;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	size_t len;
	uint8_t data[];
} mail;
#define MAIL_UDP 0xffffffffu

#define UPQ_MAX 1024 /* upstream questions per worker */

/* A worker's counters (stats.h): written by the worker alone. */
#define WORKER_COUNT(w, field, n) STATS_ADD(&(w)->stats, field, n)

struct worker {
	server *srv;
	unsigned id;
	pthread_t thread;
	int epfd;
	int wakefd;
	_Atomic uint64_t quiescent; /* epoch seen, or 0 while asleep */
	worker_stats stats; /* its own cache lines (aligned) */
	int udp_fds[SERVER_LISTEN_MAX], tcp_fds[SERVER_LISTEN_MAX]; /* by slot; -1: none */
	uint8_t transport[SERVER_LISTEN_MAX]; /* by slot: plain, TLS or HTTPS (cfg_transport) */
	_Atomic uint64_t listen_seen; /* the server's listen_gen these are from */
	tcp_conn *conns;
	unsigned nconns, maxconns;
	uint64_t last_sweep_ms;
	uint32_t next_gen;
	upq *upqs;
	unsigned nupqs;
	uint64_t last_upq_scan_ms;
	struct tlsup_conn *tlsups; /* TLSUP_MAX connections to TLS upstreams, made on first use */
	uint64_t tlsup_warned_ms;  /* the last TLS upstream failure logged as a warning */
	pthread_mutex_t mail_lock;
	mail *mail_head, **mail_tail;
	fwd_result fr;   /* an upstream's sanitized answer, while its waiters are answered */
	fwd_result fail; /* a failed question (see failure() in worker.c) */
	uint8_t ubuf[65536]; /* an upstream datagram */
	/* UDP batch */
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage addrs[UDP_BATCH];
	uint8_t in[UDP_BATCH][UDP_BUF];
	uint8_t out[UDP_BATCH][UDP_BUF];
	struct mmsghdr omsgs[UDP_BATCH];
	struct iovec oiov[UDP_BATCH];
	uint8_t tcp_out[2 + 65535];
};

void *worker_main(void *arg);
/* For the TLS connections (tlsconn.c), which share the TCP connection
 * table: answers one query of connection i (its answer, now or after an
 * upstream question, goes through the connection's send path); closes
 * connection i; sets its epoll interest. */
void worker_conn_query(worker *w, const version *v, unsigned i, const uint8_t *pkt, size_t len, bool allowed,
                       const pol_view *view, unsigned transport, uint64_t now);
void worker_conn_close(worker *w, unsigned i);
void worker_conn_events(worker *w, unsigned i, uint32_t events);

/* Between the worker's own files (worker.c: the event loop and the
 * upstream questions; conn.c: TCP connections). */
enum { EV_UDP = 1, EV_TCP_LISTEN = 2, EV_CONN = 3, EV_WAKE = 4, EV_UPQ = 5, EV_TLSUP = 6 /* TLSUP_EV_KIND */ };
/* epoll data: kind (8 bits) | a connection's generation (24 bits) | index.
 * The generation makes an event queued for an evicted connection harmless
 * to the new connection in the same slot. */
#define EV(kind, idx) ((uint64_t)(kind) << 56 | (uint32_t)(idx))
#define EV_CONN_OF(w, i) (EV(EV_CONN, i) | (uint64_t)((w)->conns[i].gen & 0xffffff) << 32)
/* conn.c: sends on connection i, keeping what the socket does not take
 * (-1: the connection failed and is closed); reads, writes, accepts on a
 * listener (transport: 0 plain, else tlsconn's), closes idle connections. */
int worker_conn_send(worker *w, unsigned i, const uint8_t *data, size_t n);
void worker_conn_read(worker *w, const version *v, unsigned i, uint64_t now);
void worker_conn_write(worker *w, const version *v, unsigned i, uint64_t now);
void worker_tcp_accept(worker *w, const version *v, int lfd, int transport, uint64_t now);
void worker_tcp_sweep(worker *w, const config *cfg, uint64_t now);
/* worker.c: a query that needs the upstreams waits for their answer
 * (slot: its TCP connection, or -1 for UDP on listener); a cache entry
 * near its end asked again; a down upstream probed. */
void worker_park(worker *w, const version *v, const qctx *ctx, const uint8_t *pkt, size_t len, unsigned listener,
                 const struct sockaddr_storage *addr, socklen_t addrlen, int slot, uint64_t now);
void worker_prefetch(worker *w, const version *v, const qctx *ctx, uint64_t now);
void worker_probe(worker *w, const version *v, const qctx *ctx, uint64_t now);
/* The next messages of connection i's zone transfer (c->xfr), written while
 * its output queue is empty, a few per call; a plain TCP connection then
 * waits for EPOLLOUT, a TLS one is called again by tlsconn_event. */
void worker_xfr_pump(worker *w, unsigned i, uint64_t now);
/* For the TLS upstream connections (tlsup.c): an answer (or what claims to
 * be one) for question u; u's upstream failed (unreachable, verification,
 * connection lost): the next one is asked. */
void worker_upq_answer(worker *w, const version *v, upq *u, const uint8_t *pkt, size_t len, uint64_t now);
void worker_upq_failed(worker *w, const version *v, upq *u, uint64_t now);
void worker_wake(worker *w);
/* Posts an answer (msg, len bytes, without the TCP length) to the worker
 * to->worker, which sends it to the client. Any thread. */
void worker_post(server *s, const worker_reply_to *to, const uint8_t *msg, size_t len);
/* Takes the server's listener table for this worker (its own thread, or
 * before the thread starts): epoll follows the sockets that changed. */
void worker_take_listeners(worker *w);
/* Frees what a stopped worker still holds (upstream questions, mail). */
void worker_cleanup(worker *w);

#endif
