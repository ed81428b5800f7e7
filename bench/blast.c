/* blast: a lean DNS load generator for the tern benchmark.
 *
 * Replays a query file ("name type" per line, the dnsperf format) against one
 * server over UDP (sendmmsg/recvmmsg on several connected sockets) or TCP
 * (several pipelined connections, kept open: connection reuse), for a fixed
 * duration, either as fast as the server answers (a closed loop: at most
 * --window queries outstanding per socket) or at a fixed offered rate (an
 * open loop, paced by the clock). Replies are matched to queries by ID and
 * socket; answers are counted by RCODE, latencies go into a histogram
 * (1 us buckets to 10 ms, 100 us buckets to 1 s) and the result is printed
 * as one JSON object, with the generator's own CPU time so that a saturated
 * generator is visible.
 *
 *   blast -s 127.0.0.1 -p 5300 -f queries.txt -d 10 [-r 50000] [-T 2] [--tcp]
 *
 * Build: cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXQ 512            /* largest query we build */
#define MAXR 65535          /* largest reply we read */
#define MAXSOCK 256
#define BATCH_MAX 256
#define NBUCKET (10000 + 9900 + 1)

/* ---- options ---- */
static struct {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    const char *file;
    double duration;
    double rate;            /* total offered queries/s; 0 = closed loop */
    int threads;
    int sockets;            /* per thread */
    int window;             /* outstanding per socket */
    int batch;
    int timeout_ms;
    bool tcp;
    bool edns;
    bool dnssec_ok;         /* DO=1 in the OPT record */
    bool rd;
} opt = {
    .duration = 10, .threads = 1, .sockets = 4, .window = 0, .batch = 32,
    .timeout_ms = 0, .edns = true, .rd = true,
};

/* ---- the query set: every query prebuilt in wire form ---- */
static uint8_t *qbuf;       /* concatenated queries */
static size_t *qoff;        /* offset of query i in qbuf */
static uint16_t *qlen;
static size_t nq;

static volatile sig_atomic_t stop_flag;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct { const char *name; uint16_t code; } types[] = {
    {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"HINFO", 13},
    {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"NAPTR", 35},
    {"DS", 43}, {"SSHFP", 44}, {"RRSIG", 46}, {"NSEC", 47}, {"DNSKEY", 48},
    {"TLSA", 52}, {"SVCB", 64}, {"HTTPS", 65}, {"ANY", 255}, {"CAA", 257},
};

static int type_code(const char *s)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(s, types[i].name) == 0)
            return types[i].code;
    if (strncasecmp(s, "TYPE", 4) == 0) {
        char *end;
        long v = strtol(s + 4, &end, 10);
        if (*end == '\0' && v > 0 && v < 65536)
            return (int)v;
    }
    return -1;
}

