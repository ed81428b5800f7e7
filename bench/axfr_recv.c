/* axfr_recv: a zone transfer receiver for the benchmark that only counts.
 *
 *   axfr_recv -p PORT -z ZONE [-s 127.0.0.1] [-l SECONDS] [-t TIMEOUT_S]
 *
 * Sends one AXFR query for ZONE over TCP (RFC 5936) and reads the answer
 * until the SOA that closes it, walking each record only far enough to
 * find its type (names are skipped, never decompressed or copied): the
 * cost on the receiving side stays far below a real secondary's, so the
 * time measured is the sender's. With -l it repeats transfers, one after
 * the other on a new connection each, until SECONDS have passed (the
 * load of the "queries while a transfer runs" figure).
 *
 * Prints one JSON object: transfers completed, bytes (the TCP payload,
 * length prefixes included), messages, records, seconds (wall, of all
 * transfers), first_byte_s (of the first), the rcode of a failed
 * transfer, and its own CPU time. Exit status 0 when every transfer
 * completed, 1 otherwise.
 *
 * Loopback use only; built by bench/run.sh into build/bench/. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ (1u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct stats {
    unsigned long long bytes, messages, records;
    int soas;           /* SOA records seen in this transfer (2 = done) */
    int rcode;          /* of a message that was not NOERROR, else -1 */
};

/* Skips a name at p (labels or a compression pointer); NULL past end. */
static const uint8_t *skip_name(const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        uint8_t l = *p;
        if (l == 0)
            return p + 1;
        if ((l & 0xC0) == 0xC0)
            return p + 2 <= end ? p + 2 : NULL;
        if (l & 0xC0)
            return NULL;
        p += 1 + l;
    }
    return NULL;
}

/* One DNS message of len bytes. Returns 1 when the transfer is complete
 * (the closing SOA), 0 to go on, -1 on a malformed or failed message. */
static int message(const uint8_t *m, size_t len, struct stats *st)
{
    if (len < 12)
        return -1;
    st->messages++;
    int rcode = m[3] & 15;
    if (rcode != 0) {
        st->rcode = rcode;
        return -1;
    }
    unsigned qd = (unsigned)m[4] << 8 | m[5], an = (unsigned)m[6] << 8 | m[7];
    const uint8_t *p = m + 12, *end = m + len;
    for (unsigned i = 0; i < qd; i++) {
        p = skip_name(p, end);
        if (!p || p + 4 > end)
            return -1;
        p += 4;
    }
    for (unsigned i = 0; i < an; i++) {
        p = skip_name(p, end);
        if (!p || p + 10 > end)
            return -1;
        unsigned type = (unsigned)p[0] << 8 | p[1];
        unsigned rdlen = (unsigned)p[8] << 8 | p[9];
        p += 10 + rdlen;
        if (p > end)
            return -1;
        st->records++;
        if (type == 6 && ++st->soas == 2)
            return 1;           /* RFC 5936 2.2: the closing SOA */
    }
    if (st->records == 0 && an == 0)
        return -1;              /* an empty first message: no zone */
    return 0;
}

static size_t build_query(uint8_t *q, const char *zone, uint16_t id)
{
    uint8_t *p = q + 2;
    memset(p, 0, 12);
    p[0] = (uint8_t)(id >> 8);
    p[1] = (uint8_t)id;
    p[5] = 1;                   /* QDCOUNT */
    p += 12;
    const char *s = zone;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63)
            break;
        *p++ = (uint8_t)l;
        memcpy(p, s, l);
        p += l;
        s += l + (dot ? 1 : 0);
    }
    *p++ = 0;
    *p++ = 0;
    *p++ = 252;                 /* AXFR */
    *p++ = 0;
    *p++ = 1;                   /* IN */
    size_t n = (size_t)(p - q - 2);
    q[0] = (uint8_t)(n >> 8);
    q[1] = (uint8_t)n;
    return n + 2;
}

/* One transfer. Returns 0 when it completed. */
static int transfer(const struct sockaddr_in *sa, const char *zone, int timeout_ms,
                    struct stats *st, double *first_byte, uint8_t *buf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int rcv = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    double t0 = now();
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
        close(fd);
        return -1;
    }
    uint8_t q[300];
    size_t qn = build_query(q, zone, (uint16_t)(rand() & 0xFFFF));
    if (write(fd, q, qn) != (ssize_t)qn) {
        close(fd);
        return -1;
    }
    st->soas = 0;
    size_t have = 0;
    int done = 0, first = 1;
    while (!done) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r <= 0)
            break;              /* timeout */
        ssize_t n = read(fd, buf + have, BUFSZ - have);
        if (n <= 0)
            break;              /* closed before the end */
        if (first && first_byte) {
            *first_byte = now() - t0;
            first = 0;
        }
        st->bytes += (unsigned long long)n;
        have += (size_t)n;
        size_t off = 0;
        while (have - off >= 2) {
            size_t len = (size_t)buf[off] << 8 | buf[off + 1];
            if (have - off < 2 + len)
                break;
            int m = message(buf + off + 2, len, st);
            off += 2 + len;
            if (m != 0) {
                done = m;
                break;
            }
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    close(fd);
    return done == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *zone = NULL;
    int port = 0, c;
    double loop = 0, timeout = 30;
    while ((c = getopt(argc, argv, "s:p:z:l:t:")) != -1) {
        switch (c) {
        case 's': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'z': zone = optarg; break;
        case 'l': loop = atof(optarg); break;
        case 't': timeout = atof(optarg); break;
        default:
            fprintf(stderr, "usage: axfr_recv -p PORT -z ZONE [-s HOST] [-l SECONDS] [-t TIMEOUT]\n");
            return 2;
        }
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (!zone || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "axfr_recv: need -p PORT, -z ZONE and an IPv4 -s\n");
        return 2;
    }
    uint8_t *buf = malloc(BUFSZ);
    if (!buf)
        return 2;
    srand((unsigned)getpid());
    struct stats st = {.rcode = -1};
    double first_byte = 0, t0 = now();
    unsigned long transfers = 0, failed = 0;
    do {
        if (transfer(&sa, zone, (int)(timeout * 1000), &st, transfers ? NULL : &first_byte, buf) == 0)
            transfers++;
        else
            failed++;
    } while (loop > 0 && now() - t0 < loop && failed == 0);
    double el = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"transfers\": %lu, \"failed\": %lu, \"bytes\": %llu, \"messages\": %llu, "
           "\"records\": %llu, \"seconds\": %.6f, \"first_byte_s\": %.6f, \"rcode\": %d, "
           "\"cpu\": {\"user_s\": %.3f, \"sys_s\": %.3f}}\n",
           transfers, failed, st.bytes, st.messages, st.records, el, first_byte, st.rcode,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    free(buf);
    return failed ? 1 : 0;
}
