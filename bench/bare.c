/* bare: the machine's ceiling for the tern benchmark.
 *
 * Answers every DNS query with a fixed answer (one A record, 192.0.2.1,
 * behind a compression pointer to the question), copying the ID, RD and the
 * question, and echoing an OPT record when the query had one: the least
 * work a UDP DNS server can do per packet through the same socket path as a
 * real one (recvmmsg/sendmmsg, batches of 64, one SO_REUSEPORT socket per
 * thread). No lookup, no parsing beyond the question's end.
 *
 *   bare [--listen 127.0.0.1:PORT] [--threads N]
 *
 * Stops on SIGINT/SIGTERM.
 * Build: cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSZ 4096

static struct sockaddr_storage addr;
static socklen_t addrlen;
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Builds the answer to q (n bytes) in r; returns its length or 0 to drop. */
static size_t answer(const uint8_t *q, size_t n, uint8_t *r)
{
    if (n < 12 || (q[2] & 0x80))
        return 0;
    size_t p = 12;
    while (p < n && q[p] != 0) {            /* skip the question name */
        if (q[p] > 63)
            return 0;
        p += (size_t)q[p] + 1;
    }
    p += 5;                                 /* root label, type, class */
    if (p > n || p > 12 + 255 + 5)
        return 0;
    int edns = n >= p + 11 && q[p] == 0 && q[p + 1] == 0 && q[p + 2] == 41;
    memcpy(r, q, p);
    r[2] = (uint8_t)(0x84 | (q[2] & 0x01));  /* QR AA, RD copied */
    r[3] = 0;
    r[4] = 0; r[5] = 1;
    r[6] = 0; r[7] = 1;
    r[8] = 0; r[9] = 0;
    r[10] = 0; r[11] = edns ? 1 : 0;
    static const uint8_t rr[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1};
    memcpy(r + p, rr, sizeof rr);
    p += sizeof rr;
    if (edns) {
        static const uint8_t o[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
        memcpy(r + p, o, sizeof o);
        p += sizeof o;
    }
    return p;
}

static void *worker(void *arg)
{
    (void)arg;
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, addrlen) < 0) {
        fprintf(stderr, "bare: bind: %s\n", strerror(errno));
        exit(1);
    }
    struct timeval tv = {0, 200000};       /* wake up to see stop_flag */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static _Thread_local uint8_t in[BATCH][BUFSZ], out[BATCH][BUFSZ];
    static _Thread_local struct sockaddr_storage peer[BATCH];
    struct mmsghdr im[BATCH], om[BATCH];
    struct iovec iiov[BATCH], oiov[BATCH];
    while (!stop_flag) {
        for (int i = 0; i < BATCH; i++) {
            iiov[i].iov_base = in[i];
            iiov[i].iov_len = BUFSZ;
            memset(&im[i].msg_hdr, 0, sizeof im[i].msg_hdr);
            im[i].msg_hdr.msg_iov = &iiov[i];
            im[i].msg_hdr.msg_iovlen = 1;
            im[i].msg_hdr.msg_name = &peer[i];
            im[i].msg_hdr.msg_namelen = sizeof peer[i];
        }
        int n = recvmmsg(fd, im, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0)
            continue;
        int k = 0;
        for (int i = 0; i < n; i++) {
            size_t l = answer(in[i], im[i].msg_len, out[k]);
            if (l == 0)
                continue;
            oiov[k].iov_base = out[k];
            oiov[k].iov_len = l;
            memset(&om[k].msg_hdr, 0, sizeof om[k].msg_hdr);
            om[k].msg_hdr.msg_iov = &oiov[k];
            om[k].msg_hdr.msg_iovlen = 1;
            om[k].msg_hdr.msg_name = &peer[i];
            om[k].msg_hdr.msg_namelen = im[i].msg_hdr.msg_namelen;
            k++;
        }
        int done = 0;
        while (done < k) {
            int r = sendmmsg(fd, om + done, (unsigned)(k - done), 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                break;
            }
            done += r;
        }
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:5399";
    int threads = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bare [--listen ADDR:PORT] [--threads N]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host || threads < 1 || threads > 256) {
        fprintf(stderr, "bare: bad --listen or --threads\n");
        return 2;
    }
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    int port = atoi(colon + 1);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        addrlen = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        addrlen = sizeof *a6;
    } else {
        fprintf(stderr, "bare: bad address %s\n", host);
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;          /* no SA_RESTART: recvmmsg returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!t)
        return 3;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            return 3;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    return 0;
}