/* Encodes "name type" into wire form at out (ID 0); returns length or -1. */
static int encode(const char *name, const char *type, uint8_t *out)
{
    int t = type_code(type);
    if (t < 0)
        return -1;
    uint8_t *p = out;
    memset(p, 0, 12);
    p[2] = opt.rd ? 0x01 : 0x00;
    p[5] = 1;                           /* QDCOUNT */
    p[11] = opt.edns ? 1 : 0;           /* ARCOUNT */
    p += 12;
    size_t nl = strlen(name);
    if (nl > 0 && name[nl - 1] == '.')
        nl--;
    size_t i = 0, total = 0;
    while (i < nl) {
        size_t j = i;
        while (j < nl && name[j] != '.')
            j++;
        size_t l = j - i;
        if (l == 0 || l > 63)
            return -1;
        total += l + 1;
        if (total > 254)
            return -1;
        *p++ = (uint8_t)l;
        memcpy(p, name + i, l);
        p += l;
        i = j + 1;
    }
    *p++ = 0;
    *p++ = (uint8_t)(t >> 8);
    *p++ = (uint8_t)t;
    *p++ = 0;
    *p++ = 1;                           /* class IN */
    if (opt.edns) {                     /* OPT: root, type 41, 1232 bytes, DO if --do */
        static const uint8_t o[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
        memcpy(p, o, sizeof o);
        if (opt.dnssec_ok)
            p[7] = 0x80;                    /* the DO bit: first flag bit of the TTL (RFC 3225) */
        p += sizeof o;
    }
    return (int)(p - out);
}

static void load_queries(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "blast: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 16, bcap = cap * 48, used = 0;
    qoff = malloc(cap * sizeof *qoff);
    qlen = malloc(cap * sizeof *qlen);
    qbuf = malloc(bcap);
    if (!qoff || !qlen || !qbuf)
        exit(3);
    char line[1024];
    unsigned long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char name[512], type[32];
        if (line[0] == '#' || line[0] == ';')
            continue;
        if (sscanf(line, "%511s %31s", name, type) != 2)
            continue;
        if (nq == cap) {
            cap *= 2;
            qoff = realloc(qoff, cap * sizeof *qoff);
            qlen = realloc(qlen, cap * sizeof *qlen);
            if (!qoff || !qlen)
                exit(3);
        }
        if (used + MAXQ > bcap) {
            bcap *= 2;
            qbuf = realloc(qbuf, bcap);
            if (!qbuf)
                exit(3);
        }
        int l = encode(name, type, qbuf + used);
        if (l < 0) {
            fprintf(stderr, "blast: %s:%lu: cannot encode \"%s %s\"\n", path, lineno, name, type);
            continue;
        }
        qoff[nq] = used;
        qlen[nq] = (uint16_t)l;
        used += (size_t)l;
        nq++;
    }
    fclose(f);
    if (nq == 0) {
        fprintf(stderr, "blast: %s: no queries\n", path);
        exit(2);
    }
}

/* ---- per-thread state ---- */
struct pending { uint16_t id; uint64_t t; };

struct sock {
    int fd;
    uint16_t next_id;
    int outstanding;
    uint64_t *sent;             /* [65536]: send time of an outstanding ID, 0 = free */
    struct pending *ring;       /* send order, for timeouts */
    uint32_t rhead, rtail;      /* ring indexes (mask 65535) */
    /* TCP */
    uint8_t *obuf; size_t olen, ooff;
    uint8_t *ibuf; size_t ilen;
};

struct stats {
    uint64_t sent, answered, lost, late, send_err, recv_err, bad, tc, reconnects;
    uint64_t rcode[16];
    uint64_t hist[NBUCKET];
    uint64_t lat_sum_ns, lat_max_ns;
};

struct thr {
    pthread_t tid;
    int idx;
    struct sock s[MAXSOCK];
    size_t qi;                  /* next query index */
    struct stats st;
};

static void hist_add(struct stats *st, uint64_t ns)
{
    uint64_t us = ns / 1000;
    size_t b;
    if (us < 10000)
        b = (size_t)us;
    else if (us < 1000000)
        b = 10000 + (size_t)((us - 10000) / 100);
    else
        b = NBUCKET - 1;
    st->hist[b]++;
    st->lat_sum_ns += ns;
    if (ns > st->lat_max_ns)
        st->lat_max_ns = ns;
}

static double bucket_us(size_t b)
{
    if (b < 10000)
        return (double)b + 0.5;
    if (b < NBUCKET - 1)
        return 10000.0 + (double)(b - 10000) * 100.0 + 50.0;
    return 1e6;
}

