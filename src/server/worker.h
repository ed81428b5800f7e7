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
} tcp_conn;

/* One question this worker asked upstream (it created the pending entry and
 * completes it). */
enum { UPQ_UDP, UPQ_TCP_CONNECT, UPQ_TCP_READ };
typedef struct upq {
	fwd_pending *p;       /* NULL: the slot is free */
	int fd;
	int state;
	upstreams *ups;       /* the version's upstreams when it started (held) */
	unsigned set;         /* index in ups->sets */
	fwd_attempt a;        /* which upstream, and until when (the policy) */
	uint16_t id;
	uint16_t qtype;
	bool cd;              /* asked with CD=1 (fwd_pending_cd) */
	uint8_t name[TERN_NAME_MAX];
	uint16_t qlen;
	uint8_t q[300];       /* the query: name <= 255 + header, question, OPT */
	uint8_t *tbuf;        /* TCP: the answer being read */
	size_t tlen;
	uint64_t stale_ms;    /* RFC 8767 client-response timer: from then on its
	                         waiters get the stale data (0: none) */
	char ede_text[48];    /* the EXTRA-TEXT of an upstream's error (u->a.ede) */
} upq;

/* A TCP answer for a connection of another worker. */
typedef struct mail {
	struct mail *next;
	unsigned slot;
	uint32_t gen;
	size_t len;
	uint8_t data[];
} mail;

#define UPQ_MAX 1024 /* upstream questions per worker */

/* A worker's counters: written by the worker alone (a relaxed load and
 * store, no locked instruction), read by the main thread for SIGUSR1. */
typedef struct worker_stats {
	_Atomic uint64_t udp_queries;  /* datagrams read */
	_Atomic uint64_t tcp_queries;  /* messages read over TCP */
	_Atomic uint64_t responses;    /* made (at once, or when an upstream answered or failed) */
	_Atomic uint64_t forwarded;    /* queries that waited for an upstream */
	_Atomic uint64_t rate_limited; /* responses dropped or slipped by RRL */
	_Atomic uint64_t tcp_accepted; /* TCP connections */
} worker_stats;

#define WORKER_COUNT(w, field, n)                                                                              \
	atomic_store_explicit(&(w)->stats.field,                                                               \
	                      atomic_load_explicit(&(w)->stats.field, memory_order_relaxed) + (uint64_t)(n),    \
	                      memory_order_relaxed)

struct worker {
	server *srv;
	unsigned id;
	pthread_t thread;
	int epfd;
	int wakefd;
	_Atomic uint64_t quiescent; /* epoch seen, or 0 while asleep */
	worker_stats stats;
	int udp_fds[SERVER_LISTEN_MAX], tcp_fds[SERVER_LISTEN_MAX]; /* by slot; -1: none */
	_Atomic uint64_t listen_seen; /* the server's listen_gen these are from */
	tcp_conn *conns;
	unsigned nconns, maxconns;
	uint64_t last_sweep_ms;
	uint32_t next_gen;
	upq *upqs;
	unsigned nupqs;
	uint64_t last_upq_scan_ms;
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
void worker_wake(worker *w);
/* Takes the server's listener table for this worker (its own thread, or
 * before the thread starts): epoll follows the sockets that changed. */
void worker_take_listeners(worker *w);
/* Frees what a stopped worker still holds (upstream questions, mail). */
void worker_cleanup(worker *w);

#endif
