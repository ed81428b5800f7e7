/* worker.h: one worker thread: its own sockets, epoll loop, buffers and
 * TCP connections. Nothing here is shared with other workers. */
#ifndef TERN_SERVER_WORKER_H
#define TERN_SERVER_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

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
} tcp_conn;

struct worker {
	server *srv;
	unsigned id;
	pthread_t thread;
	int epfd;
	int wakefd;
	_Atomic uint64_t quiescent; /* epoch seen, or 0 while asleep */
	const int *udp_fds, *tcp_fds;
	tcp_conn *conns;
	unsigned nconns, maxconns;
	uint64_t last_sweep_ms;
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

#endif