static int open_sock(struct sock *s)
{
    int fd = socket(opt.addr.ss_family, (opt.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int sz = 4 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    if (opt.tcp) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(fd, (struct sockaddr *)&opt.addr, opt.addrlen) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->fd = fd;
    return 0;
}

/* Reply of length n in buf arrived on s at time t. */
static void on_reply(struct thr *th, struct sock *s, const uint8_t *buf, size_t n, uint64_t t)
{
    if (n < 12 || !(buf[2] & 0x80)) {
        th->st.bad++;
        return;
    }
    uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
    uint64_t t0 = s->sent[id];
    if (t0 == 0) {
        th->st.late++;
        return;
    }
    s->sent[id] = 0;
    s->outstanding--;
    th->st.answered++;
    th->st.rcode[buf[3] & 15]++;
    if (buf[2] & 0x02)
        th->st.tc++;
    hist_add(&th->st, t > t0 ? t - t0 : 0);
}

/* Forgets answered entries at the ring's head and counts expired ones lost. */
static void expire(struct thr *th, struct sock *s, uint64_t t)
{
    uint64_t limit = (uint64_t)opt.timeout_ms * 1000000u;
    while (s->rhead != s->rtail) {
        struct pending *p = &s->ring[s->rhead & 65535];
        if (s->sent[p->id] == p->t) {
            if (t - p->t < limit)
                break;
            s->sent[p->id] = 0;
            s->outstanding--;
            th->st.lost++;
        }
        s->rhead++;
    }
}

/* Takes the next ID and query; writes the query to out; returns its length. */
static size_t take(struct thr *th, struct sock *s, uint8_t *out, uint64_t t)
{
    uint16_t id = s->next_id;
    while (s->sent[id] != 0)
        id++;
    s->next_id = (uint16_t)(id + 1);
    size_t q = th->qi;
    th->qi = q + 1 == nq ? 0 : q + 1;
    memcpy(out, qbuf + qoff[q], qlen[q]);
    out[0] = (uint8_t)(id >> 8);
    out[1] = (uint8_t)id;
    if (s->rtail - s->rhead >= 65536) {     /* ring full: drop the oldest entry */
        struct pending *p = &s->ring[s->rhead & 65535];
        if (s->sent[p->id] == p->t) {
            s->sent[p->id] = 0;
            s->outstanding--;
            th->st.lost++;
        }
        s->rhead++;
    }
    s->sent[id] = t;
    s->ring[s->rtail & 65535] = (struct pending){id, t};
    s->rtail++;
    s->outstanding++;
    th->st.sent++;
    return qlen[q];
}

/* ---- UDP ---- */
struct udpbufs {
    struct mmsghdr msg[BATCH_MAX];
    struct iovec iov[BATCH_MAX];
    uint8_t (*q)[MAXQ];
    uint8_t (*r)[4096];
};

/* Sends up to k queries on s; returns how many left. */
static int udp_send(struct thr *th, struct sock *s, struct udpbufs *b, int k, uint64_t t)
{
    for (int i = 0; i < k; i++) {
        size_t l = take(th, s, b->q[i], t);
        b->iov[i].iov_base = b->q[i];
        b->iov[i].iov_len = l;
        memset(&b->msg[i].msg_hdr, 0, sizeof b->msg[i].msg_hdr);
        b->msg[i].msg_hdr.msg_iov = &b->iov[i];
        b->msg[i].msg_hdr.msg_iovlen = 1;
    }
    int done = 0;
    while (done < k) {
        int r = sendmmsg(s->fd, b->msg + done, (unsigned)(k - done), MSG_DONTWAIT);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            break;
        }
        done += r;
    }
    for (int i = done; i < k; i++) {            /* not sent: give the IDs back */
        uint16_t id = (uint16_t)(b->q[i][0] << 8 | b->q[i][1]);
        s->sent[id] = 0;
        s->outstanding--;
        th->st.sent--;
        th->st.send_err++;
    }
    return done;
}

static int udp_recv(struct thr *th, struct sock *s, struct udpbufs *b)
{
    int total = 0;
    for (;;) {
        int n = opt.batch;
        for (int i = 0; i < n; i++) {
            b->iov[i].iov_base = b->r[i];
            b->iov[i].iov_len = sizeof b->r[i];
            memset(&b->msg[i].msg_hdr, 0, sizeof b->msg[i].msg_hdr);
            b->msg[i].msg_hdr.msg_iov = &b->iov[i];
            b->msg[i].msg_hdr.msg_iovlen = 1;
        }
        int r = recvmmsg(s->fd, b->msg, (unsigned)n, MSG_DONTWAIT, NULL);
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                th->st.recv_err++;
            return total;
        }
        uint64_t t = now_ns();
        for (int i = 0; i < r; i++)
            on_reply(th, s, b->r[i], b->msg[i].msg_len, t);
        total += r;
        if (r < n)
            return total;
    }
}

