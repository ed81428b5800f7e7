/* listener.c: see listener.h. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/listener.h"
#include "server/log.h"

static int open_socket(const cfg_listen *l, int type)
{
	int fd = socket(l->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one))
		goto fail;
	if (l->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one))
		goto fail;
	if (type == SOCK_DGRAM) {
		/* Room for bursts: the kernel default (~200 KB) drops queries
		 * and answers when a burst meets a busy worker. FORCE passes the
		 * sysctl cap when we may (root); else the capped size is used. */
		int size = 4 << 20;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	}
	if (bind(fd, (const struct sockaddr *)&l->addr, l->len))
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 1024))
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Step 1: can a socket without SO_REUSEPORT bind l? A UDP probe also goes
 * without SO_REUSEADDR (with it, it could share with sockets that set it);
 * a TCP probe sets it, so that connections of an earlier run still in
 * TIME_WAIT do not count (a listening socket still does). */
static int probe_bind(const cfg_listen *l, int type)
{
	int fd = socket(l->addr.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	int rc = bind(fd, (const struct sockaddr *)&l->addr, l->len);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static bool same_local(const struct inet_diag_msg *m, const cfg_listen *l)
{
	if (m->idiag_family != l->addr.ss_family)
		return false;
	if (l->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&l->addr;
		return m->id.idiag_sport == a->sin_port && m->id.idiag_src[0] == a->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&l->addr;
	return m->id.idiag_sport == a->sin6_port && !memcmp(m->id.idiag_src, &a->sin6_addr, 16);
}

enum { STATE_LISTEN = 10 }; /* TCP_LISTEN in the kernel's state numbering */

int listener_foreign(const cfg_listen *l, int type, const int *mine, unsigned n, unsigned *uid)
{
	ino_t *ino = calloc(n ? n : 1, sizeof *ino);
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int found = -1;
	if (!ino || nl < 0)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		struct stat st;
		if (fstat(mine[i], &st))
			goto out;
		ino[i] = st.st_ino;
	}
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof req);
	req.nlh.nlmsg_len = sizeof req;
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)l->addr.ss_family;
	req.r.sdiag_protocol = type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
	req.r.idiag_states = type == SOCK_DGRAM ? ~0u : 1u << STATE_LISTEN;
	req.r.id.idiag_sport = l->addr.ss_family == AF_INET ? ((const struct sockaddr_in *)&l->addr)->sin_port
	                                                    : ((const struct sockaddr_in6 *)&l->addr)->sin6_port;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)sizeof req)
		goto out;
	static _Thread_local uint32_t buf[8192]; /* aligned for nlmsghdr */
	int count = 0;
	for (;;) {
		ssize_t len = recv(nl, buf, sizeof buf, 0);
		if (len <= 0)
			goto out;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				found = count;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				goto out;
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			if (!same_local(m, l))
				continue;
			bool ours = false;
			for (unsigned i = 0; i < n && !ours; i++)
				ours = ino[i] == m->idiag_inode;
			if (!ours) {
				count++;
				*uid = m->idiag_uid;
			}
		}
	}
out:
	if (nl >= 0)
		close(nl);
	free(ino);
	return found;
}

static void close_all(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int listener_open(const cfg_listen *l, unsigned n, int *udp, int *tcp, bool probe)
{
	for (unsigned i = 0; i < n; i++)
		udp[i] = tcp[i] = -1;
	static const struct {
		int type;
		const char *name;
	} kinds[] = {{SOCK_DGRAM, "UDP"}, {SOCK_STREAM, "TCP"}};
	int k0 = l->transport == CFG_PLAIN ? 0 : 1; /* TLS and HTTPS: TCP only */
	for (int k = k0; k < 2 && probe; k++)
		if (probe_bind(l, kinds[k].type)) {
			if (errno == EADDRINUSE)
				log_err("cannot listen on %s (%s): address already in use by another process", l->text,
				        kinds[k].name);
			else
				log_err("cannot listen on %s (%s): %s", l->text, kinds[k].name, strerror(errno));
			return -1;
		}
	for (unsigned i = 0; i < n; i++) {
		udp[i] = k0 ? -1 : open_socket(l, SOCK_DGRAM);
		if (!k0 && udp[i] < 0) {
			log_err("cannot listen on %s (UDP): %s", l->text, strerror(errno));
			goto fail;
		}
		tcp[i] = open_socket(l, SOCK_STREAM);
		if (tcp[i] < 0) {
			log_err("cannot listen on %s (TCP): %s", l->text, strerror(errno));
			goto fail;
		}
	}
	for (int k = k0; k < 2; k++) {
		unsigned uid = 0;
		int o = listener_foreign(l, kinds[k].type, kinds[k].type == SOCK_DGRAM ? udp : tcp, n, &uid);
		if (o < 0) {
			log_warn("listen %s (%s): cannot ask the kernel whether another process shares the address",
			         l->text, kinds[k].name);
		} else if (o > 0) {
			log_err("cannot listen on %s (%s): address already in use by another process (uid %u)", l->text,
			        kinds[k].name, uid);
			goto fail;
		}
	}
	return 0;
fail:
	close_all(udp, n);
	close_all(tcp, n);
	return -1;
}