/* ---- TCP ---- */
static void tcp_reset(struct thr *th, struct sock *s)
{
    close(s->fd);
    s->fd = -1;
    s->olen = s->ooff = s->ilen = 0;
    th->st.reconnects++;
    /* outstanding queries on the old connection will expire as lost */
    if (open_sock(s) < 0) {
        fprintf(stderr, "blast: reconnect: %s\n", strerror(errno));
        stop_flag = 1;
    }
}

static int tcp_send(struct thr *th, struct sock *s, int k, uint64_t t)
{
    if (s->ooff == s->olen)
        s->ooff = s->olen = 0;
    int added = 0;
    for (; added < k && s->olen + MAXQ + 2 <= 65536 * 4; added++) {
        size_t l = take(th, s, s->obuf + s->olen + 2, t);
        s->obuf[s->olen] = (uint8_t)(l >> 8);
        s->obuf[s->olen + 1] = (uint8_t)l;
        s->olen += l + 2;
    }
    while (s->ooff < s->olen) {
        ssize_t w = write(s->fd, s->obuf + s->ooff, s->olen - s->ooff);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                th->st.send_err++;
                tcp_reset(th, s);
            }
            break;
        }
        s->ooff += (size_t)w;
    }
    return added;
}

static int tcp_recv(struct thr *th, struct sock *s)
{
    int total = 0;
    for (;;) {
        ssize_t r = read(s->fd, s->ibuf + s->ilen, MAXR + 2 - s->ilen);
        if (r <= 0) {
            if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                th->st.recv_err++;
                tcp_reset(th, s);
            }
            return total;
        }
        size_t room = MAXR + 2 - s->ilen;
        s->ilen += (size_t)r;
        uint64_t t = now_ns();
        size_t off = 0;
        while (s->ilen - off >= 2) {
            size_t l = (size_t)s->ibuf[off] << 8 | s->ibuf[off + 1];
            if (s->ilen - off < l + 2)
                break;
            on_reply(th, s, s->ibuf + off + 2, l, t);
            total++;
            off += l + 2;
        }
        memmove(s->ibuf, s->ibuf + off, s->ilen - off);
        s->ilen -= off;
        if ((size_t)r < room)           /* drained: no need for a read that says EAGAIN */
            return total;
    }
}

/* ---- the loop ---- */
static uint64_t t_start, t_end;

static void *run(void *arg)
{
    struct thr *th = arg;
    struct udpbufs *b = calloc(1, sizeof *b);
    if (!b)
        exit(3);
    b->q = calloc(BATCH_MAX, MAXQ);
    b->r = calloc(BATCH_MAX, 4096);
    struct pollfd *pfd = calloc((size_t)opt.sockets, sizeof *pfd);
    if (!b->q || !b->r || !pfd)
        exit(3);
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    th->qi = nq * (size_t)th->idx / (size_t)opt.threads;
    double rate = opt.rate / opt.threads;       /* this thread's share */
    uint64_t sent_paced = 0;
    int rr = 0;                                 /* round-robin start socket */
    uint64_t last_expire = 0;
    while (!stop_flag) {
        uint64_t t = now_ns();
        if (t >= t_end)
            break;
        int sent = 0, got = 0;
        /* how many may go now */
        int64_t allow = INT64_MAX;
        if (rate > 0) {
            uint64_t due = (uint64_t)((double)(t - t_start) * rate / 1e9);
            /* after a stall (descheduled) do not catch up in one burst that
             * would overflow the server's socket buffer: what is more than
             * 1 ms (at least one batch per socket) behind is not offered */
            uint64_t burst = (uint64_t)(rate / 1000);
            if (burst < (uint64_t)opt.batch * (uint64_t)opt.sockets)
                burst = (uint64_t)opt.batch * (uint64_t)opt.sockets;
            if (due > sent_paced + burst) {
                th->st.send_err += due - burst - sent_paced;
                sent_paced = due - burst;
            }
            allow = due > sent_paced ? (int64_t)(due - sent_paced) : 0;
        }
        for (int j = 0; j < opt.sockets && allow > 0; j++) {
            struct sock *s = &th->s[(rr + j) % opt.sockets];
            int k = opt.window - s->outstanding;
            if (k > opt.batch)
                k = opt.batch;
            if (k > allow)
                k = (int)allow;
            if (k <= 0)
                continue;
            int n = opt.tcp ? tcp_send(th, s, k, t) : udp_send(th, s, b, k, t);
            sent += n;
            allow -= n;
            if (rate > 0)
                sent_paced += (uint64_t)n;
        }
        rr = (rr + 1) % opt.sockets;
        /* wait for replies: not at all while there is room to send in a closed
         * loop, until the next paced send in an open loop, else up to 1 ms */
        int64_t wait_ns = 1000000;
        if (rate > 0) {
            double next = (double)(sent_paced + 1) * 1e9 / rate;
            int64_t d = (int64_t)next - (int64_t)(now_ns() - t_start);
            /* a timer per query costs more than the query on a VM: wake at
             * most every 100 us for sending (replies still wake us at once) */
            if (d < 100000)
                d = 100000;
            if (d < wait_ns)
                wait_ns = d;
        } else if (sent > 0) {
            wait_ns = 0;
        }
        for (int j = 0; j < opt.sockets; j++) {
            pfd[j].fd = th->s[j].fd;
            pfd[j].events = POLLIN;
            if (opt.tcp && th->s[j].ooff < th->s[j].olen)
                pfd[j].events |= POLLOUT;
        }
        struct timespec ts = {0, wait_ns};
        int ready = ppoll(pfd, (nfds_t)opt.sockets, &ts, NULL);
        for (int j = 0; j < opt.sockets && ready > 0; j++) {
            struct sock *s = &th->s[j];
            if (pfd[j].revents & (POLLIN | POLLERR | POLLHUP))
                got += opt.tcp ? tcp_recv(th, s) : udp_recv(th, s, b);
            if (opt.tcp && (pfd[j].revents & POLLOUT) && s->fd >= 0)
                (void)tcp_send(th, s, 0, 0);
        }
        (void)got;
        t = now_ns();
        if (t - last_expire >= 1000000) {
            for (int j = 0; j < opt.sockets; j++)
                expire(th, &th->s[j], t);
            last_expire = t;
        }
    }
    /* drain: wait a little for replies still in flight, then count the rest lost */
    uint64_t drain_end = now_ns() + 50000000u;
    for (;;) {
        int out = 0;
        for (int j = 0; j < opt.sockets; j++) {
            struct sock *s = &th->s[j];
            if (opt.tcp)
                tcp_recv(th, s);
            else
                udp_recv(th, s, b);
            out += s->outstanding;
        }
        if (out == 0 || now_ns() >= drain_end)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    for (int j = 0; j < opt.sockets; j++) {
        th->st.lost += (uint64_t)th->s[j].outstanding;
        th->s[j].outstanding = 0;
    }
    free(b->q);
    free(b->r);
    free(b);
    free(pfd);
    return NULL;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int parse_addr(const char *host, int port)
{
    memset(&opt.addr, 0, sizeof opt.addr);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&opt.addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&opt.addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        opt.addrlen = sizeof *a4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        opt.addrlen = sizeof *a6;
        return 0;
    }
    return -1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: blast -f FILE [-s ADDR] [-p PORT] [-d SECONDS] [-r QPS] [-T THREADS]\n"
        "             [-c SOCKETS] [-w WINDOW] [-b BATCH] [-t TIMEOUT_MS] [--tcp]\n"
        "             [--no-edns] [--no-rd] [--do]\n"
        "  -f FILE      queries, one \"name type\" per line (dnsperf format)\n"
        "  -s ADDR      server address (default 127.0.0.1)\n"
        "  -p PORT      server port (default 53)\n"
        "  -d SECONDS   duration (default 10)\n"
        "  -r QPS       offered rate, all threads together (default 0: as fast as answered)\n"
        "  -T THREADS   sender threads, each with its own sockets (default 1)\n"
        "  -c SOCKETS   sockets (UDP) or connections (TCP) per thread (default 4)\n"
        "  -w WINDOW    queries outstanding per socket (default 32; with -r 4096)\n"
        "  -b BATCH     datagrams per sendmmsg/recvmmsg (default 32, max %d)\n"
        "  -t MS        a query unanswered after MS ms is lost (default 100; with -r 500)\n"
        "  --tcp        TCP, connections kept open, queries pipelined\n"
        "  --no-edns    no OPT record (default: EDNS0, 1232 bytes)\n"
        "  --no-rd      RD=0 (default RD=1)\n"
        "  --do         DNSSEC OK (DO=1) in the OPT record\n"
        "Prints one JSON object: counts, answers by RCODE, qps, latency percentiles\n"
        "(microseconds) and the generator's CPU use.\n", BATCH_MAX);
}

static const char *rcode_name(int i)
{
    static const char *n[16] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
        "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
        "RCODE12", "RCODE13", "RCODE14", "RCODE15"};
    return n[i];
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 53;
    static const struct option lo[] = {
        {"tcp", no_argument, 0, 1}, {"no-edns", no_argument, 0, 2},
        {"no-rd", no_argument, 0, 3}, {"do", no_argument, 0, 4}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "f:s:p:d:r:T:c:w:b:t:h", lo, NULL)) != -1) {
        switch (c) {
        case 'f': opt.file = optarg; break;
        case 's': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'T': opt.threads = atoi(optarg); break;
        case 'c': opt.sockets = atoi(optarg); break;
        case 'w': opt.window = atoi(optarg); break;
        case 'b': opt.batch = atoi(optarg); break;
        case 't': opt.timeout_ms = atoi(optarg); break;
        case 1: opt.tcp = true; break;
        case 2: opt.edns = false; break;
        case 3: opt.rd = false; break;
        case 4: opt.dnssec_ok = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!opt.file || port <= 0 || port > 65535 || opt.duration <= 0 || opt.threads < 1 ||
        opt.threads > 64 || opt.sockets < 1 || opt.sockets > MAXSOCK || opt.batch < 1 ||
        opt.batch > BATCH_MAX || opt.timeout_ms < 0 || opt.rate < 0) {
        usage(stderr);
        return 2;
    }
    /* closed loop: 4 x 32 outstanding keeps a server's 64-datagram batches
     * full without overflowing its default socket buffer (about 200
     * datagrams); a lost query holds its slot only briefly */
    if (opt.window == 0)
        opt.window = opt.rate > 0 ? 4096 : 32;
    if (opt.timeout_ms == 0)
        opt.timeout_ms = opt.rate > 0 ? 500 : 100;
    if (opt.window < 1 || opt.window > 32768) {
        fprintf(stderr, "blast: window must be 1..32768\n");
        return 2;
    }
    if (parse_addr(host, port) < 0) {
        fprintf(stderr, "blast: bad address %s\n", host);
        return 2;
    }
    load_queries(opt.file);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct thr *th = calloc((size_t)opt.threads, sizeof *th);
    if (!th)
        return 3;
    for (int i = 0; i < opt.threads; i++) {
        th[i].idx = i;
        for (int j = 0; j < opt.sockets; j++) {
            struct sock *s = &th[i].s[j];
            s->sent = calloc(65536, sizeof *s->sent);
            s->ring = calloc(65536, sizeof *s->ring);
            s->next_id = (uint16_t)(j * 7919 + i * 104729);
            if (opt.tcp) {
                s->obuf = malloc(65536 * 4);
                s->ibuf = malloc(MAXR + 2);
            }
            if (!s->sent || !s->ring || (opt.tcp && (!s->obuf || !s->ibuf)))
                return 3;
            if (open_sock(s) < 0) {
                fprintf(stderr, "blast: socket/connect: %s\n", strerror(errno));
                return 1;
            }
        }
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    t_start = now_ns();
    t_end = t_start + (uint64_t)(opt.duration * 1e9);
    for (int i = 0; i < opt.threads; i++)
        if (pthread_create(&th[i].tid, NULL, run, &th[i]) != 0)
            return 3;
    for (int i = 0; i < opt.threads; i++)
        pthread_join(th[i].tid, NULL);
    uint64_t t_stop = now_ns();
    getrusage(RUSAGE_SELF, &ru1);

    struct stats *tot = calloc(1, sizeof *tot);
    if (!tot)
        return 3;
    for (int i = 0; i < opt.threads; i++) {
        struct stats *s = &th[i].st;
        tot->sent += s->sent; tot->answered += s->answered; tot->lost += s->lost;
        tot->late += s->late; tot->send_err += s->send_err; tot->recv_err += s->recv_err;
        tot->bad += s->bad; tot->tc += s->tc; tot->reconnects += s->reconnects;
        for (int k = 0; k < 16; k++)
            tot->rcode[k] += s->rcode[k];
        for (size_t k = 0; k < NBUCKET; k++)
            tot->hist[k] += s->hist[k];
        tot->lat_sum_ns += s->lat_sum_ns;
        if (s->lat_max_ns > tot->lat_max_ns)
            tot->lat_max_ns = s->lat_max_ns;
    }
    double pct[] = {50, 90, 99, 99.9};
    double pv[4] = {0};
    for (int k = 0; k < 4; k++) {
        uint64_t want = (uint64_t)((double)tot->answered * pct[k] / 100.0 + 0.5);
        if (want == 0)
            want = 1;
        uint64_t acc = 0;
        for (size_t b = 0; b < NBUCKET; b++) {
            acc += tot->hist[b];
            if (acc >= want) {
                pv[k] = bucket_us(b);
                break;
            }
        }
    }
    double wall = opt.duration;
    double cpu_user = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double cpu_sys = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                     (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    double elapsed = (double)(t_stop - t_start) / 1e9;
    printf("{\"generator\":\"blast\",\"mode\":\"%s\",\"server\":\"%s:%d\",\"file\":\"",
           opt.tcp ? "tcp" : "udp", host, port);
    for (const char *ch = opt.file; *ch; ch++) {    /* the path as a JSON string */
        if (*ch == '"' || *ch == '\\')
            printf("\\%c", *ch);
        else if ((unsigned char)*ch < 0x20)
            printf("\\u%04x", (unsigned char)*ch);
        else
            putchar(*ch);
    }
    printf("\","
           "\"queries_in_file\":%zu,\"threads\":%d,\"sockets\":%d,\"window\":%d,"
           "\"rate_offered\":%.0f,\"duration_s\":%.3f,"
           "\"sent\":%llu,\"answered\":%llu,\"lost\":%llu,\"late\":%llu,\"not_sent\":%llu,"
           "\"recv_errors\":%llu,\"bad\":%llu,\"tc\":%llu,\"reconnects\":%llu,"
           "\"qps\":%.1f,\"rcodes\":{",
           nq, opt.threads, opt.sockets,
           opt.window, opt.rate, wall,
           (unsigned long long)tot->sent, (unsigned long long)tot->answered,
           (unsigned long long)tot->lost, (unsigned long long)tot->late,
           (unsigned long long)tot->send_err, (unsigned long long)tot->recv_err,
           (unsigned long long)tot->bad, (unsigned long long)tot->tc,
           (unsigned long long)tot->reconnects, (double)tot->answered / wall);
    bool first = true;
    for (int k = 0; k < 16; k++)
        if (tot->rcode[k]) {
            printf("%s\"%s\":%llu", first ? "" : ",", rcode_name(k), (unsigned long long)tot->rcode[k]);
            first = false;
        }
    printf("},\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,"
           "\"mean\":%.1f,\"max\":%.1f},"
           "\"cpu\":{\"user_s\":%.3f,\"sys_s\":%.3f,\"elapsed_s\":%.3f,\"util\":%.3f}}\n",
           pv[0], pv[1], pv[2], pv[3],
           tot->answered ? (double)tot->lat_sum_ns / (double)tot->answered / 1000.0 : 0.0,
           (double)tot->lat_max_ns / 1000.0,
           cpu_user, cpu_sys, elapsed, (cpu_user + cpu_sys) / elapsed);
    return 0;
}
